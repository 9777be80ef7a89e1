"""The resumable record of an evaluation run: a JSONL file holding a header (the run's configuration), then one
`PairOutcome` a line as each pair finishes, and one `{"run_seconds", "judged"}` line at the end of every run.

    log = OutcomeLog.open(path, CheckpointHeader.of(config))  # InputRejected when the file's header differs
    log.outcomes                                              # pair id -> its newest outcome
    log.append(outcome); log.close(run_seconds)
    read_checkpoint(path)                                     # header, outcomes, seconds: nothing runs
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field, ValidationError

from judge.evaluation.report import EvalConfig, PairOutcome
from kb import InputProblem, InputRejected

logger = logging.getLogger(__name__)


class CheckpointHeader(BaseModel, frozen=True, extra="forbid"):
    """What makes two runs' outcomes interchangeable: the judging configuration (not the pairs' source)."""

    backend: str
    mode: str
    rubrics: str
    granularity: str
    use_llm: bool
    model: str
    seed: int
    tag: str = ""
    prompts: tuple[str, ...] = Field((), description="`name@version` of the prompts the judging goes through.")
    judging: dict[str, Any] = Field(default_factory=dict, description="The outcome-deciding settings, flat.")

    @classmethod
    def of(
        cls, config: EvalConfig, tag: str = "", prompts: Sequence[str] = (), judging: dict[str, Any] | None = None
    ) -> CheckpointHeader:
        dumped = config.model_dump(mode="json", exclude={"pairs_source"})
        return cls(**dumped, tag=tag, prompts=tuple(prompts), judging=judging or {})


class RunRecord(BaseModel, frozen=True, extra="forbid"):
    """One run's wall time and how many pairs it judged."""

    run_seconds: float
    judged: int


def _problem(path: Path, line: int | None, message: str, field: str | None = None) -> InputRejected:
    return InputRejected([InputProblem(str(path), line, field, message)])


def _parse(path: Path, number: int, raw: bytes) -> PairOutcome | RunRecord | dict[str, Any]:
    """One line: an outcome, a run record or a header (its raw fields). ValueError when it is not JSON."""
    data = json.loads(raw.decode("utf-8"))
    try:
        if isinstance(data, dict) and "pair_id" in data:
            return PairOutcome.model_validate(data)
        if isinstance(data, dict) and "run_seconds" in data:
            return RunRecord.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _problem(path, number, f"{first['msg']}; fix or delete the line", where or None) from None
    if isinstance(data, dict) and isinstance(data.get("header"), dict):
        return data["header"]
    raise _problem(path, number, "neither a header, an outcome nor a run record; fix or delete the line")


class OutcomeLog:
    """An open checkpoint: what earlier runs finished, and an append-only handle for this run's outcomes."""

    def __init__(self, path: Path, handle: IO[str], outcomes: dict[str, PairOutcome], earlier_seconds: float):
        self.path, self._handle = path, handle
        self.outcomes = outcomes  # pair id -> the newest outcome in the file
        self.earlier_seconds = earlier_seconds  # wall time of the runs recorded in the file
        self.judged = 0

    @classmethod
    def open(cls, path: Path, header: CheckpointHeader) -> OutcomeLog:
        """Read `path` (if any) and open it for appending; a new file starts with `header`.

        Raises:
            InputRejected: the file's header differs from `header`, or a line other than a truncated last one is
                malformed; nothing is written then.
        """
        data = path.read_bytes() if path.exists() else b""
        scan = _scan(path, data, lambda number, stored: _check_header(path, number, stored, header))
        end = scan.end if scan.header is not None else 0  # empty, blank lines or a truncated header: start afresh
        if end < len(data):
            os.truncate(path, end)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a", encoding="utf-8")
        if scan.header is None:
            handle.write(json.dumps({"header": header.model_dump(mode="json")}) + "\n")
        elif end == len(data) and not data.endswith(b"\n"):
            handle.write("\n")  # a complete last line without its newline
        handle.flush()
        return cls(path, handle, scan.outcomes, scan.seconds)

    def append(self, outcome: PairOutcome) -> None:
        """Record one finished pair (without any verdicts: they are never serialised), an error by its kind only:
        its message can quote what was judged, and a rerun judges the pair again anyway."""
        if outcome.error is not None:
            outcome = outcome.model_copy(update={"error": outcome.error.split(":", 1)[0]})
        self._handle.write(outcome.model_dump_json() + "\n")
        self._handle.flush()
        self.judged += 1

    def close(self, run_seconds: float) -> None:
        """Record this run's wall time and close the file."""
        self._handle.write(RunRecord(run_seconds=round(run_seconds, 3), judged=self.judged).model_dump_json() + "\n")
        self._handle.close()


class StoredRun(BaseModel, frozen=True):
    """What a checkpoint file holds: its header, each pair's newest outcome and the recorded wall time."""

    header: CheckpointHeader
    outcomes: dict[str, PairOutcome]
    seconds: float = Field(description="Wall time of the runs that wrote the file (all their pairs).")


def read_checkpoint(path: Path) -> StoredRun:
    """Read a checkpoint without running anything (reports rebuilt from kept checkpoints).

    Raises:
        InputRejected: the file is missing, has no header, or a line other than a truncated last one is malformed.
    """
    if not path.is_file():
        raise _problem(path, None, "no such checkpoint file")
    scan = _scan(path, path.read_bytes(), lambda number, stored: _check_layout(path, number, stored))
    if scan.header is None:
        raise _problem(path, 1, "no header; not an evaluation checkpoint")
    try:
        header = CheckpointHeader.model_validate(scan.header)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise _problem(path, scan.header_line, f"not a checkpoint header ({first['msg']})", where or None) from None
    return StoredRun(header=header, outcomes=scan.outcomes, seconds=scan.seconds)


class _Scan(BaseModel, frozen=True):
    header: dict[str, Any] | None
    header_line: int
    outcomes: dict[str, PairOutcome]
    seconds: float
    end: int = Field(description="Bytes of whole lines (where appending starts).")


def _scan(path: Path, data: bytes, check: Callable[[int, dict[str, Any]], None]) -> _Scan:
    """Every line of a checkpoint: the header's raw fields, the newest outcome per pair, the runs' wall time.
    `check(line, header)` runs as soon as the header is read, so a refused header is reported before later lines."""
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    stored: dict[str, Any] | None = None
    header_line = 0
    outcomes: dict[str, PairOutcome] = {}
    seconds = 0.0
    end = len(data)
    numbered = [(n, raw) for n, raw in enumerate(lines, 1) if raw.strip()]
    if tail.strip():
        numbered.append((len(lines) + 1, tail))
    for number, raw in numbered:
        try:
            record = _parse(path, number, raw)
        except ValueError as exc:  # not JSON (InputRejected is not a ValueError)
            if number > len(lines):  # the last line, without its newline
                logger.warning("%s:%d: ignoring a truncated last line (a run was stopped mid-write)", path, number)
                end = len(data) - len(tail)
                break
            raise _problem(path, number, f"not JSON ({exc}); fix or delete the line") from None
        if isinstance(record, dict):
            if stored is not None:
                raise _problem(path, number, "a second header; a checkpoint holds one run configuration")
            check(number, record)
            stored, header_line = record, number
        elif stored is None:
            raise _problem(path, number, "no header before this line; not an evaluation checkpoint")
        elif isinstance(record, PairOutcome):
            outcomes[record.pair_id] = record
        else:
            seconds += record.run_seconds
    return _Scan(header=stored, header_line=header_line, outcomes=outcomes, seconds=seconds, end=end)


def _check_layout(path: Path, number: int, stored: dict[str, Any]) -> None:
    if "prompts" not in stored:
        raise _problem(
            path,
            number,
            "written before checkpoints recorded their prompt versions and judging settings; start a new checkpoint "
            "file (its outcomes cannot be matched to this run's configuration)",
            "prompts",
        )


def _check_header(path: Path, number: int, stored: dict[str, Any], header: CheckpointHeader) -> None:
    _check_layout(path, number, stored)
    current = header.model_dump(mode="json")
    stored, current = _flat(stored), _flat(current)
    differ = [k for k in (*current, *(k for k in stored if k not in current)) if stored.get(k) != current.get(k)]
    if differ:
        field = differ[0]
        raise _problem(
            path,
            number,
            f"the checkpoint was written with {field}={stored.get(field)!r}, this run has {current.get(field)!r}; "
            "use the same configuration or another checkpoint file",
            field,
        )


def _flat(header: dict[str, Any]) -> dict[str, Any]:
    """The header with its `judging` settings as `judging.<section>.<key>` fields, so a mismatch names the setting."""
    judging = header.get("judging")
    if not isinstance(judging, dict):
        return header
    return {**{k: v for k, v in header.items() if k != "judging"}, **{f"judging.{k}": v for k, v in judging.items()}}
