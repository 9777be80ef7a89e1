"""Progress reporting for long jobs: library code reports to a sink; only the CLI draws bars (on stderr)."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    def start(self, total: int, label: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    """Reports nothing."""

    def start(self, total: int, label: str) -> None: ...
    def advance(self, n: int) -> None: ...
    def close(self) -> None: ...


class BarProgress:
    """A tqdm bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, enabled: bool = True):
        self._enabled = enabled and sys.stderr.isatty()
        self._bar = None

    def start(self, total: int, label: str) -> None:
        self.close()
        if self._enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, unit="row", file=sys.stderr, leave=False)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
