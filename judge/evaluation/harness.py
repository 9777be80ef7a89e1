"""The evaluation harness: judge every pair of a set one way (pointwise or pairwise, with one rubric source) and
report accuracy, swap consistency, tie / error rates, ROC-AUC, per-category breakdowns, tokens and time.

    report = evaluate(pairs, settings, mode="pairwise", rubrics="none")
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from judge.aggregate import aggregate
from judge.evaluation.checkpoint import CheckpointHeader, OutcomeLog
from judge.evaluation.conditions import GENERIC_CRITERIA, ConditionCriteria
from judge.evaluation.identity import judging_settings, prompt_refs
from judge.evaluation.metrics import best_of_n, breakdown, metrics
from judge.evaluation.report import EvalConfig, EvalMode, EvalReport, PairOutcome, Preferred, RubricSource
from judge.inputs import judged_input
from judge.llm_judge import Criterion, ajudge_criteria, ajudge_pair, both_orders
from judge.pairs import PreferencePair, Response
from judge.result import CriterionVerdict, JudgeError, RewardResult
from judge.reward_model import RewardModel
from kb import KnowledgeBase, LLMClient, NoProgress, Progress, Settings, TokenUsage, Transport

logger = logging.getLogger(__name__)


class _Judged:
    """One response's score (or error) with its cost and, when it has them, its per-criterion verdicts."""

    def __init__(
        self,
        score: float | None,
        error: str | None,
        usage: Sequence[TokenUsage | None] = (),
        latency_s: float = 0.0,
        decided_by: str = "",
        verdicts: Sequence[CriterionVerdict] = (),
    ) -> None:
        self.score, self.error, self.latency_s, self.decided_by = score, error, latency_s, decided_by
        self.verdicts = tuple(verdicts)
        self.input_tokens = sum(u.input_tokens for u in usage if u is not None)
        self.output_tokens = sum(u.output_tokens for u in usage if u is not None)


def _error_text(error: JudgeError | None) -> str | None:
    return None if error is None else f"{error.kind}: {error.message}"


def _text(response: Response, task_id: str | None) -> str:
    """What an LLM judge reads: text, or the transcript of chat messages / a τ² trajectory."""
    if isinstance(response, dict):
        return judged_input(None, trajectory=response, task_id=task_id).text
    return judged_input(response).text


def _preferred(a: float, b: float) -> Preferred:
    return "chosen" if a > b else "rejected" if b > a else "tie"


class Evaluation:
    """Judges pairs one way. Holds the reward model / client / criteria selection for the run.

    With `keep_verdicts`, pointwise outcomes carry each response's per-criterion verdicts (rubric analysis reads
    them); they are never written into a report."""

    def __init__(
        self,
        settings: Settings,
        *,
        mode: EvalMode | str = EvalMode.PAIRWISE,
        rubrics: RubricSource | str = RubricSource.NONE,
        granularity: str | None = None,
        kb: KnowledgeBase | None = None,
        transport: Transport | None = None,
        learned: Sequence[Criterion] = (),
        keep_verdicts: bool = False,
    ) -> None:
        self.mode, self.rubrics = EvalMode(mode), RubricSource(rubrics)
        self.keep_verdicts = keep_verdicts
        judge = settings.judge.model_copy(update={"granularity": granularity or settings.judge.granularity})
        # Judging counts no usage: pruning reads usage, so an evaluation would change what it measures as it goes
        # (and the `pruned` checkpoint's KB digest with it).
        judge = judge.model_copy(update={"record_usage": False})
        update: dict[str, Any] = {
            "judge": judge,
            "retrieval": settings.retrieval.model_copy(update={"record_usage": False}),
        }
        if self.rubrics is RubricSource.SYNTHESISED:  # pruning never applies: neither usage nor the analysis rule
            update["pruning"] = settings.pruning.model_copy(update={"warmup_uses": 10**9, "min_precision": 0.0})
        self.settings = settings.model_copy(update=update)
        self.conditions = ConditionCriteria(self.settings, self.rubrics, learned, lambda: self.model.kb)
        self._transport = transport
        self._kb = kb
        self._model: RewardModel | None = None
        self.client = (
            LLMClient(self.settings.llm, transport, seed=self.settings.seed)
            if transport is not None
            else LLMClient.from_settings(self.settings)
        )

    @property
    def model(self) -> RewardModel:
        if self._model is None:
            self._model = RewardModel(self.settings, kb=self._kb, transport=self._transport)
        return self._model

    @property
    def _via_reward(self) -> bool:
        """Through `RewardModel` (the full reward; with `judge.backend = "bt"`, the BT baseline whatever `rubrics`)."""
        return self.rubrics in (RubricSource.SYNTHESISED, RubricSource.PRUNED) or self.settings.judge.backend == "bt"

    # pointwise ------------------------------------------------------------------------------------------------------
    async def _ascore(self, pair: PreferencePair, response: Response, criteria: list[Criterion]) -> _Judged:
        started = time.perf_counter()
        if self._via_reward:
            if isinstance(response, dict):
                result: RewardResult = await self.model.ascore(
                    pair.prompt, trajectory=response, task_id=pair.task_id, reference=pair.reference
                )
            else:
                result = await self.model.ascore(pair.prompt, response, task_id=pair.task_id, reference=pair.reference)
            deciders = {v.decided_by.kind for v in result.verdicts if v.decided_by is not None}
            return _Judged(
                result.score,
                _error_text(result.error),
                result.usage,
                time.perf_counter() - started,
                "+".join(sorted(deciders)) or "none",
                result.verdicts,
            )
        chosen_criteria = criteria or list(GENERIC_CRITERIA)
        reply = await ajudge_criteria(
            self.client,
            pair.prompt,
            _text(response, pair.task_id),
            chosen_criteria,
            granularity=self.settings.judge.granularity,
            reference=pair.reference,
        )
        if reply.error is not None:
            return _Judged(None, _error_text(reply.error), [reply.usage], reply.latency_s, f"judge:{reply.model}")
        verdicts = reply.criterion_verdicts(chosen_criteria)
        score = aggregate(verdicts).score
        error = None if score is not None else "empty: every criterion was judged not applicable"
        return _Judged(score, error, [reply.usage], reply.latency_s, f"judge:{reply.model}", verdicts)

    async def _apointwise(self, pair: PreferencePair) -> PairOutcome:
        criteria = [] if self._via_reward else await asyncio.to_thread(self.conditions.criteria, pair)
        c, r = await asyncio.gather(
            self._ascore(pair, pair.chosen, criteria), self._ascore(pair, pair.rejected, criteria)
        )
        error = c.error or r.error
        preferred = None if error or c.score is None or r.score is None else _preferred(c.score, r.score)
        outcome = _outcome(
            pair,
            preferred,
            c.score,
            r.score,
            None,
            c.decided_by,
            error,
            c.input_tokens + r.input_tokens,
            c.output_tokens + r.output_tokens,
            c.latency_s + r.latency_s,
        )
        if not self.keep_verdicts:
            return outcome
        return outcome.model_copy(update={"chosen_verdicts": c.verdicts, "rejected_verdicts": r.verdicts})

    # pairwise -------------------------------------------------------------------------------------------------------
    async def _apairwise(self, pair: PreferencePair) -> PairOutcome:
        started = time.perf_counter()
        if self._via_reward and not isinstance(pair.chosen, dict):
            result = await self.model.acompare(pair.prompt, pair.chosen, pair.rejected, reference=pair.reference)  # type: ignore[arg-type]
            preferred = {"a": "chosen", "b": "rejected"}.get(result.winner or "", None)
            if preferred is None and result.error is None:
                preferred = "tie"
            usage = [result.usage]
            return _outcome(
                pair,
                preferred,
                None,
                None,
                result.consistent,
                result.decided_by,  # type: ignore[arg-type]
                _error_text(result.error),
                *_tokens(usage),
                time.perf_counter() - started,
            )
        if self._via_reward:  # trajectories: the reward scores each (verifiers decide), compare the scores
            return await self._apointwise(pair)
        criteria = await asyncio.to_thread(self.conditions.criteria, pair)
        texts = (_text(pair.chosen, pair.task_id), _text(pair.rejected, pair.task_id))

        async def judge_pair(req: str, first: str, second: str) -> Any:
            return await ajudge_pair(self.client, req, first, second, criteria, reference=pair.reference)

        outcome = await both_orders(judge_pair, pair.prompt, *texts)
        preferred = {"a": "chosen", "b": "rejected"}.get(outcome.winner or "")
        if outcome.error is None and preferred is None:
            preferred = "tie"  # a tie in both orders, or orders that disagree
        return _outcome(
            pair,
            preferred,
            None,
            None,
            outcome.consistent if outcome.error is None else None,  # type: ignore[arg-type]
            f"judge:{self.client.model}",
            _error_text(outcome.error),
            *_tokens([outcome.usage]),
            time.perf_counter() - started,
        )

    async def ajudge(self, pair: PreferencePair) -> PairOutcome:
        """One pair's outcome; a fault in one pair is an error outcome, never an exception for the run."""
        try:
            return await (self._apointwise(pair) if self.mode is EvalMode.POINTWISE else self._apairwise(pair))
        except Exception as exc:  # the per-pair boundary: one bad pair never stops an evaluation
            logger.exception("judging pair %s failed", pair.id)
            return _outcome(pair, None, None, None, None, "none", f"internal: {type(exc).__name__}: {exc}", 0, 0, 0.0)

    async def aclose(self) -> None:
        self.conditions.close()
        if self._model is not None:
            await self._model.aclose()
        await self.client.aclose()


def _tokens(usages: Sequence[TokenUsage | None]) -> tuple[int, int]:
    return sum(u.input_tokens for u in usages if u), sum(u.output_tokens for u in usages if u)


def _outcome(
    pair: PreferencePair,
    preferred: Preferred | None,
    cs: float | None,
    rs: float | None,
    consistent: bool | None,
    decided_by: str,
    error: str | None,
    tin: int,
    tout: int,
    latency: float,
) -> PairOutcome:
    return PairOutcome(
        pair_id=pair.id,
        category=pair.category,
        difficulty=pair.difficulty,
        group=pair.group,
        decisive=pair.decisive,
        preferred=None if error else preferred,
        chosen_score=cs,
        rejected_score=rs,
        consistent=consistent,
        decided_by=decided_by,
        error=error,
        input_tokens=tin,
        output_tokens=tout,
        latency_s=round(latency, 4),
    )


async def _run_all(
    judge: Callable[[PreferencePair], Awaitable[PairOutcome]],
    pairs: Sequence[PreferencePair],
    in_flight: int,
    progress: Progress,
) -> list[PairOutcome]:
    """Judge pairs with at most `in_flight` pairs open at once (LLM calls are bounded by the client's limit)."""
    queue = list(enumerate(pairs))
    out: list[PairOutcome | None] = [None] * len(pairs)

    async def worker() -> None:
        while queue:
            i, pair = queue.pop(0)
            out[i] = await judge(pair)
            progress.advance(1)

    await asyncio.gather(*(worker() for _ in range(max(1, min(in_flight, len(pairs))))))
    return [o for o in out if o is not None]


def report_of(outcomes: Sequence[PairOutcome], config: EvalConfig, seconds: float) -> EvalReport:
    """The report of a finished run."""
    return EvalReport(
        config=config,
        overall=metrics(outcomes),
        by_category=breakdown(outcomes, lambda o: o.category),
        by_difficulty=breakdown(outcomes, lambda o: o.difficulty),
        best_of_n=best_of_n(outcomes),
        pairs=len(outcomes),
        input_tokens=sum(o.input_tokens for o in outcomes),
        output_tokens=sum(o.output_tokens for o in outcomes),
        seconds=round(seconds, 3),
        outcomes=tuple(outcomes),
    )


async def aevaluate(
    pairs: Sequence[PreferencePair],
    settings: Settings,
    *,
    mode: EvalMode | str = EvalMode.PAIRWISE,
    rubrics: RubricSource | str = RubricSource.NONE,
    granularity: str | None = None,
    kb: KnowledgeBase | None = None,
    transport: Transport | None = None,
    learned: Sequence[Criterion] = (),
    limit: int | None = None,
    in_flight: int | None = None,
    progress: Progress | None = None,
    pairs_source: str = "",
    keep_verdicts: bool = False,
    checkpoint: Path | None = None,
    checkpoint_tag: str = "",
) -> EvalReport:
    """Judge every pair (the first `limit`) and report. `kb`: the KB for the reward / retrieval modes (default:
    opened from `settings`); `transport`: replaces the LLM transport (tests); `keep_verdicts`: pointwise outcomes
    keep each response's per-criterion verdicts (in memory only).

    `checkpoint`: a JSONL file each finished outcome is appended to; a rerun reuses its error-free outcomes (without
    verdicts) and judges only the rest, and `report.seconds` adds the earlier runs' time. Its header holds the run's
    configuration (plus `checkpoint_tag`, what fixes the criteria: the learned set, the reference check, the KB's
    content digest where the condition reads the KB, and the prompt versions and outcome-deciding settings:
    `judge.evaluation.identity`); a different one raises `InputRejected` naming the field. Nothing an evaluation
    judges is counted as KB usage."""
    chosen = list(pairs[:limit] if limit is not None else pairs)
    run = Evaluation(
        settings,
        mode=mode,
        rubrics=rubrics,
        granularity=granularity,
        kb=kb,
        transport=transport,
        learned=learned,
        keep_verdicts=keep_verdicts,
    )
    progress = progress or NoProgress()
    started = time.perf_counter()
    log: OutcomeLog | None = None
    try:
        config = EvalConfig(
            backend=run.settings.judge.backend,
            mode=run.mode,
            rubrics=run.rubrics,
            granularity=run.settings.judge.granularity,
            use_llm=run.settings.judge.use_llm,
            model=run.model.model_id if run.settings.judge.backend == "bt" else run.client.model,  # type: ignore[attr-defined]
            pairs_source=pairs_source,
            seed=run.settings.seed,
        )
        done: dict[str, PairOutcome] = {}
        if checkpoint is not None:
            tag = "|".join(t for t in (checkpoint_tag, run.conditions.tag()) if t)
            prompts = prompt_refs(run.settings, run.mode, run.rubrics)
            header = CheckpointHeader.of(
                config, tag, prompts=prompts, judging=judging_settings(run.settings, run.rubrics)
            )
            log = OutcomeLog.open(checkpoint, header)
            wanted = {p.id for p in chosen}
            done = {i: o for i, o in log.outcomes.items() if i in wanted and o.error is None}
            logger.info("checkpoint %s: reusing %d outcomes", checkpoint, len(done))
        todo = [p for p in chosen if p.id not in done]
        progress.start(len(todo), f"eval {run.mode}/{run.rubrics}")

        async def judge(pair: PreferencePair) -> PairOutcome:
            outcome = await run.ajudge(pair)
            if log is not None:
                log.append(outcome)
            return outcome

        judged = iter(await _run_all(judge, todo, in_flight or 2 * run.settings.llm.concurrency, progress))
    finally:
        if log is not None:
            log.close(time.perf_counter() - started)
        progress.close()
        await run.aclose()
    outcomes = [done[p.id] if p.id in done else next(judged) for p in chosen]
    earlier = log.earlier_seconds if log is not None else 0.0
    report = report_of(outcomes, config, time.perf_counter() - started + earlier)
    logger.info("eval %s/%s: accuracy %s over %d pairs", run.mode, run.rubrics, report.overall.accuracy, report.pairs)
    return report


def evaluate(pairs: Sequence[PreferencePair], settings: Settings, **kwargs: Any) -> EvalReport:
    """Sync `aevaluate` (not inside a running event loop)."""
    return asyncio.run(aevaluate(pairs, settings, **kwargs))
