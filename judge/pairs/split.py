"""Held-out splits of a pair set by category, seeded."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from judge.pairs.model import PreferencePair


class PairSplit(BaseModel, frozen=True):
    """Pairs to learn from (`train`) and pairs of other categories kept back (`held_out`)."""

    train: tuple[PreferencePair, ...]
    held_out: tuple[PreferencePair, ...]
    held_out_categories: tuple[str, ...] = Field(description="Categories whose pairs are all in held_out.")
    seed: int


def split_by_category(
    pairs: Sequence[PreferencePair],
    *,
    held_out: Sequence[str] | None = None,
    fraction: float = 0.3,
    seed: int = 0,
) -> PairSplit:
    """Keep whole categories back: the named ones, or (seeded shuffle) categories until at least `fraction` of the
    pairs are held out. Pairs without a category count as category ''.

    Raises:
        ValueError: a named category has no pairs, or `fraction` is not in (0, 1).
    """
    counts = Counter(p.category or "" for p in pairs)
    if held_out is None:
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be in (0, 1), got {fraction}")
        order = sorted(counts)
        np.random.default_rng(seed).shuffle(order)
        chosen: list[str] = []
        for category in order:
            if sum(counts[c] for c in chosen) >= fraction * len(pairs) or len(chosen) == len(order) - 1:
                break
            chosen.append(category)
    else:
        missing = [c for c in held_out if c not in counts]
        if missing:
            raise ValueError(f"no pairs in categories {missing}; categories are {sorted(counts)}")
        chosen = list(held_out)
    keep = set(chosen)
    return PairSplit(
        train=tuple(p for p in pairs if (p.category or "") not in keep),
        held_out=tuple(p for p in pairs if (p.category or "") in keep),
        held_out_categories=tuple(sorted(keep)),
        seed=seed,
    )
