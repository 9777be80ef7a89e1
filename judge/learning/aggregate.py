"""Query-agnostic aggregation (Auto-Rubric): pool the validated rubrics, pick them by coding-rate gain in batches
until the gain stays under `min_gain` for `patience` batches (exact, seeded MCR² from retrieval), then structure
the kept ones into Theme-Tips with their source pair ids. Rubrics that quote their own pair are dropped before
selection (judge/learning/specific.py): the set is meant for questions the pairs never asked."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from judge.learning.models import DraftRubric, LearnedRubric, LearnedSet, PairRubrics, Theme
from judge.learning.specific import SpecificityCheck
from kb import Embedder, derived_id, normalise_text
from retrieval import select_by_coding_rate

logger = logging.getLogger(__name__)


def pool(results: Sequence[PairRubrics]) -> list[tuple[DraftRubric, list[str], int]]:
    """Distinct validated rubrics (by normalised text, first-seen order) with their source pair ids and top round."""
    seen: dict[str, tuple[DraftRubric, list[str], int]] = {}
    for result in results:
        if not result.converged:
            continue
        for rubric in result.rubrics:
            key = normalise_text(rubric.text)
            if key not in seen:
                seen[key] = (rubric, [], 0)
            first, ids, top = seen[key]
            seen[key] = (first, [*ids, result.pair_id], max(top, result.round))
    return list(seen.values())


def select_in_batches(
    vectors: np.ndarray, *, batch: int, patience: int, min_gain: float, eps: float = 0.5, seed: int = 0
) -> tuple[list[int], list[float]]:
    """Rows in greedy coding-rate order, kept batch by batch until `patience` batches in a row gain under
    `min_gain` nats in total (those batches are dropped). Returns (indices, gains)."""
    if len(vectors) == 0:
        return [], []
    selection = select_by_coding_rate(vectors, len(vectors), eps=eps, seed=seed)
    kept: list[int] = []
    gains: list[float] = []
    low = 0
    pending: list[tuple[int, float]] = []
    for start in range(0, len(selection.indices), batch):
        chunk = list(zip(selection.indices[start : start + batch], selection.gains[start : start + batch], strict=True))
        if sum(g for _, g in chunk) < min_gain:
            low += 1
            pending += chunk
            if low >= patience:
                break
            continue
        for i, g in pending + chunk:  # a weak batch followed by a strong one is kept
            kept.append(i)
            gains.append(g)
        low, pending = 0, []
    return kept, gains


def learned_set(
    results: Sequence[PairRubrics],
    embedder: Embedder,
    *,
    batch: int = 4,
    patience: int = 2,
    min_gain: float = 0.5,
    seed: int = 0,
    eps: float = 0.5,
    texts: Mapping[str, str] | None = None,
    min_support: int = 3,
) -> LearnedSet:
    """The aggregated, Theme-Tips-structured set from every pair's outcome (converged ones only).

    `texts` (pair id → request and replies, every learning pair) enables the pair-specific check: a rubric with a
    phrase from its own pair that fewer than `min_support` pairs contain is dropped and listed in `pair_specific`.
    """
    pooled = pool(results)
    dropped: list[str] = []
    if texts is not None and min_support > 0:
        check = SpecificityCheck(texts, min_support)
        general = []
        for entry in pooled:
            phrase = check.quoted(entry[0].text, entry[1])
            if phrase is None:
                general.append(entry)
            else:
                dropped.append(entry[0].text)
                # pair ids only: the text quotes the pair, which may come from a data set that is never logged
                logger.info("learned: dropped a rubric quoting its pair %s (listed in pair_specific)", entry[1][0])
        pooled = general
    kept: list[LearnedRubric] = []
    if pooled:
        vectors = np.asarray(embedder.embed([r.text for r, _, _ in pooled]), dtype=np.float64)
        indices, gains = select_in_batches(
            vectors, batch=batch, patience=patience, min_gain=min_gain, eps=eps, seed=seed
        )
        for i, gain in zip(indices, gains, strict=True):
            rubric, ids, top = pooled[i]
            kept.append(
                LearnedRubric(
                    id=derived_id("r", "learned", rubric.kind, normalise_text(rubric.text)),
                    text=rubric.text,
                    kind=rubric.kind,
                    theme=" ".join(rubric.theme.lower().split()),
                    gain=round(gain, 6),
                    pair_ids=tuple(ids),
                    round=top,
                )
            )
    by_theme: dict[str, list[LearnedRubric]] = defaultdict(list)
    for r in kept:
        by_theme[r.theme].append(r)
    themes = tuple(
        Theme(
            theme=t,
            tips=tuple(r.text for r in rs),
            rubric_ids=tuple(r.id for r in rs),
            pair_ids=tuple(dict.fromkeys(p for r in rs for p in r.pair_ids)),
        )
        for t, rs in by_theme.items()
    )
    models = {r.model for r in results if r.model}
    prompts = sorted({p for r in results for p in r.prompts})
    logger.info(
        "learned: kept %d of %d pooled rubrics in %d themes (%d pair-specific dropped)",
        len(kept),
        len(pooled) + len(dropped),
        len(themes),
        len(dropped),
    )
    return LearnedSet(
        rubrics=tuple(kept),
        themes=themes,
        pool=len(pooled) + len(dropped),
        pair_specific=tuple(dropped),
        pairs=len(results),
        converged=sum(r.converged for r in results),
        model=",".join(sorted(models)),
        prompts=tuple(prompts),
        seed=seed,
        batch=batch,
        patience=patience,
        min_gain=min_gain,
        min_support=min_support if texts is not None else 0,
    )
