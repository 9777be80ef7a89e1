"""The rubric view's "Analysis on preference pairs" block: an entry stored with `judge.record_analysis` into the
page's real KB shows its numbers, the source and the review hint; a rubric without one says how to analyse it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

from judge import AnalysisReport, record_analysis
from kb import KnowledgeBase
from tests.ui.web.conftest import no_exception

Page = Callable[..., AppTest]


def _entry(rubric_id: str, *, present: int, decided: int, agree: int, contribution: float) -> dict[str, object]:
    return {"id": rubric_id, "text": "t", "kind": "principle", "importance": "important", "in_kb": True,
            "n_pairs_present": present, "n_decided": decided, "n_agree": agree, "coverage": decided / 8,
            "precision": agree / decided, "contribution": contribution}  # fmt: skip


def _record(kb: KnowledgeBase, out: Path) -> Path:
    report = AnalysisReport.model_validate(
        {
            "config": {"mode": "pointwise", "rubrics": "retrieved", "granularity": "criterion", "use_llm": True,
                       "model": "m", "pairs_source": "mms_pairs.jsonl"},
            "overall": {"n": 8, "accuracy": 0.625},
            "pairs": 8, "labelled": 8, "judged": 8, "accuracy": 0.625, "gate_cap": 0.0,
            "rubrics": [_entry("w-wifi", present=6, decided=4, agree=3, contribution=0.125),
                        _entry("w-apn", present=5, decided=4, agree=1, contribution=-0.25)],
        }
    )  # fmt: skip
    out.mkdir()
    path = out / "analysis.json"
    path.write_text(report.model_dump_json(), encoding="utf-8")
    assert record_analysis(kb, report, path) == 2
    return path


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _text(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_a_stored_analysis_shows_its_numbers_and_the_review_hint(
    page: Page, page_kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = _record(page_kb, tmp_path / "out")
    at = no_exception(page(view="rubric", id="w-apn"))
    assert "Analysis on preference pairs" in _text(at, "markdown")
    metrics = _metrics(at)
    assert (metrics["coverage"], metrics["precision"], metrics["contribution"], metrics["pairs present"]) == (
        "50%",
        "25%",
        "-25.0%",
        "5",
    )
    captions = _text(at, "caption")
    assert "decided 4 pair(s), agreed on 1" in captions and str(path.resolve()) in captions
    assert "on mms_pairs.jsonl, recorded 20" in captions  # the run's pair set and when it was stored
    assert "review or retire" in _text(at, "warning")
    assert "Not analysed yet" not in _text(at, "info")

    at = no_exception(page(view="rubric", id="w-wifi"))  # precision 75%, contribution +12.5%: no hint
    assert _metrics(at)["contribution"] == "+12.5%" and "review or retire" not in _text(at, "warning")


def test_a_rubric_without_an_analysis_says_how_to_make_one(page: Page, page_kb: KnowledgeBase, tmp_path: Path) -> None:
    _record(page_kb, tmp_path / "out")
    at = no_exception(page(view="rubric", id="w-identify"))
    assert "Not analysed yet — run `telerubric analyze PAIRS --out DIR`." in _text(at, "info")
    assert "coverage" not in _metrics(at) and "review or retire" not in _text(at, "warning")


def test_pruning_drops_a_rubric_its_analysis_saw_side_against_the_label(
    page: Page, page_kb: KnowledgeBase, tmp_path: Path
) -> None:
    report = AnalysisReport.model_validate(
        {
            "config": {"mode": "pointwise", "rubrics": "retrieved", "granularity": "criterion", "use_llm": True,
                       "model": "m"},
            "overall": {"n": 16},
            "pairs": 16, "labelled": 16, "judged": 16, "gate_cap": 0.0,
            "rubrics": [_entry("w-apn", present=14, decided=12, agree=3, contribution=-0.25)],
        }
    )  # fmt: skip
    assert record_analysis(page_kb, report, tmp_path / "analysis.json") == 1
    at = no_exception(page(view="rubric", id="w-apn"))
    assert "Pruning would drop it: **against_label** (it crossed 0.5)" in _text(at, "warning")
    rules = "\n".join(t.value.to_string() for t in at.table)
    assert "25% of 12 decided pairs" in rules and "at least 0.5 after 10 decided pairs" in rules
