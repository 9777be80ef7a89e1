"""The one located reader every job uses: text, JSON, JSON Lines, YAML and CSV into entries that know their file and
line. Every problem is an `InputProblem`: non-UTF-8 names the line, invalid JSON the line and column."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from kb import InputProblem

T = TypeVar("T")

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One record and where it stands: 1-based `line` (None: unknown) and its `key` when read from a JSON object."""

    file: str
    line: int | None
    data: T
    key: str | None = None


Parser = Callable[[str, str, list[InputProblem]], list[Entry[Any]]]
"""(text, file name, problems) → entries: how one format turns a file's text into located records."""


def decode(raw: bytes, file: str, problems: list[InputProblem]) -> str | None:
    """`raw` as UTF-8 text (a BOM is allowed); a decoding error names the line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        problems.append(InputProblem(file, line, None, message))
        return None


def read_text(path: Path, problems: list[InputProblem]) -> str | None:
    """The file's UTF-8 text, or None after appending the problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(InputProblem(str(path), None, None, f"cannot read file: {exc.strerror}"))
        return None
    return decode(raw, str(path), problems)


def read_entries(
    path: Path, problems: list[InputProblem], parsers: Mapping[str, Parser], *, expected: str
) -> list[Entry[Any]]:
    """Read `path` with the parser for its suffix; an unknown suffix is one problem that says what was `expected`."""
    parser = parsers.get(path.suffix.lower())
    if parser is None:
        problems.append(InputProblem(str(path), None, None, f"unknown file type {path.suffix!r}; expected {expected}"))
        return []
    text = read_text(path, problems)
    return [] if text is None else parser(text, str(path), problems)


def _json_problem(file: str, line: int, exc: json.JSONDecodeError, hint: str = "") -> InputProblem:
    return InputProblem(file, line, None, f"invalid JSON at column {exc.colno}: {exc.msg}{hint}")


def parse_jsonl(text: str, file: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """JSON Lines: one value a line; blank lines are skipped."""
    entries: list[Entry[Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(Entry(file, number, json.loads(line)))
        except json.JSONDecodeError as exc:
            problems.append(_json_problem(file, number, exc, "; expected one object a line"))
    return entries


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]


def _expect(text: str, pos: int, chars: str, what: str) -> int:
    pos = _skip(text, pos)
    if not text.startswith(tuple(chars), pos):
        raise json.JSONDecodeError(f"Expecting {what}", text, pos)
    return pos


def _members(text: str) -> tuple[str, list[tuple[int, str | None, Any]]]:
    """The root's bracket and (offset, key, value) of each member of a root array or object; raises JSONDecodeError."""
    pos = _skip(text, 0)
    root = text[pos : pos + 1]
    members: list[tuple[int, str | None, Any]] = []
    if root not in ("[", "{"):
        _, pos = _DECODER.raw_decode(text, pos)
    else:
        close = "]" if root == "[" else "}"
        pos = _skip(text, pos + 1)
        done = text.startswith(close, pos)
        pos += done
        while not done:
            start, key = pos, None
            if root == "{":
                _expect(text, pos, '"', "property name enclosed in double quotes")
                key, pos = _DECODER.raw_decode(text, pos)
                pos = _skip(text, _expect(text, pos, ":", "':' delimiter") + 1)
            value, pos = _DECODER.raw_decode(text, pos)
            members.append((start, key, value))
            pos = _expect(text, pos, "," + close, "',' delimiter") + 1
            done = text[pos - 1] == close
            pos = _skip(text, pos)
    if _skip(text, pos) != len(text):
        raise json.JSONDecodeError("Extra data", text, _skip(text, pos))
    return root, members


def parse_json_members(
    text: str, file: str, problems: list[InputProblem], *, root: type[list] | type[dict], expected: str
) -> list[Entry[Any]]:
    """A JSON document whose root is `root` (an array or an object): one entry per element (or per key, with `key`
    set), each with the line it starts on. A wrong root is one problem at line 1 that says what was `expected`."""
    try:
        bracket, members = _members(text)
    except json.JSONDecodeError as exc:
        problems.append(_json_problem(file, exc.lineno, exc))
        return []
    if bracket != ("[" if root is list else "{"):
        problems.append(InputProblem(file, 1, None, f"expected {expected}"))
        return []
    entries: list[Entry[Any]] = []
    line, counted = 1, 0
    for start, key, value in members:
        line, counted = line + text.count("\n", counted, start), start
        entries.append(Entry(file, line, value, key))
    return entries


def parse_records(text: str, file: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """Records as JSON Lines, or as one JSON array of records (recognised by its leading `[`)."""
    if text.lstrip().startswith("["):
        return parse_json_members(text, file, problems, root=list, expected="a JSON array of records")
    return parse_jsonl(text, file, problems)


def parse_yaml(text: str, file: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """A YAML list of records, each with the line it starts on; an empty document has none."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(InputProblem(file, mark.line + 1 if mark else None, None, f"invalid YAML: {exc}"))
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode) or not isinstance(data, list):
        problems.append(InputProblem(file, 1, None, "expected a YAML list of records"))
        return []
    return [Entry(file, node.start_mark.line + 1, item) for node, item in zip(root.value, data, strict=True)]


def parse_csv(text: str, file: str, problems: list[InputProblem], *, columns: Sequence[str]) -> list[Entry[Any]]:
    """CSV rows as `{column: cell}` with their line; a column outside `columns` rejects the file, a row with more
    cells than columns is one problem."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in columns]
    if unknown:
        problems.append(
            InputProblem(file, 1, ",".join(unknown), f"unknown column; expected columns from {', '.join(columns)}")
        )
        return []
    rows: list[Entry[Any]] = []
    for row in reader:
        if None in row:
            problems.append(
                InputProblem(
                    file,
                    reader.line_num,
                    None,
                    f"{len(header) + len(row[None])} cells for {len(header)} columns; quote cells that contain commas",
                )
            )
            continue
        rows.append(Entry(file, reader.line_num, row))
    return rows
