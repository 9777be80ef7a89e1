"""The evaluation harness: metrics (ROC-AUC by hand), pairwise / pointwise runs over a scripted judge, the report
writers, the CLI, and SmolLM2 for the real client path."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.evaluation import PairOutcome, aevaluate, metrics, roc_auc, write_report
from judge.pairs import PreferencePair
from kb import ChatRequest, ChatResponse, LLMSettings, ScriptedTransport, Settings, TokenUsage, load_settings

PAIRS = [
    PreferencePair(
        id=f"p{i}",
        prompt=f"Question {i}?",
        chosen=f"GOOD answer {i}",
        rejected=f"bad answer {i}",
        category="mms" if i % 2 else "billing",
    )
    for i in range(4)
]


class ContentJudge:
    """A fake transport that prefers the reply containing GOOD (pairwise) / marks GOOD replies met (pointwise)."""

    endpoint = "content-judge"
    model = "content-judge"

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        text = request.messages[1].content
        usage = TokenUsage(model=self.model, input_tokens=100, output_tokens=10)
        if request.schema_name == "PairAnswer":
            a = text.split("<response_a>")[1].split("</response_a>")[0]
            reply = {"reason": "r", "better": "A" if "GOOD" in a else "B"}
        else:
            good = "GOOD" in text.split("<response>")[1].split("</response>")[0]
            block = text.split("<criteria>")[1].split("</criteria>")[0]
            n = sum(1 for line in block.splitlines() if line[:1].isdigit())
            verdict = lambda k: "not_met" if (k == 3) == good else "met"  # noqa: E731 - pitfall #3 inverted
            reply = {"verdicts": [{"number": k, "reason": "r", "verdict": verdict(k)} for k in range(1, n + 1)]}
        return ChatResponse(content=json.dumps(reply), usage=usage, model=self.model, finish_reason="stop")


def test_roc_auc_by_hand() -> None:
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert roc_auc([0.5, 0.5], [1, 0]) == 0.5
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert roc_auc([0.3], [1]) is None


def test_metrics_count_ties_and_errors_as_wrong() -> None:
    outcomes = [
        PairOutcome(pair_id="a", preferred="chosen", consistent=True),
        PairOutcome(pair_id="b", preferred="tie", consistent=False),
        PairOutcome(pair_id="c", error="timeout: slow"),
        PairOutcome(pair_id="d", preferred="rejected", consistent=True),
        PairOutcome(pair_id="e", preferred="rejected", decisive=False),
    ]
    m = metrics(outcomes)
    assert (m.n, m.accuracy, m.tie_rate, m.error_rate) == (4, 0.25, 0.25, 0.25)
    assert m.accuracy_answered == 0.5 and m.swap_consistency == pytest.approx(2 / 3)


@pytest.mark.parametrize("mode", ["pairwise", "pointwise"])
def test_a_judge_that_knows_the_answer_is_always_right(mode: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    report = asyncio.run(aevaluate(PAIRS, settings, mode=mode, rubrics="none", transport=ContentJudge()))
    o = report.overall
    assert (o.n, o.accuracy, o.error_rate) == (4, 1.0, 0.0)
    assert report.input_tokens > 0 and set(report.by_category) == {"mms", "billing"}
    if mode == "pairwise":
        assert o.swap_consistency == 1.0 and o.roc_auc is None
    else:
        assert o.roc_auc == 1.0 and o.swap_consistency is None
    paths = write_report(report, tmp_path / "out", command="telerubric eval x")
    page = paths["html"].read_text()
    assert "data:image/png;base64," in page and "<table>" in page
    assert "| pointwise/none" in paths["markdown"].read_text() or mode == "pairwise"
    assert json.loads(paths["json"].read_text())[0]["overall"]["accuracy"] == 1.0


def test_llm_faults_are_error_outcomes(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb", llm={"max_retries": 0})
    transport = ScriptedTransport(*[TimeoutError()] * 4)
    report = asyncio.run(aevaluate(PAIRS[:2], settings, mode="pairwise", transport=transport))
    assert report.overall.error_rate == 1.0 and report.overall.accuracy == 0.0
    assert all(o.error and o.error.startswith("timeout") for o in report.outcomes)


def test_cli_eval_writes_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import eval_cmd
    from ui.cli.main import app

    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(p.model_dump_json() + "\n" for p in PAIRS))
    real = eval_cmd.aevaluate
    monkeypatch.setattr(eval_cmd, "aevaluate", lambda *a, **k: real(*a, **{**k, "transport": ContentJudge()}))
    result = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "kb"),
            "eval",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--limit",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"] == 3
    assert (tmp_path / "out" / "report.html").is_file()


def test_pairwise_with_smollm2(smollm2_llm: LLMSettings, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "kb", llm=smollm2_llm.model_copy(update={"max_tokens": 300}))
    report = asyncio.run(aevaluate(PAIRS[:1], settings, mode="pairwise", rubrics="none"))
    assert report.pairs == 1 and report.config.model == smollm2_llm.model
    outcome = report.outcomes[0]
    assert outcome.error is not None or (outcome.preferred is not None and outcome.input_tokens > 100)
