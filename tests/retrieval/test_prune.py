"""Pruning decisions on crafted usage statistics."""

from __future__ import annotations

import pytest

from kb.records import ToolCallCheck
from kb.rubric_evidence import RubricEvidence
from kb.settings import PruningSettings
from kb.usage import RubricUsage
from kb.views import RubricView
from retrieval.prune import prune, prune_reason
from retrieval.rubric_set import PruneReason

CFG = PruningSettings(
    warmup_uses=20,
    min_retrieval_rate=0.01,
    max_retrieval_rate=0.6,
    min_verdicts=20,
    max_met_rate=0.98,
    min_met_rate=0.02,
)


def _view(rubric_id: str, *, checked: bool = False) -> RubricView:
    check = ToolCallCheck(name="refuel_data") if checked else None
    return RubricView(
        id=rubric_id,
        text=f"The agent does {rubric_id}.",
        kind="principle",
        importance="important",
        weight=0.6,
        status="approved",
        source="expert",
        check=check,
    )


def _stats(retrieved: int, events: int, met: int = 0, not_met: int = 0) -> RubricUsage:
    return RubricUsage(rubric_id="x", retrieved=retrieved, retrieval_events=events, met=met, not_met=not_met)


@pytest.mark.parametrize(
    ("stats", "expected"),
    [
        (_stats(19, 10_000), None),  # warm-up: too rare, but retrieved fewer than 20 times
        (_stats(19, 20, met=0, not_met=50), None),  # warm-up also holds back the met-rate rule
        (_stats(20, 10_000), (PruneReason.TOO_RARE, 0.01)),  # 0.2 % of retrievals
        (_stats(100, 10_000), None),  # exactly the floor (1 %) is kept: comparisons are strict
        (_stats(61, 100), (PruneReason.TOO_COMMON, 0.6)),
        (_stats(60, 100), None),  # exactly the ceiling
        (_stats(30, 100, met=99, not_met=1), (PruneReason.ALWAYS_MET, 0.98)),
        (_stats(30, 100, met=1, not_met=99), (PruneReason.NEVER_MET, 0.02)),
        (_stats(30, 100, met=19, not_met=0), None),  # met by all, but only 19 verdicts
        (_stats(30, 100, met=50, not_met=50), None),  # discriminative
        (_stats(70, 100, met=100, not_met=0), (PruneReason.TOO_COMMON, 0.6)),  # hit-rate rules come first
    ],
)
def test_prune_reason(stats: RubricUsage, expected: tuple[PruneReason, float] | None) -> None:
    assert prune_reason(stats, CFG) == expected


def test_prune_keeps_order_reports_rates_and_spares_unknown_and_checked_rubrics() -> None:
    items = [_view("a"), _view("common"), _view("new"), _view("gate", checked=True), _view("always")]
    stats = {
        "a": _stats(30, 100, met=10, not_met=10).model_copy(update={"rubric_id": "a"}),
        "common": _stats(90, 100).model_copy(update={"rubric_id": "common"}),
        "gate": _stats(90, 100).model_copy(update={"rubric_id": "gate"}),
        "always": _stats(30, 100, met=40, not_met=0).model_copy(update={"rubric_id": "always"}),
    }
    kept, pruned = prune(items, stats, CFG)
    assert [r.id for r in kept] == ["a", "new", "gate"]
    assert [(p.rubric_id, p.reason) for p in pruned] == [
        ("common", PruneReason.TOO_COMMON),
        ("always", PruneReason.ALWAYS_MET),
    ]
    common = pruned[0]
    assert common.retrieval_rate == pytest.approx(0.9) and common.retrieved == 90 and common.threshold == 0.6
    assert common.text == "The agent does common."
    assert pruned[1].met_rate == 1.0 and pruned[1].verdicts == 40

    kept, pruned = prune(items, stats, CFG.model_copy(update={"exempt_checked": False}))
    assert "gate" in {p.rubric_id for p in pruned}


def test_zero_warmup_prunes_from_the_first_retrieval() -> None:
    cfg = CFG.model_copy(update={"warmup_uses": 0})
    assert prune_reason(_stats(1, 1), cfg) == (PruneReason.TOO_COMMON, 0.6)
    assert prune_reason(_stats(0, 0), cfg) is None  # no retrievals yet: no rate, nothing to decide


def _evidence(rubric_id: str, decided: int, agree: int) -> RubricEvidence:
    return RubricEvidence(id=rubric_id, n_decided=decided, n_agree=agree, precision=agree / decided)


def test_an_analysis_that_saw_a_rubric_side_against_the_label_prunes_it() -> None:
    items = [_view("misleads"), _view("few"), _view("fair"), _view("gate", checked=True), _view("unseen")]
    evidence = {
        "misleads": _evidence("misleads", 12, 5),  # 5 of 12: below 0.5
        "few": _evidence("few", 9, 0),  # below min_decided
        "fair": _evidence("fair", 10, 5),  # exactly the floor is kept
        "gate": _evidence("gate", 20, 0),  # a machine check is never pruned
    }
    kept, pruned = prune(items, {}, CFG, evidence)
    assert [r.id for r in kept] == ["few", "fair", "gate", "unseen"]
    assert [(p.rubric_id, p.reason, p.threshold, p.decided) for p in pruned] == [
        ("misleads", PruneReason.AGAINST_LABEL, 0.5, 12)
    ]
    assert pruned[0].precision == pytest.approx(5 / 12) and pruned[0].retrieved == 0  # no usage statistics
    assert prune(items, {}, CFG.model_copy(update={"min_precision": 0.0}), evidence)[1] == []  # 0 = off
    usage = {"misleads": _stats(61, 100).model_copy(update={"rubric_id": "misleads"})}
    assert prune(items, usage, CFG, evidence)[1][0].reason == PruneReason.TOO_COMMON  # usage rules come first
