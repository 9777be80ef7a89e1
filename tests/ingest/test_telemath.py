"""TeleMath ingestion from JSONL and Parquet exports (a fixture in the upstream schema, written here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.telemath import DERIVATION, ingest_telemath, load_telemath
from kb.errors import EnvironmentProblem, InputProblem, InputRejected
from kb.records import RubricKind

FIXTURES = Path(__file__).resolve().parent / "fixtures"

SAMPLE = FIXTURES / "telemath_sample.jsonl"


def test_jsonl_records_carry_numeric_check_and_shared_principle() -> None:
    problems: list[InputProblem] = []
    located = load_telemath(SAMPLE, problems=problems, rel_tol=0.05)
    assert problems == [] and len(located) == 12
    _, line, first = located[0]
    assert line == 1 and "category:wireless_communications" in first.tags and "topic:5g_nr" in first.tags
    assert "difficulty:basic" in first.tags and "math" in first.tags
    answer, derivation = first.rubrics
    assert answer.kind is RubricKind.HARD_RULE and answer.check.value == pytest.approx(98.28)
    assert answer.check.rel_tol == 0.05 and answer.text.startswith("The final answer is 98.28")
    assert derivation.kind is RubricKind.PRINCIPLE and derivation.text == DERIVATION
    assert len({q.rubrics[1].rubric_id for _, _, q in located}) == 1
    assert len({q.rubrics[0].rubric_id for _, _, q in located}) == 12


def test_parquet_matches_jsonl(tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    path = tmp_path / "telemath.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    from_parquet = load_telemath(path, problems=[])
    from_jsonl = load_telemath(SAMPLE, problems=[])

    def strip(located):
        return [
            q.model_dump(exclude={"provenance": True, "rubrics": {"__all__": {"provenance"}}})  # noqa: E731
            for _, _, q in located
        ]

    assert strip(from_parquet) == strip(from_jsonl)


def test_parquet_without_pyarrow_names_the_fix(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "telemath.parquet"
    path.write_bytes(b"PAR1")
    with pytest.raises(EnvironmentProblem, match="pip install pyarrow"):
        load_telemath(path, problems=[])


def test_bad_row_rejects_everything_with_line_and_field(kb, tmp_path) -> None:
    lines = SAMPLE.read_text().splitlines()
    lines[2] = json.dumps({**json.loads(lines[2]), "answer": "about eighty"})
    bad = tmp_path / "telemath.jsonl"
    bad.write_text("\n".join(lines))
    with pytest.raises(InputRejected) as caught:
        ingest_telemath(kb, bad)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (3, "answer")
    assert kb.stats().queries_by_source == {}


def test_cli_ingest_then_rerun_is_noop(tmp_path) -> None:
    from ui.cli.main import app

    args = ["--data-dir", str(tmp_path / "kb"), "ingest", "telemath", str(SAMPLE), "--rel-tol", "0.02", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["queries"]["added"] == 12 and summary["rubrics"]["added"] == 13
    second = json.loads(CliRunner().invoke(app, args).stdout)
    assert second["kb_version"] is None and second["queries"]["unchanged"] == 12
