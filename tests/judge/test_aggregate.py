"""Gates first, then HealthBench's weighted rule; every component under its key."""

from __future__ import annotations

import pytest

from judge.aggregate import aggregate
from judge.result import COMPONENTS, CriterionVerdict, Decider, Verdict

JUDGE = Decider(kind="judge", name="m", prompt="judge.pointwise@1")


def v(
    verdict: str,
    *,
    importance: str = "essential",
    weight: float = 1.0,
    kind: str = "principle",
    component: str = "principles",
    gate: bool = False,
) -> CriterionVerdict:
    return CriterionVerdict(
        criterion_id=f"c{id(object())}",
        text="The agent …",
        kind=kind,
        importance=importance,
        weight=weight,
        component=component,
        gate=gate,
        verdict=Verdict(verdict),
        reason="r",
        decided_by=JUDGE,
    )


def test_weighted_share_with_pitfalls_and_not_applicable() -> None:
    out = aggregate(
        [
            v("met", weight=1.0),
            v("not_met", importance="important", weight=0.6),
            v("not_applicable", weight=5.0),  # counts in neither sum
            v("met", importance="pitfall", weight=0.5),  # the mistake happened: subtracts
        ]
    )
    assert out.score == pytest.approx((1.0 - 0.5) / 1.6)
    assert set(out.components) == set(COMPONENTS)
    assert out.components["principles"] == pytest.approx(out.score)
    assert out.components["mcq"] is None and out.components["gates"] is None and not out.capped


def test_a_failed_gate_caps_the_score() -> None:
    verdicts = [
        v("met", weight=3.0),
        v("not_met", kind="hard_rule", component="mcq", gate=True),
    ]
    assert aggregate(verdicts).score == 0.0
    capped = aggregate(verdicts, gate_cap=0.3)
    assert capped.score == 0.3 and capped.capped and capped.components["gates"] == 0.0
    assert capped.components["mcq"] == 0.0 and capped.components["hard_rules"] == 0.0
    passed = aggregate([v("met", weight=3.0), v("met", kind="hard_rule", component="mcq", gate=True)])
    assert passed.score == 1.0 and passed.components["gates"] == 1.0 and passed.components["mcq"] == 1.0


def test_scores_clip_to_the_unit_interval_and_nothing_applicable_is_none() -> None:
    assert aggregate([v("not_met"), v("met", importance="pitfall", weight=4.0)]).score == 0.0
    assert aggregate([v("not_applicable")]).score is None
    assert aggregate([]).score is None
    only_pitfalls = aggregate([v("not_met", importance="pitfall")])
    assert only_pitfalls.score == 1.0  # the mistake was avoided
