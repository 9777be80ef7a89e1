"""Hit-frequency pruning of KB rubrics before they reach the generator (and so before judging).

A rubric is pruned when it was retrieved at least `warmup_uses` times and its retrieval rate is below the floor
(too rare: noise) or above the ceiling (too common: generic), or, once it has `min_verdicts` verdicts,
when nearly every or nearly no judged response met it; or when the last rubric analysis on labelled pairs saw it
decide at least `min_decided` pairs and side with the chosen response in fewer than `min_precision` of them (it
misleads the judge). Comparisons are strict (`<`, `>`); rubrics without statistics or analysis are kept; with
`exempt_checked`, rubrics carrying a machine check are never pruned.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from kb import PruningSettings, RubricEvidence, RubricUsage, RubricView
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


def against_label(evidence: RubricEvidence, settings: PruningSettings) -> tuple[PruneReason, float] | None:
    """`AGAINST_LABEL` when the analysis saw the rubric decide enough pairs and mostly side with `rejected`."""
    if evidence.precision is None or evidence.n_decided < settings.min_decided:
        return None
    return (PruneReason.AGAINST_LABEL, settings.min_precision) if evidence.precision < settings.min_precision else None


def prune(
    items: Sequence[RubricView],
    stats: Mapping[str, RubricUsage],
    settings: PruningSettings,
    evidence: Mapping[str, RubricEvidence] | None = None,
) -> tuple[list[RubricView], list[PrunedRubric]]:
    """Split `items` into kept (order preserved) and pruned, with the reason and numbers of each pruned one.
    `evidence`: the recorded analyses (`kb.evidence_of`), none by default."""
    evidence = evidence or {}
    kept: list[RubricView] = []
    pruned: list[PrunedRubric] = []
    for rubric in items:
        row, found = stats.get(rubric.id), evidence.get(rubric.id)
        decision = None
        if not (settings.exempt_checked and rubric.check is not None):
            decision = (prune_reason(row, settings) if row else None) or (
                against_label(found, settings) if found else None
            )
        if decision is None:
            kept.append(rubric)
            continue
        reason, threshold = decision
        row = row or RubricUsage(rubric_id=rubric.id)
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
                precision=found.precision if found else None,
                decided=found.n_decided if found else 0,
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
