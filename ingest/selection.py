"""Choosing a deterministic subset of a dataset for demos: the first N, or a seeded sample balanced over groups."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Selection:
    """Which items a job keeps: the first `limit` and/or a seeded, balanced `sample` (see `select_items`)."""

    limit: int | None = None
    sample: int | None = None
    seed: int | None = None  # None: the caller's default (a job uses the KB's `seed` setting)

    def choose(self, items: Sequence[T], *, group: Callable[[T], str] | None = None, default_seed: int = 0) -> list[T]:
        seed = default_seed if self.seed is None else self.seed
        return select_items(items, limit=self.limit, sample=self.sample, group=group, seed=seed)


def select_items(
    items: Sequence[T],
    *,
    limit: int | None = None,
    sample: int | None = None,
    group: Callable[[T], str] | None = None,
    seed: int = 0,
) -> list[T]:
    """Keep `items` in file order, restricted to the first `limit` and/or a seeded `sample` of that size.

    The sample is balanced: groups (e.g. issue families, categories) are shuffled with `seed` and taken in turn,
    so a 300-item sample of τ² tasks still holds service issues. The same seed gives the same sample.
    """
    chosen = list(range(len(items)))
    if limit is not None:
        chosen = chosen[: max(limit, 0)]
    if sample is not None and sample < len(chosen):
        rng = random.Random(seed)
        groups: dict[str, list[int]] = {}
        for i in chosen:
            groups.setdefault(group(items[i]) if group else "", []).append(i)
        queues = [groups[name] for name in sorted(groups)]
        for queue in queues:
            rng.shuffle(queue)
        picked: list[int] = []
        while len(picked) < sample:
            for queue in queues:
                if queue and len(picked) < sample:
                    picked.append(queue.pop())
        chosen = sorted(picked)
    return [items[i] for i in chosen]


def slug(text: str, *, prefix: str = "") -> str:
    """A tag slug (`kb.records.TAG_PATTERN`): lower-case, runs of other characters become `_`, at most 64 long."""
    body = re.sub(r"[^a-z0-9_.+\-/]+", "_", text.strip().casefold()).strip("_") or "none"
    return (prefix + body)[:64].rstrip("_")
