"""Reading expert rubric files (JSONL, CSV, YAML) into located raw records; CSV rows are grouped into queries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.reader import Entry, parse_csv, parse_jsonl, parse_yaml, read_entries
from kb import InputProblem

CSV_COLUMNS = (
    "query_id",
    "query",
    "query_tags",
    "id",
    "text",
    "kind",
    "importance",
    "weight",
    "theme",
    "tips",
    "tags",
    "check",
    "condition",
    "status",
    "source",
    "section",
)
LIST_SEPARATOR = ";"


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]


def parse_csv_records(text: str, file: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """One rubric a row; rows sharing a `query_id` (or `query` text) form one query; no `query` = standalone."""
    standalone: list[Entry[Any]] = []
    groups: dict[str, Entry[Any]] = {}
    for entry in parse_csv(text, file, problems, columns=CSV_COLUMNS):
        row, line = entry.data, entry.line
        rubric: dict[str, Any] = {}
        for key in ("id", "text", "kind", "importance", "weight", "theme", "condition", "status", "source", "section"):
            if row.get(key):
                rubric[key] = row[key]
        for key in ("tips", "tags"):
            if row.get(key):
                rubric[key] = _split(row[key])
        if row.get("check"):
            try:
                rubric["check"] = json.loads(row["check"])
            except json.JSONDecodeError as exc:
                problems.append(InputProblem(file, line, "check", f"invalid JSON in cell: {exc.msg}"))
                continue
        if not row.get("query"):
            if row.get("query_id") or row.get("query_tags"):
                problems.append(InputProblem(file, line, "query", "query_id/query_tags given without query"))
                continue
            standalone.append(Entry(file, line, rubric))
            continue
        key = row.get("query_id") or row["query"]
        group = groups.get(key)
        if group is None:
            data = {"query": row["query"], "rubrics": []}
            if row.get("query_id"):
                data["id"] = row["query_id"]
            if row.get("query_tags"):
                data["tags"] = _split(row["query_tags"])
            group = groups[key] = Entry(file, line, data)
        elif group.data["query"] != row["query"]:
            message = f"query_id {key!r} has another query text at line {group.line}"
            problems.append(InputProblem(file, line, "query", message))
            continue
        group.data["rubrics"].append(rubric)
    return standalone + list(groups.values())


PARSERS = {
    ".jsonl": parse_jsonl,
    ".ndjson": parse_jsonl,
    ".csv": parse_csv_records,
    ".yaml": parse_yaml,
    ".yml": parse_yaml,
}


def read_expert_file(path: Path, problems: list[InputProblem]) -> list[Entry[Any]]:
    """The file's raw records (a query with its rubrics, or a standalone rubric), each with its line."""
    return read_entries(path, problems, PARSERS, expected=".jsonl, .csv, .yaml or .yml")
