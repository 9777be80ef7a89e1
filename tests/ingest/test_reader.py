"""The shared located reader: every entry knows its file and line; every problem names the line (and column)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.reader import (
    decode,
    parse_csv,
    parse_json_members,
    parse_jsonl,
    parse_records,
    parse_yaml,
    read_entries,
)
from kb.errors import InputProblem

ARRAY = """[
  {"id": "a", "note": "brackets [ { inside a string", "nested": [1, {"deep": true}]},
  {
    "id": "b",
    "quote": "an escaped \\" and a \\\\ backslash"
  },

  "not an object",
  [1, 2]
]
"""

OBJECT = """{
  "question 1": {"answer": "option 1: x"},
  "question 2":
    {
      "answer": "option 2: y"
    },
  "question 3": 7
}
"""

INVALID = [
    "",
    "[1,]",
    "[1 2]",
    '{"a" 1}',
    '{"a": 1,}',
    '[\n  {"a": 1},\n  {"b": 2\n]',
    "[1] trailing",
    '["bad \\q escape"]',
    "[1,\n\n  2,,]",
    "{1: 2}",
]


def test_non_utf8_names_the_line() -> None:
    problems: list[InputProblem] = []
    assert decode(b"one\ntwo\nth\xe9ree\n", "f.txt", problems) is None
    (problem,) = problems
    assert (problem.file, problem.line) == ("f.txt", 3) and "not UTF-8 (byte 0xe9)" in problem.message


def test_a_bom_is_allowed() -> None:
    assert decode(b"\xef\xbb\xbf[1]", "f.json", []) == "[1]"


def test_jsonl_entries_carry_their_line_and_bad_lines_their_column() -> None:
    problems: list[InputProblem] = []
    entries = parse_jsonl('{"a": 1}\n\n{"b": 2,\n[3]\n', "f.jsonl", problems)
    assert [(e.line, e.data) for e in entries] == [(1, {"a": 1}), (4, [3])]
    (problem,) = problems
    assert problem.line == 3 and "invalid JSON at column 9" in problem.message


def test_array_members_carry_the_line_they_start_on() -> None:
    problems: list[InputProblem] = []
    entries = parse_json_members(ARRAY, "f.json", problems, root=list, expected="a list")
    assert problems == []
    assert [e.data for e in entries] == json.loads(ARRAY)
    assert [e.line for e in entries] == [2, 3, 8, 9]
    assert all(e.key is None for e in entries)


def test_object_members_carry_their_key_and_line() -> None:
    entries = parse_json_members(OBJECT, "f.json", [], root=dict, expected="an object")
    assert [(e.key, e.line) for e in entries] == [("question 1", 2), ("question 2", 3), ("question 3", 7)]
    assert {e.key: e.data for e in entries} == json.loads(OBJECT)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_json_names_the_same_line_and_column_as_the_json_module(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    problems: list[InputProblem] = []
    assert parse_json_members(text, "f.json", problems, root=list, expected="a list") == []
    (problem,) = problems
    assert problem.line == expected.value.lineno
    assert problem.message == f"invalid JSON at column {expected.value.colno}: {expected.value.msg}"


def test_the_wrong_root_says_what_was_expected() -> None:
    problems: list[InputProblem] = []
    assert parse_json_members(OBJECT, "f.json", problems, root=list, expected="a JSON array of tasks") == []
    assert [str(p) for p in problems] == ["f.json:1: expected a JSON array of tasks"]


def test_records_are_json_lines_or_one_json_array() -> None:
    rows = [{"n": 1}, {"n": 2}]
    as_array = parse_records(json.dumps(rows, indent=2), "f.json", [])
    as_lines = parse_records("\n".join(json.dumps(r) for r in rows), "f.jsonl", [])
    assert [e.data for e in as_array] == [e.data for e in as_lines] == rows
    assert [e.line for e in as_array] == [2, 5] and [e.line for e in as_lines] == [1, 2]


def test_yaml_entries_carry_the_line_they_start_on() -> None:
    entries = parse_yaml("# rubrics\n- text: one\n  kind: principle\n- text: two\n", "f.yaml", [])
    assert [(e.line, e.data["text"]) for e in entries] == [(2, "one"), (4, "two")]
    problems: list[InputProblem] = []
    assert parse_yaml("text: not a list\n", "f.yaml", problems) == []
    assert "expected a YAML list" in problems[0].message


def test_csv_rows_check_columns_and_cells() -> None:
    problems: list[InputProblem] = []
    rows = parse_csv("id,text\na,one\nb,two,extra\n", "f.csv", problems, columns=("id", "text"))
    assert [(e.line, e.data) for e in rows] == [(2, {"id": "a", "text": "one"})]
    assert problems[0].line == 3 and "3 cells for 2 columns" in problems[0].message
    problems.clear()
    assert parse_csv("id,colour\n", "f.csv", problems, columns=("id", "text")) == []
    assert (problems[0].line, problems[0].field) == (1, "colour")


def test_an_unknown_suffix_says_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("{}")
    problems: list[InputProblem] = []
    assert read_entries(path, problems, {".jsonl": parse_jsonl}, expected=".jsonl") == []
    assert problems[0].message == "unknown file type '.txt'; expected .jsonl"
