"""Hit-frequency pruning of KB rubrics before they reach the generator (and so before judging).

A rubric is pruned when it was retrieved at least `warmup_uses` times and its retrieval rate is below the floor
(too rare: noise) or above the ceiling (too common: generic), or, once it has `min_verdicts` verdicts,
when nearly every or nearly no judged response met it. Comparisons are strict (`<`, `>`); rubrics
without statistics are kept; with `exempt_checked`, rubrics carrying a machine check are never pruned.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from kb import PruningSettings, RubricUsage, RubricView
from retrieval.rubric_set import PrunedRubric, PruneReason

logger = logging.getLogger(__name__)


def prune_reason(stats: RubricUsage, settings: PruningSettings) -> tuple[PruneReason, float] | None:
    """The first rule `stats` breaks, with the threshold it crossed; None = keep."""
    if stats.retrieved < settings.warmup_uses:
        return None
    retrieval_rate = stats.retrieval_rate
    if retrieval_rate is not None:
        if retrieval_rate < settings.min_retrieval_rate:
            return PruneReason.TOO_RARE, settings.min_retrieval_rate
        if retrieval_rate > settings.max_retrieval_rate:
            return PruneReason.TOO_COMMON, settings.max_retrieval_rate
    met_rate = stats.met_rate
    if met_rate is not None and stats.verdicts >= settings.min_verdicts:
        if met_rate > settings.max_met_rate:
            return PruneReason.ALWAYS_MET, settings.max_met_rate
        if met_rate < settings.min_met_rate:
            return PruneReason.NEVER_MET, settings.min_met_rate
    return None


def prune(
    items: Sequence[RubricView], stats: Mapping[str, RubricUsage], settings: PruningSettings
) -> tuple[list[RubricView], list[PrunedRubric]]:
    """Split `items` into kept (order preserved) and pruned, with the reason and rates of each pruned one."""
    kept: list[RubricView] = []
    pruned: list[PrunedRubric] = []
    for rubric in items:
        row = stats.get(rubric.id)
        decision = None
        if row is not None and not (settings.exempt_checked and rubric.check is not None):
            decision = prune_reason(row, settings)
        if decision is None:
            kept.append(rubric)
            continue
        reason, threshold = decision
        assert row is not None
        pruned.append(
            PrunedRubric(
                rubric_id=rubric.id,
                text=rubric.text,
                reason=reason,
                threshold=threshold,
                retrieval_rate=row.retrieval_rate,
                met_rate=row.met_rate,
                retrieved=row.retrieved,
                verdicts=row.verdicts,
            )
        )
    if pruned:
        logger.info(
            "pruned %d of %d rubrics: %s",
            len(pruned),
            len(items),
            ", ".join(f"{p.rubric_id}={p.reason}" for p in pruned),
        )
    return kept, pruned
