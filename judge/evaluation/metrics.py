"""Metrics over pair outcomes: accuracy, tie / error rates, swap consistency, ROC-AUC (numpy, no sklearn)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from judge.evaluation.report import Metrics, PairOutcome


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve: the probability that a random positive scores above a random negative (ties
    count half), via average ranks (Mann–Whitney U). None when a class is missing."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=int)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    u = ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def _share(k: int, n: int) -> float | None:
    return k / n if n else None


def metrics(outcomes: Sequence[PairOutcome]) -> Metrics:
    """Metrics over the decisive outcomes."""
    used = [o for o in outcomes if o.decisive]
    n = len(used)
    errors = sum(o.error is not None for o in used)
    ties = sum(o.preferred == "tie" for o in used)
    correct = sum(o.correct for o in used)
    judged = [o for o in used if o.consistent is not None and o.error is None]
    scored = [o for o in used if o.chosen_score is not None and o.rejected_score is not None]
    auc = None
    if scored:
        auc = roc_auc(
            [o.chosen_score for o in scored] + [o.rejected_score for o in scored],  # type: ignore[misc]
            [1] * len(scored) + [0] * len(scored),
        )
    return Metrics(
        n=n,
        accuracy=_share(correct, n),
        accuracy_answered=_share(correct, n - errors - ties),
        tie_rate=_share(ties, n),
        error_rate=_share(errors, n),
        swap_consistency=_share(sum(bool(o.consistent) for o in judged), len(judged)),
        roc_auc=auc,
    )


def breakdown(outcomes: Sequence[PairOutcome], key: Callable[[PairOutcome], str | None]) -> dict[str, Metrics]:
    """Metrics per value of `key` (outcomes where it is None are left out)."""
    groups: dict[str, list[PairOutcome]] = defaultdict(list)
    for o in outcomes:
        k = key(o)
        if k is not None:
            groups[k].append(o)
    return {k: metrics(v) for k, v in sorted(groups.items())}


def best_of_n(outcomes: Sequence[PairOutcome]) -> float | None:
    """Share of groups (RewardBench 2 items) in which chosen was preferred in every pair; None without groups."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for o in outcomes:
        if o.group is not None and o.decisive:
            groups[o.group].append(o.correct)
    if not groups:
        return None
    return sum(all(v) for v in groups.values()) / len(groups)
