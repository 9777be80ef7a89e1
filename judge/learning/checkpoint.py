"""The resumable record of a learning run: one JSON line per finished pair, appended and flushed as each finishes."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import ValidationError

from judge.learning.models import PairRubrics

logger = logging.getLogger(__name__)


class Checkpoint:
    """`<folder>/checkpoint.jsonl`: finished pairs survive an interruption; a torn last line is ignored."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, PairRubrics]:
        """Finished pairs by id (the last line of a pair wins; a partial line from a kill is skipped)."""
        done: dict[str, PairRubrics] = {}
        if not self.path.is_file():
            return done
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                result = PairRubrics.model_validate_json(line)
            except (ValidationError, json.JSONDecodeError):
                logger.warning("%s:%d: unreadable checkpoint line skipped (an interrupted write)", self.path, number)
                continue
            done[result.pair_id] = result
        return done

    def append(self, result: PairRubrics) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            if fh.tell() > 0 and not self._ends_with_newline():
                fh.write("\n")  # close a torn line first
            fh.write(result.model_dump_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"
