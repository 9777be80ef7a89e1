"""A BT checkpoint through the evaluation harness's metrics: one PairOutcome per pair (ids and scores, no text), the
harness's EvalReport, and its writers."""

from __future__ import annotations

from pathlib import Path

from judge import BTCard, BTRewardModel, PreferencePair, evaluate_bt, write_report
from tests.judge.bt.conftest import telecom_pairs


def test_the_report_of_a_bt_model(trained: tuple[Path, BTCard], tmp_path: Path) -> None:
    pairs = telecom_pairs() + [PreferencePair(id="broken", prompt="q", chosen={"no": "calls"}, rejected="r")]
    report = evaluate_bt(BTRewardModel(trained[0]), pairs, pairs_source="tests", seed=3)
    assert report.pairs == 7 and report.overall.n == 7
    assert report.overall.accuracy == 6 / 7 and report.overall.error_rate == 1 / 7
    assert report.overall.roc_auc == 1.0
    assert report.config.model == "bt:model" and report.config.seed == 3 and report.config.use_llm is False
    assert set(report.by_category) == {"faq", "support"}
    broken = next(o for o in report.outcomes if o.pair_id == "broken")
    assert broken.error is not None and broken.error.startswith("input:") and broken.preferred is None
    ok = [o for o in report.outcomes if o.error is None]
    assert all(0 <= o.rejected_score < o.chosen_score <= 1 for o in ok)  # type: ignore[operator]
    paths = write_report(report, tmp_path / "report")
    assert paths["html"].is_file() and "Access Point Name" not in paths["json"].read_text()  # ids only
    assert report.config.backend == "bt" and "pointwise/bt baseline" in paths["markdown"].read_text()
