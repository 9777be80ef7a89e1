"""Errors a user can act on. Each carries the CLI exit code it maps to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TelerubricError(Exception):
    """Base class: a mistake of the caller or the environment, with a message that says what to do."""

    exit_code = 1


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file: `file:line: field: message`."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputRejected(TelerubricError):
    """Input files failed validation; nothing was written."""

    exit_code = 1

    def __init__(self, problems: Sequence[InputProblem]):
        self.problems = tuple(problems)
        head = "; ".join(str(p) for p in self.problems[:3])
        more = f" (+{len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        super().__init__(f"{len(self.problems)} problem(s), nothing written: {head}{more}")


class EnvironmentProblem(TelerubricError):
    """The environment is not usable as configured (store in use, model file missing, server down)."""

    exit_code = 3


class KBLocked(EnvironmentProblem):
    """Another process holds the embedded knowledge base."""


class SchemaTooNew(EnvironmentProblem):
    """The database was written by a newer telerubric."""


class EmbedderMismatch(EnvironmentProblem):
    """The collections were built with another embedding model."""


class ModelFileError(EnvironmentProblem):
    """A model file is missing or does not match its published hash."""
