"""`PreferencePair`: one prompt with a preferred and a dispreferred response, and where it came from."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# A response is text, chat messages (a list of {role, content, ...}) or a τ² trajectory ({"calls": [...]}).
Response = str | list[dict[str, Any]] | dict[str, Any]


class Difficulty(StrEnum):
    """RM-Bench style difficulty of a pair (None on pairs from other sources)."""

    EASY = "easy"
    NORMAL = "normal"
    HARD = "hard"


class PreferencePair(BaseModel):
    """`chosen` is preferred over `rejected` as a response to `prompt`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="Stable pair id (data set id, or derived from the content).")
    prompt: str = Field(min_length=1, description="The request both responses answer.")
    chosen: Response = Field(description="The preferred response: text, chat messages or a τ² trajectory.")
    rejected: Response = Field(description="The dispreferred response.")
    strength: float | None = Field(None, ge=0.0, le=1.0, description="Label strength in [0, 1]; None = unknown.")
    critique: str | None = Field(None, description="Why chosen is better, if the data set says.")
    category: str | None = Field(None, description="Category for breakdowns and held-out splits.")
    difficulty: Difficulty | None = Field(None, description="RM-Bench difficulty, if any.")
    group: str | None = Field(None, description="Pairs sharing a group are one best-of-n item (RewardBench 2).")
    task_id: str | None = Field(None, description="τ² task id: lets the verifiers replay a trajectory.")
    reference: str | None = Field(None, description="Expected answer / explanation shown to the judge.")
    chosen_reward: float | None = Field(None, description="The data set's own reward of chosen (τ²'s), if any.")
    rejected_reward: float | None = Field(None, description="The data set's own reward of rejected, if any.")
    source: str = Field("pairs", description="Reader or builder that made the pair.")

    @property
    def decisive(self) -> bool:
        """False when the data set's own rewards tie (the label is not a real preference)."""
        if self.chosen_reward is None or self.rejected_reward is None:
            return True
        return self.chosen_reward != self.rejected_reward
