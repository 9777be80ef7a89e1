"""Reading preference pairs from JSON Lines in the common formats, with located errors (file:line: field: message).

Formats: `pairs` (`{prompt, chosen, rejected}` plus optional `PreferencePair` fields), `judgebench` (`question,
response_A, response_B, label "A>B"|"B>A"`), `rmbench` (`prompt, chosen[3], rejected[3]`), `rewardbench2`
(`prompt, chosen[list], rejected[list]`, best-of-n groups), `ppe` (`prompt, response_1, response_2, winner`).
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from judge.pairs.model import Difficulty, PreferencePair
from kb import InputProblem, InputRejected, content_hash

logger = logging.getLogger(__name__)


class PairFormat(StrEnum):
    AUTO = "auto"
    PAIRS = "pairs"
    JUDGEBENCH = "judgebench"
    RMBENCH = "rmbench"
    REWARDBENCH2 = "rewardbench2"
    PPE = "ppe"


# RM-Bench styles are ordered concise < detailed plain < detailed markdown: a chosen response in a plainer style
# than the rejected one is hard (style favours the rejected), the same style normal, a richer style easy.
RMBENCH_PAIRS: tuple[tuple[int, int, Difficulty], ...] = (
    (0, 2, Difficulty.HARD),
    (1, 1, Difficulty.NORMAL),
    (2, 0, Difficulty.EASY),
)


class _RowError(ValueError):
    """A problem with one field of one row."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


def detect_format(row: dict[str, Any]) -> PairFormat:
    """The format a row is in, from its keys.

    Raises:
        _RowError: no known format has these keys.
    """
    keys = set(row)
    if {"question", "response_A", "response_B", "label"} <= keys:
        return PairFormat.JUDGEBENCH
    if {"response_1", "response_2", "winner"} <= keys:
        return PairFormat.PPE
    if {"prompt", "chosen", "rejected"} <= keys:
        chosen, rejected = row["chosen"], row["rejected"]
        if isinstance(chosen, list) and all(isinstance(c, str) for c in chosen):
            if len(chosen) == 3 and isinstance(rejected, list) and len(rejected) == 3 and "subset" not in row:
                return PairFormat.RMBENCH
            return PairFormat.REWARDBENCH2
        return PairFormat.PAIRS
    raise _RowError(
        None,
        f"unknown pair format (keys: {', '.join(sorted(keys))}); expected prompt/chosen/rejected, "
        "question/response_A/response_B/label, or prompt/response_1/response_2/winner",
    )


def _text(row: dict[str, Any], field: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise _RowError(field, f"expected a non-empty string, got {type(value).__name__}")
    return value


def _row_id(row: dict[str, Any], fallback: Any) -> str:
    for key in ("id", "pair_id", "question_id"):
        if row.get(key) not in (None, ""):
            return str(row[key])
    return f"p-{content_hash(fallback)[:16]}"


def _from_pairs(row: dict[str, Any]) -> list[PreferencePair]:
    data = dict(row)
    data.setdefault("id", _row_id(row, [row.get("prompt"), row.get("chosen"), row.get("rejected")]))
    data["id"] = str(data["id"])
    return [PreferencePair.model_validate(data)]


def _from_judgebench(row: dict[str, Any]) -> list[PreferencePair]:
    prompt, a, b = _text(row, "question"), _text(row, "response_A"), _text(row, "response_B")
    label = str(row.get("label", "")).replace(" ", "")
    if label not in ("A>B", "B>A"):
        raise _RowError("label", f"expected 'A>B' or 'B>A', got {row.get('label')!r}")
    chosen, rejected = (a, b) if label == "A>B" else (b, a)
    category = row.get("source") or row.get("category")
    pid = _row_id(row, [prompt, a, b])
    return [
        PreferencePair(id=pid, prompt=prompt, chosen=chosen, rejected=rejected, category=category, source="judgebench")
    ]


def _string_list(row: dict[str, Any], field: str, size: int | None = None) -> list[str]:
    value = row.get(field)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise _RowError(field, "expected a non-empty list of non-empty strings")
    if size is not None and len(value) != size:
        raise _RowError(field, f"expected {size} responses, got {len(value)}")
    return value


def _from_rmbench(row: dict[str, Any], matrix: bool = False) -> list[PreferencePair]:
    prompt = _text(row, "prompt")
    chosen, rejected = _string_list(row, "chosen", 3), _string_list(row, "rejected", 3)
    base = _row_id(row, [prompt, chosen, rejected])
    cells = (
        [
            (i, j, Difficulty.NORMAL if i == j else Difficulty.HARD if i < j else Difficulty.EASY)
            for i in range(3)
            for j in range(3)
        ]
        if matrix
        else RMBENCH_PAIRS
    )
    return [
        PreferencePair(
            id=f"{base}:{i}{j}",
            prompt=prompt,
            chosen=chosen[i],
            rejected=rejected[j],
            difficulty=d,
            category=row.get("domain") or row.get("category"),
            group=base,
            source="rmbench",
        )
        for i, j, d in cells
    ]


def _from_rewardbench2(row: dict[str, Any]) -> list[PreferencePair]:
    prompt = _text(row, "prompt")
    chosen, rejected = _string_list(row, "chosen"), _string_list(row, "rejected")
    base = _row_id(row, [prompt, chosen, rejected])
    return [
        PreferencePair(
            id=f"{base}:{i}-{j}",
            prompt=prompt,
            chosen=c,
            rejected=r,
            group=base,
            source="rewardbench2",
            category=row.get("subset") or row.get("category"),
        )
        for i, c in enumerate(chosen)
        for j, r in enumerate(rejected)
    ]


_FIRST = {"model_a", "response_1", "1", "a"}
_SECOND = {"model_b", "response_2", "2", "b"}


def _from_ppe(row: dict[str, Any]) -> list[PreferencePair]:
    prompt, one, two = _text(row, "prompt"), _text(row, "response_1"), _text(row, "response_2")
    winner = str(row.get("winner", "")).strip().lower()
    if winner not in _FIRST | _SECOND:
        if "tie" in winner:
            return []  # a tie states no preference
        raise _RowError("winner", f"expected model_a / model_b (or 1 / 2), got {row.get('winner')!r}")
    chosen, rejected = (one, two) if winner in _FIRST else (two, one)
    pid = _row_id(row, [prompt, one, two])
    return [
        PreferencePair(
            id=pid,
            prompt=prompt,
            chosen=chosen,
            rejected=rejected,
            source="ppe",
            category=row.get("category") or row.get("source"),
        )
    ]


_CONVERTERS: dict[PairFormat, Callable[[dict[str, Any]], list[PreferencePair]]] = {
    PairFormat.PAIRS: _from_pairs,
    PairFormat.JUDGEBENCH: _from_judgebench,
    PairFormat.RMBENCH: _from_rmbench,
    PairFormat.REWARDBENCH2: _from_rewardbench2,
    PairFormat.PPE: _from_ppe,
}


def _lines(path: Path, problems: list[InputProblem]) -> Iterable[tuple[int, str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(InputProblem(str(path), None, None, f"cannot read file: {exc.strerror}"))
        return []
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(InputProblem(str(path), line, None, "not UTF-8; save the file as UTF-8"))
        return []
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def read_pairs(path: Path | str, *, format: PairFormat | str = PairFormat.AUTO) -> list[PreferencePair]:
    """Every pair in a JSON Lines file (`.jsonl` or `.jsonl.gz`), in file order.

    Raises:
        InputRejected: any row is invalid; every problem is listed as `file:line: field: message`.
    """
    path = Path(path)
    wanted = PairFormat(format)
    problems: list[InputProblem] = []
    pairs: list[PreferencePair] = []
    seen: dict[str, int] = {}
    for number, line in _lines(path, problems):
        where = (str(path), number)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(InputProblem(*where, None, f"invalid JSON at column {exc.colno}: {exc.msg}"))
            continue
        if not isinstance(row, dict):
            problems.append(InputProblem(*where, None, f"expected a JSON object, got {type(row).__name__}"))
            continue
        try:
            kind = detect_format(row) if wanted is PairFormat.AUTO else wanted
            made = _CONVERTERS[kind](row)
        except _RowError as exc:
            problems.append(InputProblem(*where, exc.field, str(exc)))
            continue
        except ValidationError as exc:
            for err in exc.errors()[:3]:
                field = ".".join(str(p) for p in err["loc"]) or None
                problems.append(InputProblem(*where, field, err["msg"]))
            continue
        for pair in made:
            if pair.id in seen:
                problems.append(
                    InputProblem(*where, "id", f"duplicate pair id {pair.id!r} (first on line {seen[pair.id]})")
                )
                continue
            seen[pair.id] = number
            pairs.append(pair)
    if problems:
        raise InputRejected(problems)
    logger.info("read %d pairs from %s", len(pairs), path)
    return pairs


def write_pairs(pairs: Iterable[PreferencePair], path: Path | str) -> int:
    """Write pairs as `{prompt, chosen, rejected, …}` JSON Lines (None fields left out); returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        for pair in pairs:
            fh.write(pair.model_dump_json(exclude_none=True) + "\n")
            n += 1
    return n
