"""Reading a TeleMath export: JSON Lines or a JSON array (through the shared reader), or Parquet (needs pyarrow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.reader import Entry, parse_records, read_entries
from kb import EnvironmentProblem, InputProblem


def read_parquet(path: Path, problems: list[InputProblem]) -> list[Entry[Any]]:
    """One entry per row; its `line` is the 1-based row number."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise EnvironmentProblem(
            f"{path}: reading Parquet needs pyarrow; run `pip install pyarrow`, or export the dataset as JSONL"
        ) from None
    try:
        rows = pq.read_table(path).to_pylist()
    except (OSError, ValueError) as exc:
        problems.append(InputProblem(str(path), None, None, f"not a readable Parquet file: {exc}"))
        return []
    return [Entry(str(path), number, row) for number, row in enumerate(rows, start=1)]


def read_telemath(path: Path, problems: list[InputProblem]) -> list[Entry[Any]]:
    """The export's raw rows, each with its line (or row number)."""
    if path.suffix.lower() == ".parquet":
        return read_parquet(path, problems)
    parsers = {".jsonl": parse_records, ".json": parse_records}
    return read_entries(path, problems, parsers, expected=".jsonl, .json or .parquet")
