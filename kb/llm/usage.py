"""Token usage per call, additive per model."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, Field, computed_field


class TokenUsage(BaseModel, frozen=True):
    """Tokens one or more calls to one model consumed."""

    model: str = Field(description="Model name the endpoint reported (or was asked for).")
    input_tokens: int = Field(ge=0, description="Prompt tokens.")
    output_tokens: int = Field(ge=0, description="Completion tokens.")

    @computed_field
    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: TokenUsage) -> TokenUsage:
        if not isinstance(other, TokenUsage):
            return NotImplemented
        if other.model != self.model:
            raise ValueError(f"cannot add token usage of different models: {self.model!r} + {other.model!r}")
        return TokenUsage(
            model=self.model,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
        )

    @classmethod
    def from_metadata(cls, model: str, usage: Mapping[str, Any] | None) -> TokenUsage | None:
        """Read langchain `usage_metadata` or OpenAI `usage`; None when the server reported none."""
        if not usage:
            return None
        inp = usage.get("input_tokens", usage.get("prompt_tokens"))
        out = usage.get("output_tokens", usage.get("completion_tokens"))
        if inp is None or out is None:
            return None
        return cls(model=model, input_tokens=int(inp), output_tokens=int(out))


def sum_usage(usages: Iterable[TokenUsage | None]) -> TokenUsage | None:
    """Sum usages of one model; None if there are none or any is unknown (a partial sum would under-count)."""
    items = list(usages)
    if not items or any(u is None for u in items):
        return None
    total = items[0]
    for u in items[1:]:
        total = total + u  # type: ignore[operator]
    return total
