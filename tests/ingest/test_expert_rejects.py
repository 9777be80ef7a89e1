"""Malformed expert files are rejected with file:line: field, and leave the KB byte-identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.expert.job import ingest_expert_files
from kb.errors import InputRejected
from kb.store import KnowledgeBase
from tests.kb.fingerprint import kb_fingerprint

GOOD = {"id": "ok-1", "text": "The agent checks the APN.", "kind": "principle"}


def _jsonl(*records: object) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records).encode() + b"\n"


CASES = {
    "invalid_json": ("bad.jsonl", _jsonl(GOOD, '{"id": "x", "text": "broken",'), 2, None, "invalid JSON"),
    "missing_field": ("bad.jsonl", _jsonl(GOOD, {"id": "x", "text": "No kind here."}), 2, "kind", "required"),
    "unknown_kind": ("bad.jsonl", _jsonl(GOOD, {"id": "x", "text": "t", "kind": "hardrule"}), 2, "kind", "hard_rule"),
    "duplicate_id": ("bad.jsonl", _jsonl(GOOD, {**GOOD, "text": "Other text."}), 2, "id", "duplicate"),
    "empty_text": ("bad.jsonl", _jsonl(GOOD, {"id": "x", "text": "   ", "kind": "principle"}), 2, "text", "empty"),
    "huge_text": (
        "bad.jsonl",
        _jsonl(GOOD, {"id": "x", "text": "a" * 1_000_000, "kind": "principle"}),
        2,
        "text",
        "at most",
    ),
    "not_utf8": (
        "bad.jsonl",
        _jsonl(GOOD) + b'{"id": "x", "text": "caf\xe9", "kind": "principle"}\n',
        2,
        None,
        "UTF-8",
    ),
    "unknown_csv_column": (
        "bad.csv",
        b"id,text,kind,colour\nx,The agent waits.,principle,red\n",
        1,
        "colour",
        "unknown column",
    ),
    "nested_bad_rubric": (
        "bad.yaml",
        b"- query: Phone broken\n  rubrics:\n    - text: ok\n      kind: principal\n",
        1,
        "rubrics[0].kind",
        "hard_rule",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_input_is_rejected_and_changes_nothing(
    case: str, kb: KnowledgeBase, examples_dir: Path, tmp_path: Path
) -> None:
    ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"])
    before = kb_fingerprint(kb)
    name, content, line, field, expected = CASES[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputRejected) as caught:
        ingest_expert_files(kb, [path])
    problems = caught.value.problems
    assert any(
        p.file == str(path) and p.line == line and (field is None or p.field == field) and expected in p.message
        for p in problems
    ), [str(p) for p in problems]
    assert str(problems[0]).startswith(f"{path}:")
    assert kb_fingerprint(kb) == before


def test_a_bad_file_among_good_ones_writes_nothing(kb: KnowledgeBase, examples_dir: Path, tmp_path: Path) -> None:
    before = kb_fingerprint(kb)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(_jsonl({"id": "x", "text": "t", "kind": "nope"}))
    with pytest.raises(InputRejected):
        ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl", bad])
    assert kb_fingerprint(kb) == before and kb.stats().collections["rubrics"].sql_rows == 0


def test_dry_run_validates_without_writing(kb: KnowledgeBase, examples_dir: Path) -> None:
    before = kb_fingerprint(kb)
    summary = ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"], dry_run=True)
    assert summary.dry_run and summary.rubrics.added > 0
    assert kb_fingerprint(kb) == before


def test_all_three_formats_of_the_example_parse(kb: KnowledgeBase, examples_dir: Path) -> None:
    for path in sorted(examples_dir.glob("expert_rubrics.*")):
        summary = ingest_expert_files(kb, [path])
        assert summary.records > 0 and not summary.rejected, path
    csv_query = kb.search("calls drop between rooms", k=1)[0]
    assert csv_query.id == "ex-csv-q1"
