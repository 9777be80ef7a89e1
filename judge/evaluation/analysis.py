"""Rubric analysis (Auto-Rubric's): per rubric over a labelled pair set, how often it decides a pair (coverage),
how often its decision agrees with the label (precision), and how much pair accuracy drops without it
(contribution), with its KB usage statistics. Each pair is judged once, pointwise, through the evaluation harness;
contributions are recomputed from the same verdicts with the judge's aggregation (no further LLM calls).

    report = await aanalyse_rubrics(pairs, settings, rubrics="retrieved", kb=kb)
    record_analysis(kb, report, "out/analysis.json")   # the UI reads `stored_analysis(kb, rubric_id)`

A criterion *decides* a pair when it is met for one response and not met for the other (not applicable on either
side, or the same verdict on both, is no decision). Its side is the response that met it, or for a pitfall the one
that did not. A criterion counts for every KB rubric behind it (`rubric_ids`), or under its own id when none is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from judge.aggregate import aggregate
from judge.evaluation.harness import aevaluate
from judge.evaluation.report import EvalConfig, EvalMode, Metrics, PairOutcome, RubricSource
from judge.llm_judge import Criterion
from judge.pairs import PreferencePair
from judge.result import CriterionVerdict, Verdict
from kb import (
    ANALYSIS_NAMESPACE,
    LATEST_ANALYSIS_KEY,
    Importance,
    KnowledgeBase,
    Progress,
    RubricEvidence,
    RubricUsage,
    RubricView,
    Settings,
    Transport,
    analysis_key,
)

logger = logging.getLogger(__name__)

ANALYSED_SOURCES = (RubricSource.RETRIEVED, RubricSource.SYNTHESISED, RubricSource.PRUNED, RubricSource.LEARNED)


class UsageStats(BaseModel, frozen=True):
    """A rubric's KB usage counts and the rates pruning reads (`kb.RubricUsage`, with the rates as fields)."""

    retrieved: int
    used: int
    met: int
    not_met: int
    not_applicable: int
    retrieval_rate: float | None = Field(None, description="Share of retrieval calls that returned it.")
    met_rate: float | None = Field(None, description="Share of its applicable verdicts that were met.")

    @classmethod
    def of(cls, usage: RubricUsage) -> UsageStats:
        return cls(
            retrieved=usage.retrieved,
            used=usage.used,
            met=usage.met,
            not_met=usage.not_met,
            not_applicable=usage.not_applicable,
            retrieval_rate=usage.retrieval_rate,
            met_rate=usage.met_rate,
        )


class RubricAnalysis(RubricEvidence, frozen=True):
    """One rubric's coverage, precision and contribution over the analysed pairs (the decisions are `RubricEvidence`,
    what pruning reads back from the KB)."""

    text: str
    kind: str
    importance: str
    in_kb: bool = Field(False, description="A KB rubric (else a synthesised or learned criterion's own id).")
    n_pairs_present: int = Field(description="Judged pairs in whose verdicts it appears (either response).")
    coverage: float | None = Field(None, description="n_decided ÷ judged pairs; None without judged pairs.")
    usage: UsageStats | None = Field(None, description="KB usage statistics; None when the KB holds none for it.")
    analysis_path: str | None = Field(None, description="The run's analysis.json.")


class AnalysisReport(BaseModel, frozen=True):
    """A rubric analysis run: its evaluation configuration, the recomputed accuracy and one entry per rubric."""

    config: EvalConfig
    overall: Metrics = Field(description="The harness's metrics of the same run (pointwise).")
    pairs: int = Field(description="Pairs judged (labelled or not).")
    labelled: int = Field(description="Pairs whose label is decisive (the accuracy denominator).")
    judged: int = Field(description="Labelled pairs with verdicts for both responses (the coverage denominator).")
    accuracy: float | None = Field(None, description="Accuracy recomputed from the verdicts with every rubric.")
    gate_cap: float = Field(description="The aggregation's gate cap used in the recomputation.")
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    rubrics: tuple[RubricAnalysis, ...] = Field((), description="Sorted by contribution, highest first.")


def rubric_keys(verdict: CriterionVerdict) -> tuple[str, ...]:
    """The rubrics a verdict counts for: the KB rubrics behind it, else its own criterion id."""
    return verdict.rubric_ids or (verdict.criterion_id,)


def direction(chosen: CriterionVerdict, rejected: CriterionVerdict) -> int:
    """+1 when the criterion favours chosen, -1 when it favours rejected, 0 when it does not decide the pair."""
    if {chosen.verdict, rejected.verdict} != {Verdict.MET, Verdict.NOT_MET}:
        return 0
    side = 1 if chosen.verdict is Verdict.MET else -1
    return -side if chosen.importance == Importance.PITFALL else side


def _score(verdicts: Sequence[CriterionVerdict], gate_cap: float, without: str | None = None) -> float | None:
    kept = [v for v in verdicts if without is None or without not in rubric_keys(v)]
    return aggregate(kept, gate_cap=gate_cap).score if kept else None


def _correct(outcome: PairOutcome, gate_cap: float, without: str | None = None) -> bool:
    c = _score(outcome.chosen_verdicts, gate_cap, without)
    r = _score(outcome.rejected_verdicts, gate_cap, without)
    return c is not None and r is not None and c > r


def _share(k: float, n: int) -> float | None:
    return k / n if n else None


def analyse_outcomes(
    outcomes: Sequence[PairOutcome],
    *,
    gate_cap: float = 0.0,
    views: Mapping[str, RubricView] | None = None,
    usage: Mapping[str, RubricUsage] | None = None,
) -> tuple[float | None, list[RubricAnalysis]]:
    """(recomputed accuracy, per-rubric analysis sorted by contribution) from pointwise outcomes that kept their
    verdicts. Undecisive pairs are left out; pairs with an error count as wrong with or without any rubric."""
    views, usage = views or {}, usage or {}
    labelled = [o for o in outcomes if o.decisive]
    judged = [o for o in labelled if o.error is None and o.chosen_verdicts and o.rejected_verdicts]
    base = {o.pair_id: _correct(o, gate_cap) for o in judged}
    accuracy = _share(sum(base.values()), len(labelled))
    first: dict[str, CriterionVerdict] = {}
    present: dict[str, list[PairOutcome]] = defaultdict(list)
    decided: dict[str, int] = defaultdict(int)
    agree: dict[str, int] = defaultdict(int)
    for o in judged:
        signal: dict[str, int] = defaultdict(int)
        rejected = {v.criterion_id: v for v in o.rejected_verdicts}
        for v in (*o.chosen_verdicts, *o.rejected_verdicts):
            for key in rubric_keys(v):
                first.setdefault(key, v)
                signal.setdefault(key, 0)
        for v in o.chosen_verdicts:
            if (other := rejected.get(v.criterion_id)) is not None:
                for key in rubric_keys(v):
                    signal[key] += direction(v, other)
        for key, s in signal.items():
            present[key].append(o)
            decided[key] += s != 0
            agree[key] += s > 0
    out: list[RubricAnalysis] = []
    for key, pairs in present.items():
        without = (
            sum(base.values()) - sum(base[o.pair_id] for o in pairs) + sum(_correct(o, gate_cap, key) for o in pairs)
        )
        view, seen = views.get(key), first[key]
        out.append(
            RubricAnalysis(
                id=key,
                text=view.text if view else seen.text,
                kind=view.kind if view else seen.kind,
                importance=view.importance if view else seen.importance,
                in_kb=view is not None,
                n_pairs_present=len(pairs),
                n_decided=decided[key],
                n_agree=agree[key],
                coverage=_share(decided[key], len(judged)),
                precision=_share(agree[key], decided[key]),
                contribution=None if accuracy is None else round(accuracy - without / len(labelled), 9),
                usage=UsageStats.of(usage[key]) if key in usage else None,
            )
        )
    out.sort(key=lambda a: (a.contribution is None, -(a.contribution or 0.0), -(a.coverage or 0.0), a.id))
    return accuracy, out


async def aanalyse_rubrics(
    pairs: Sequence[PreferencePair],
    settings: Settings,
    *,
    rubrics: RubricSource | str = RubricSource.RETRIEVED,
    kb: KnowledgeBase | None = None,
    transport: Transport | None = None,
    learned: Sequence[Criterion] = (),
    granularity: str | None = None,
    limit: int | None = None,
    in_flight: int | None = None,
    progress: Progress | None = None,
    pairs_source: str = "",
) -> AnalysisReport:
    """Judge every pair pointwise with per-criterion verdicts (the evaluation harness) and analyse each rubric.

    `kb` gives rubric text and usage statistics (and is the KB the reward / retrieval modes use); without it the
    harness opens one from `settings` and the analysis carries no usage.

    Raises:
        ValueError: `rubrics` is `none` (there are no rubrics to analyse), or `learned` without learned criteria.
    """
    source = RubricSource(rubrics)
    if source not in ANALYSED_SOURCES:
        raise ValueError(f"rubric analysis needs rubrics: one of {', '.join(ANALYSED_SOURCES)}, not {source}")
    started = time.perf_counter()
    report = await aevaluate(
        pairs,
        settings,
        mode=EvalMode.POINTWISE,
        rubrics=source,
        granularity=granularity,
        kb=kb,
        transport=transport,
        learned=learned,
        limit=limit,
        in_flight=in_flight,
        progress=progress,
        pairs_source=pairs_source,
        keep_verdicts=True,
    )
    ids = sorted(
        {k for o in report.outcomes for v in (*o.chosen_verdicts, *o.rejected_verdicts) for k in rubric_keys(v)}
    )
    views: Mapping[str, RubricView] = {}
    usage: Mapping[str, RubricUsage] = {}
    if kb is not None and ids:
        views = await asyncio.to_thread(kb.rubrics, ids)
        usage = await asyncio.to_thread(kb.usage_of, list(views))
    gate_cap = settings.judge.gate_cap
    accuracy, analysed = analyse_outcomes(report.outcomes, gate_cap=gate_cap, views=views, usage=usage)
    labelled = [o for o in report.outcomes if o.decisive]
    logger.info("rubric analysis: %d rubrics over %d pairs (accuracy %s)", len(analysed), report.pairs, accuracy)
    return AnalysisReport(
        config=report.config,
        overall=report.overall,
        pairs=report.pairs,
        labelled=len(labelled),
        judged=sum(o.error is None and bool(o.chosen_verdicts and o.rejected_verdicts) for o in labelled),
        accuracy=accuracy,
        gate_cap=gate_cap,
        input_tokens=report.input_tokens,
        output_tokens=report.output_tokens,
        seconds=round(time.perf_counter() - started, 3),
        rubrics=tuple(analysed),
    )


def analyse_rubrics(pairs: Sequence[PreferencePair], settings: Settings, **kwargs: Any) -> AnalysisReport:
    """Sync `aanalyse_rubrics` (not inside a running event loop)."""
    return asyncio.run(aanalyse_rubrics(pairs, settings, **kwargs))


def record_analysis(kb: KnowledgeBase, report: AnalysisReport, path: Path | str) -> int:
    """Store the analysis where pruning (`kb.evidence_of`) and the UI read it, without a schema change: the KB's
    key-value cache (namespace `rubric_analysis`) holds the path of `analysis.json` under `rubric_analysis:latest`
    and each KB rubric's entry under `rubric_analysis:<id>` (a later analysis replaces it). Returns the entries
    stored."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    latest = {
        "path": str(Path(path).resolve()),
        "created_at": stamp,
        "rubrics": report.config.rubrics.value,
        "pairs_source": report.config.pairs_source,
        "pairs": report.pairs,
        "accuracy": report.accuracy,
    }
    kb.cache_put(LATEST_ANALYSIS_KEY, ANALYSIS_NAMESPACE, json.dumps(latest, sort_keys=True))
    stored = 0
    for rubric in report.rubrics:
        if rubric.in_kb:
            entry = rubric.model_copy(
                update={
                    "recorded_at": stamp,
                    "pairs_source": report.config.pairs_source,
                    "analysis_path": latest["path"],
                }
            )
            kb.cache_put(analysis_key(rubric.id), ANALYSIS_NAMESPACE, entry.model_dump_json())
            stored += 1
    return stored


def stored_analysis(kb: KnowledgeBase, rubric_id: str) -> RubricAnalysis | None:
    """The last recorded analysis of one KB rubric, if any."""
    raw = kb.cache_get(analysis_key(rubric_id))
    return RubricAnalysis.model_validate_json(raw) if raw else None


def latest_analysis_path(kb: KnowledgeBase) -> Path | None:
    """Where the last recorded `analysis.json` was written, if any analysis was recorded."""
    raw = kb.cache_get(LATEST_ANALYSIS_KEY)
    return Path(json.loads(raw)["path"]) if raw else None
