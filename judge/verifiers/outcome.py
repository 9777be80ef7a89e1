"""What every programmatic check returns: a verdict with a one-line reason (never a bare bool or a silent 0)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from judge.result import Verdict
from kb import TelerubricError


class CheckOutcome(BaseModel, frozen=True):
    """One machine check run on one response or trajectory.

    `not_applicable` means the check cannot speak to this input (no trajectory for a tool-call check, a
    policy rule whose trigger never happened); a check that *could not run* raises `VerifierError` instead.
    """

    verdict: Verdict
    reason: str = Field(description="One line: what was found, e.g. 'picked option 3 (expected 3)'.")
    verifier: str = Field(description="mcq | numeric | tool_call | policy | tau2")


class VerifierError(TelerubricError):
    """A verifier could not run on its input (unparseable trajectory, malformed check). The reward model turns
    it into `JudgeError(kind=VERIFIER, stage=VERIFY)`; it never becomes a score."""
