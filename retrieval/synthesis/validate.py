"""Validation of candidate items: merge near-duplicates by embedding cosine, then cap the size by coding rate."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel

from kb import Embedder, Importance, RubricView, SynthesisSettings
from retrieval.diversity import check_vectors, select_by_coding_rate
from retrieval.rubric_set import RubricItem

logger = logging.getLogger(__name__)

# Lower ranks win a merge; pitfalls (met = bad) only ever merge with pitfalls.
_RANK = {Importance.ESSENTIAL: 0, Importance.IMPORTANT: 1, Importance.OPTIONAL: 2, Importance.PITFALL: 0}


class Validated(BaseModel, frozen=True):
    items: tuple[RubricItem, ...]
    merged: int
    dropped: int


def embed_items(embedder: Embedder, items: Sequence[RubricItem]) -> np.ndarray:
    """Unit vectors of the item texts; an embedding failure raises (never zero vectors)."""
    vectors = check_vectors(np.asarray(embedder.embed([i.text for i in items])))
    if vectors.shape[0] != len(items):
        raise ValueError(f"embedder returned {vectors.shape[0]} vectors for {len(items)} texts")
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def merge_duplicates(items: Sequence[RubricItem], vectors: np.ndarray, threshold: float) -> dict[int, RubricItem]:
    """Survivors by original index (ascending). A duplicate (cosine ≥ threshold, same polarity) merges into
    the more important (then earlier) survivor, which gains its `derived_from` ids (and its check, if none)."""
    survivors: dict[int, RubricItem] = {}
    for i in sorted(range(len(items)), key=lambda i: (_RANK[items[i].importance], i)):
        pitfall = items[i].importance is Importance.PITFALL
        target = next(
            (
                j
                for j in survivors
                if (items[j].importance is Importance.PITFALL) == pitfall
                and float(vectors[i] @ vectors[j]) >= threshold
            ),
            None,
        )
        if target is None:
            survivors[i] = items[i]
            continue
        kept = survivors[target]
        survivors[target] = kept.model_copy(
            update={
                "derived_from": tuple(dict.fromkeys(kept.derived_from + items[i].derived_from)),
                "check": kept.check or items[i].check,
            }
        )
        logger.debug("merged %s into %s", items[i].id, kept.id)
    return dict(sorted(survivors.items()))


def verify_checks(
    items: Sequence[RubricItem], sources: Mapping[str, RubricView], embedder: Embedder, threshold: float
) -> list[RubricItem]:
    """Drop a carried machine check when the item's text is not close (cosine < threshold) to the checked source
    rubric's text: a wrong source number must not attach another rubric's verifier."""
    pairs = [
        (n, next(s for s in item.derived_from if sources[s].check == item.check))
        for n, item in enumerate(items)
        if item.check is not None
    ]
    if not pairs:
        return list(items)
    texts = [items[n].text for n, _ in pairs] + [sources[s].text for _, s in pairs]
    vectors = check_vectors(np.asarray(embedder.embed(texts)))
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    out = list(items)
    for j, (n, source) in enumerate(pairs):
        cosine = float(vectors[j] @ vectors[len(pairs) + j])
        if cosine < threshold:
            logger.info(
                "dropped the %s check of %s: cosine %.2f with its source %s",
                items[n].check.type,
                items[n].id,
                cosine,
                source,
            )
            out[n] = items[n].model_copy(update={"check": None})
    return out


def validate_items(
    items: Sequence[RubricItem], embedder: Embedder, settings: SynthesisSettings, seed: int, *, ranked: bool = False
) -> Validated:
    """Merge near-duplicates, then keep at most `max_items`: by coding rate when `diversity` is on, else (and
    always for `ranked` items, e.g. retrieved rubrics in rank order) the first ones."""
    if not items:
        return Validated(items=(), merged=0, dropped=0)
    vectors = embed_items(embedder, items)
    survivors = merge_duplicates(items, vectors, settings.merge_similarity)
    indices, kept = list(survivors), list(survivors.values())
    if len(kept) > settings.max_items:
        if settings.diversity and not ranked:
            selection = select_by_coding_rate(
                vectors[indices], settings.max_items, eps=settings.coding_rate_eps, seed=seed
            )
            kept = [kept[j] for j in sorted(selection.indices)]
        else:
            kept = kept[: settings.max_items]
    return Validated(items=tuple(kept), merged=len(items) - len(survivors), dropped=len(survivors) - len(kept))
