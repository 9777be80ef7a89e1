"""Rubric analysis: coverage, precision and contribution from one pointwise run over a scripted judge (the fake
replaces only the transport), KB usage and the stored per-rubric entries, the writers, and the CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.evaluation import aanalyse_rubrics, analyse_outcomes, record_analysis, stored_analysis, write_analysis
from judge.evaluation.analysis import direction, latest_analysis_path
from judge.learning import LearnedRubric, LearnedSet
from judge.llm_judge import Criterion
from judge.pairs import PreferencePair
from judge.result import CriterionVerdict, Decider, Verdict
from kb import (
    Importance,
    KnowledgeBase,
    PruningSettings,
    RubricKind,
    RubricRecord,
    ScriptedTransport,
    Settings,
    UsageDelta,
    load_settings,
)
from retrieval import PruneReason, prune

PAIRS = [
    PreferencePair(id=f"p{i}", prompt=f"Question {i}?", chosen=f"good answer {i}", rejected=f"bad answer {i}")
    for i in range(4)
]
AGREES = Criterion(id="r-agrees", text="The agent checks the APN MMSC URL.", rubric_ids=("r-agrees",))
SILENT = Criterion(id="r-silent", text="The response is in English.", rubric_ids=("r-silent",))
WRONG = Criterion(
    id="r-wrong",
    text="The agent suggests a factory reset.",
    condition="the phone was updated recently",
    rubric_ids=("r-wrong",),
)
CRITERIA = [AGREES, SILENT, WRONG]


def _reply(*labels: str) -> str:
    return json.dumps({"verdicts": [{"number": n, "reason": "r", "verdict": v} for n, v in enumerate(labels, start=1)]})


# One pair at a time, chosen before rejected (in_flight=1, one LLM slot): (AGREES, SILENT, WRONG) per response.
SCRIPT = [
    _reply("met", "met", "not_met"),  # p0 chosen: 2/3
    _reply("not_met", "met", "met"),  # p0 rejected: 2/3 (a tie: WRONG decides against the label)
    _reply("met", "met", "not_applicable"),  # p1 chosen: 1
    _reply("not_met", "met", "not_applicable"),  # p1 rejected: 1/2
    _reply("met", "met", "met"),  # p2 chosen: 1
    _reply("not_met", "met", "met"),  # p2 rejected: 2/3
    TimeoutError(),  # p3 chosen: the judge times out, so p3 is wrong with or without any rubric
    _reply("not_met", "met", "met"),  # p3 rejected
]


def _settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path / "kb", llm={"max_retries": 0, "concurrency": 1}, judge={"granularity": "response"}
    )


def _analyse(tmp_path: Path, kb: KnowledgeBase | None = None) -> tuple:
    transport = ScriptedTransport(*SCRIPT)
    report = asyncio.run(
        aanalyse_rubrics(
            PAIRS, _settings(tmp_path), rubrics="learned", learned=CRITERIA, kb=kb, transport=transport, in_flight=1
        )
    )
    return report, transport


def test_coverage_precision_and_contribution(tmp_path: Path) -> None:
    report, transport = _analyse(tmp_path)
    order = [r.messages[1].content.split("<response>")[1].split("</response>")[0].strip() for r in transport.requests]
    assert order == [f"{side} answer {i}" for i in range(4) for side in ("good", "bad")]  # the script's order
    assert (report.pairs, report.labelled, report.judged) == (4, 4, 3)
    assert report.accuracy == 0.5 == report.overall.accuracy  # p1, p2 right; p0 a tie; p3 an error
    by_id = {r.id: r for r in report.rubrics}
    agrees, silent, wrong = by_id["r-agrees"], by_id["r-silent"], by_id["r-wrong"]
    assert (agrees.n_pairs_present, agrees.n_decided, agrees.coverage, agrees.precision) == (3, 3, 1.0, 1.0)
    assert agrees.contribution == pytest.approx(0.5)  # without it p1 and p2 tie: accuracy 0
    assert silent.coverage == 0.0 and silent.precision is None and silent.contribution == pytest.approx(0.0)
    assert (wrong.n_decided, wrong.precision) == (1, 0.0) and wrong.coverage == pytest.approx(1 / 3)
    assert wrong.contribution == pytest.approx(-0.25)  # without it p0 goes right
    assert [r.id for r in report.rubrics] == ["r-agrees", "r-silent", "r-wrong"]  # by contribution
    assert all(r.usage is None and not r.in_kb for r in report.rubrics)  # no KB given


def _verdict(cid: str, verdict: Verdict, importance: str = "important") -> CriterionVerdict:
    return CriterionVerdict(
        criterion_id=cid,
        text=cid,
        kind="principle",
        importance=importance,
        weight=1.0,
        component="principles",
        verdict=verdict,
        reason="r",
        decided_by=Decider(kind="judge", name="m"),
    )


def test_a_pitfall_decides_for_the_side_that_avoids_it() -> None:
    met, not_met, na = Verdict.MET, Verdict.NOT_MET, Verdict.NOT_APPLICABLE
    assert direction(_verdict("a", met), _verdict("a", not_met)) == 1
    assert direction(_verdict("a", not_met, "pitfall"), _verdict("a", met, "pitfall")) == 1
    assert direction(_verdict("a", met, "pitfall"), _verdict("a", not_met, "pitfall")) == -1
    assert direction(_verdict("a", met), _verdict("a", na)) == 0
    assert direction(_verdict("a", met), _verdict("a", met)) == 0


def test_undecisive_pairs_are_left_out() -> None:
    from judge.evaluation import PairOutcome

    outcome = PairOutcome(
        pair_id="x",
        decisive=False,
        preferred="chosen",
        chosen_verdicts=(_verdict("a", Verdict.MET),),
        rejected_verdicts=(_verdict("a", Verdict.NOT_MET),),
    )
    assert analyse_outcomes([outcome]) == (None, [])
    assert "chosen_verdicts" not in outcome.model_dump_json()  # never written into a report


def test_kb_usage_and_stored_entries(tmp_path: Path, kb: KnowledgeBase) -> None:
    kb.apply(
        [
            RubricRecord(id=c.id, text=c.text, kind=RubricKind.PRINCIPLE, importance=Importance.IMPORTANT)
            for c in CRITERIA
        ]
    )
    kb.record_usage(
        UsageDelta(retrieval_events=10, retrieved={"r-agrees": 4}, met={"r-agrees": 3}, not_met={"r-agrees": 1})
    )
    report, _ = _analyse(tmp_path, kb)
    agrees = next(r for r in report.rubrics if r.id == "r-agrees")
    assert agrees.in_kb and agrees.usage is not None
    assert (agrees.usage.retrieval_rate, agrees.usage.met_rate) == (0.4, 0.75)
    paths = write_analysis(report, tmp_path / "out")
    assert record_analysis(kb, report, paths["json"]) == 3
    stored = stored_analysis(kb, "r-agrees")
    assert stored is not None and stored_analysis(kb, "r-unknown") is None
    assert stored.model_copy(update={"recorded_at": None, "pairs_source": None, "analysis_path": None}) == agrees
    assert stored.recorded_at and stored.analysis_path == str(paths["json"].resolve())
    assert latest_analysis_path(kb) == paths["json"].resolve()


def test_a_recorded_analysis_feeds_pruning(tmp_path: Path, kb: KnowledgeBase) -> None:
    kb.apply(
        [
            RubricRecord(id=c.id, text=c.text, kind=RubricKind.PRINCIPLE, importance=Importance.IMPORTANT)
            for c in CRITERIA
        ]
    )
    ids = [c.id for c in CRITERIA]
    views = list(kb.rubrics(ids).values())
    report, _ = _analyse(tmp_path, kb)
    record_analysis(kb, report, write_analysis(report, tmp_path / "out")["json"])
    evidence = kb.evidence_of([*ids, "r-unknown"])
    assert sorted(evidence) == ids  # r-silent never decided, but it was analysed
    assert (evidence["r-wrong"].n_decided, evidence["r-wrong"].precision) == (1, 0.0)
    # r-wrong sided against the label in its one decided pair: pruned once one decision is enough evidence
    kept, pruned = prune(views, {}, PruningSettings(min_decided=1), evidence)
    assert [r.id for r in kept] == ["r-agrees", "r-silent"]
    assert [(p.rubric_id, p.reason, p.precision, p.decided) for p in pruned] == [
        ("r-wrong", PruneReason.AGAINST_LABEL, 0.0, 1)
    ]
    assert prune(views, {}, PruningSettings(), evidence)[1] == []  # the default needs 10 decided pairs


def test_cli_analyze_writes_the_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import analyze_cmd
    from ui.cli.main import app

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(p.model_dump_json() + "\n" for p in PAIRS))
    learned = LearnedSet(
        rubrics=tuple(
            LearnedRubric(id=c.id, text=c.text, kind="principle", theme="t", gain=1.0, pair_ids=("p0",), round=1)
            for c in (AGREES, SILENT)
        ),
        themes=(),
        pool=2,
        pairs=1,
        converged=1,
        model="m",
        prompts=(),
        seed=0,
        batch=4,
        patience=2,
        min_gain=0.5,
    )
    (tmp_path / "learned.json").write_text(learned.model_dump_json())
    transport = ScriptedTransport(*[_reply("met", "met"), _reply("not_met", "met")] * 2)
    real = analyze_cmd.aanalyse_rubrics
    monkeypatch.setattr(
        analyze_cmd, "aanalyse_rubrics", lambda *a, **k: real(*a, **{**k, "transport": transport, "in_flight": 1})
    )
    monkeypatch.setenv("TELERUBRIC_LLM__CONCURRENCY", "1")
    args = ["--data-dir", str(tmp_path / "kb"), "analyze", str(pairs), "--out", str(tmp_path / "out")]
    args += ["--rubrics", "learned", "--learned", str(tmp_path / "learned.json"), "--limit", "2", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["pairs"] == 2 and out["accuracy"] == 1.0
    assert {r["id"]: r["precision"] for r in out["rubrics"]} == {"r-agrees": 1.0, "r-silent": None}
    folder = tmp_path / "out"
    for name in ("analysis.json", "analysis.md", "analysis.html", "coverage_precision.png", "contribution.png"):
        assert (folder / name).is_file(), name
    assert "data:image/png;base64," in (folder / "analysis.html").read_text()
    md = (folder / "analysis.md").read_text()
    assert md.index("`r-agrees`") < md.index("`r-silent`")
    entry = json.loads((folder / "analysis.json").read_text())["rubrics"][0]
    assert set(entry) >= {"id", "text", "kind", "importance", "n_pairs_present", "coverage", "precision"}
    assert set(entry) >= {"contribution", "usage"}


def test_cli_refuses_analysis_without_rubrics(tmp_path: Path) -> None:
    from ui.cli.main import app

    args = ["--data-dir", str(tmp_path / "kb"), "analyze", "x.jsonl", "--out", str(tmp_path), "--rubrics", "none"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--rubrics" in result.output
