"""Reading expert rubric files (JSONL, CSV, YAML) into raw located entries, reporting every problem with its line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    "status",
    "source",
    "section",
)
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class RawEntry:
    """One record as parsed from a file, before validation."""

    file: str
    line: int
    data: Any


def read_text(path: Path, problems: list[InputProblem]) -> str | None:
    """The file as UTF-8 text (a BOM is allowed); a decoding error names the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(InputProblem(str(path), None, None, f"cannot read file: {exc.strerror}"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(
            InputProblem(str(path), line, None, f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8")
        )
        return None


def read_jsonl(path: Path, problems: list[InputProblem]) -> Iterator[RawEntry]:
    text = read_text(path, problems)
    if text is None:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield RawEntry(str(path), number, json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(
                InputProblem(
                    str(path),
                    number,
                    None,
                    f"invalid JSON at column {exc.colno}: {exc.msg}; expected one object a line",
                )
            )


def read_yaml(path: Path, problems: list[InputProblem]) -> Iterator[RawEntry]:
    text = read_text(path, problems)
    if text is None:
        return
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(InputProblem(str(path), mark.line + 1 if mark else None, None, f"invalid YAML: {exc}"))
        return
    if root is None:
        return
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        problems.append(InputProblem(str(path), 1, None, "expected a YAML list of records"))
        return
    for node, item in zip(root.value, data, strict=True):
        yield RawEntry(str(path), node.start_mark.line + 1, item)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]


def read_csv(path: Path, problems: list[InputProblem]) -> Iterator[RawEntry]:
    """One rubric a row; rows sharing a `query_id` (or `query` text) form one query; no `query` = standalone."""
    text = read_text(path, problems)
    if text is None:
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if unknown:
        problems.append(
            InputProblem(
                str(path), 1, ",".join(unknown), f"unknown column; expected columns from {', '.join(CSV_COLUMNS)}"
            )
        )
        return
    groups: dict[str, RawEntry] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(
                InputProblem(
                    str(path),
                    line,
                    None,
                    f"{len(header) + len(row[None])} cells for {len(header)} columns; quote cells that contain commas",
                )
            )
            continue
        rubric: dict[str, Any] = {}
        for key in ("id", "text", "kind", "importance", "weight", "theme", "status", "source", "section"):
            if row.get(key):
                rubric[key] = row[key]
        for key in ("tips", "tags"):
            if row.get(key):
                rubric[key] = _split(row[key])
        if row.get("check"):
            try:
                rubric["check"] = json.loads(row["check"])
            except json.JSONDecodeError as exc:
                problems.append(InputProblem(str(path), line, "check", f"invalid JSON in cell: {exc.msg}"))
                continue
        if not row.get("query"):
            if row.get("query_id") or row.get("query_tags"):
                problems.append(InputProblem(str(path), line, "query", "query_id/query_tags given without query"))
                continue
            yield RawEntry(str(path), line, rubric)
            continue
        key = row.get("query_id") or row["query"]
        group = groups.get(key)
        if group is None:
            data = {"query": row["query"], "rubrics": []}
            if row.get("query_id"):
                data["id"] = row["query_id"]
            if row.get("query_tags"):
                data["tags"] = _split(row["query_tags"])
            group = groups[key] = RawEntry(str(path), line, data)
        elif group.data["query"] != row["query"]:
            problems.append(
                InputProblem(str(path), line, "query", f"query_id {key!r} has another query text at line {group.line}")
            )
            continue
        group.data["rubrics"].append(rubric)
    yield from groups.values()


READERS = {".jsonl": read_jsonl, ".ndjson": read_jsonl, ".csv": read_csv, ".yaml": read_yaml, ".yml": read_yaml}


def read_entries(path: Path, problems: list[InputProblem]) -> list[RawEntry]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        problems.append(
            InputProblem(
                str(path), None, None, f"unknown file type {path.suffix!r}; expected .jsonl, .csv, .yaml or .yml"
            )
        )
        return []
    return list(reader(path, problems))
