"""Rewards as plain finite numbers for frameworks that have no "skip" (verl, OpenRLHF).

verl puts `score` into the token-level reward tensor and normalises it per prompt group with `torch.mean` /
`torch.std` (GRPO) and, for GDPO, does the same per component key; OpenRLHF takes `rewards` as they are. A NaN there
turns every advantage of the group into NaN, and an invented 0.0 (or 1.0) trains the policy on a verdict nobody gave.
So a value that is missing — an error, or a component that does not apply to this response — is filled with the
mean of the same value over the other responses of its group that have one: its advantage within the group is then
zero, which is what TRL does with `None` (no learning signal), and the group's baseline is unchanged. When no member
of the group has the value (every response failed, or the component applies to none), every member gets 0.0: equal
values, so again zero advantage. `reward_error` (1.0 / 0.0) says which samples were filled because they failed.

Weak spot: the group is what one call saw (verl's batch, or the responses coalesced within a few milliseconds); a
sample scored alone gets 0.0 on error, which is a real penalty. See docs/rl-integration.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from judge.result import COMPONENTS, RewardResult

ERROR_KEY = "reward_error"
FLAT_KEYS: tuple[str, ...] = ("score", *COMPONENTS, ERROR_KEY)  # the same keys for every sample, in this order


class FlatReward(BaseModel, frozen=True):
    """One sample's reward as finite numbers under fixed keys (see the module docstring for how gaps are filled)."""

    score: float
    components: dict[str, float] = Field(description="Every key of COMPONENTS.")
    filled: tuple[str, ...] = Field((), description="Keys whose value was filled (missing in the result).")
    error: bool = Field(False, description="The reward failed; `score` is the group-neutral fill.")

    def as_dict(self) -> dict[str, float]:
        """`{"score", <every component>, "reward_error"}` as floats (the key set of FLAT_KEYS)."""
        return {"score": self.score, **self.components, ERROR_KEY: 1.0 if self.error else 0.0}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def flatten_group(results: Sequence[RewardResult]) -> list[FlatReward]:
    """The rewards of one group (rollouts of one prompt) as finite numbers, gaps filled group-neutrally."""
    score_fill = _mean([r.score for r in results if r.score is not None])
    component_fill = {
        key: _mean([v for r in results if (v := r.components.get(key)) is not None]) for key in COMPONENTS
    }
    flat = []
    for result in results:
        components, filled = {}, []
        for key in COMPONENTS:
            value = result.components.get(key)
            if value is None:
                components[key] = component_fill[key]
                filled.append(key)
            else:
                components[key] = float(value)
        score = score_fill if result.score is None else float(result.score)
        if result.score is None:
            filled.insert(0, "score")
        flat.append(
            FlatReward(score=score, components=components, filled=tuple(filled), error=result.error is not None)
        )
    return flat
