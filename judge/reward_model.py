"""`RewardModel`: request + response (or τ² trajectory) → `RewardResult`, the library call inside reward computation.

Per request: retrieve neighbours, match the KB query the request is (its machine checks), build the rubric set
once (cached), then per response: programmatic checks first, the LLM judge for the criteria no check decided
(verdicts cached), aggregation (gates first), and verdict counts written back to the usage counters in batches.
Async inside; `score*` are a sync facade over one long-lived loop, so the per-endpoint limit holds across calls.
Every failure is a value: `RewardResult(score=None, error=…)`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, Field

from judge.aggregate import aggregate
from judge.inputs import JudgedInput, Messages, judged_input
from judge.llm_judge import (
    SCREEN_VERSION,
    Criterion,
    JudgeReply,
    ajudge_criteria,
    criterion_prompt,
    describe_findings,
    pointwise_prompt,
)
from judge.machine_checks import MachineVerdicts, judgeable, run_machine_checks
from judge.matching import QueryMatch, match_query
from judge.pairwise_reward import PairResult, acompare
from judge.reference import with_reference
from judge.result import (
    COMPONENTS,
    JudgeErrorKind,
    RewardResult,
    Stage,
    Verdict,
)
from judge.sync_facade import SyncFacade
from judge.verdict_cache import CachedVerdicts, VerdictCache, verdict_key
from judge.verifiers.outcome import VerifierError
from kb import (
    KnowledgeBase,
    LLMClient,
    Settings,
    TokenUsage,
    Transport,
    UsageDelta,
    load_settings,
)
from retrieval import Neighbours, Retriever, RubricItem, RubricSet, SynthesisErrorKind, abuild_rubric_set

logger = logging.getLogger(__name__)

_COMPONENT_OF_KIND = {"hard_rule": "hard_rules", "principle": "principles", "tool_call": "tool_calls"}
# Synthesis failures that leave no usable model: the reward is an error, not a fallback judged by nobody.
_FATAL_SYNTHESIS = frozenset({SynthesisErrorKind.CONFIG, SynthesisErrorKind.UNAVAILABLE})
_MAX_PREPARED = 4096  # requests whose prepared rubric set is kept for reuse
_VERSION_POLL_S = 1.0  # how stale the KB version behind a reused rubric set may be


class ScoreItem(BaseModel, frozen=True):
    """One item of `score_batch`."""

    request: str
    response: str | list[dict[str, Any]] | None = None
    trajectory: dict[str, Any] | None = None
    task_id: str | None = None
    reference: str | None = Field(None, description="Expected answer or explanation, shown to the judge.")


@dataclass(frozen=True)
class _Prepared:
    """What one request needs before any response is judged (built once per GRPO group)."""

    request: str
    match: QueryMatch
    rubric_set: RubricSet | None
    notes: tuple[str, ...]


def _reused(prepared: _Prepared) -> _Prepared:
    """What a later call reusing `prepared` sees: its rubric set reported as a cache hit that cost no tokens."""
    if prepared.rubric_set is None:
        return prepared
    return replace(prepared, rubric_set=prepared.rubric_set.model_copy(update={"cached": True, "usage": None}))


class RewardModel(SyncFacade):
    """The reward for one telecom request and response. Use as a context manager (or call `close`).

    Args:
        settings: every knob (`settings.judge` most of all); default `load_settings()`.
        kb: an open knowledge base to use (not closed by the model); default: open one from `settings`.
        transport: replaces the LLM transport (tests: `ScriptedTransport`).

    With `judge.backend = "bt"` the constructor returns the Bradley-Terry baseline (`judge.bt.BTRewardModel`, same
    methods), so every adapter, the server and the CLI score with it unchanged.
    """

    def __new__(cls, settings: Settings | None = None, **_: Any) -> RewardModel:
        if cls is RewardModel and settings is not None and settings.judge.backend == "bt":
            from judge.bt import BTRewardModel  # torch is imported only for this backend

            return BTRewardModel.from_settings(settings)  # type: ignore[return-value]
        return super().__new__(cls)

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        kb: KnowledgeBase | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self._owns_kb = kb is None
        self.kb = kb or KnowledgeBase(self.settings)
        self._client = (
            LLMClient(self.settings.llm, transport, seed=self.settings.seed)
            if transport is not None
            else LLMClient.from_settings(self.settings)
        )
        self._retriever = Retriever(self.kb, settings=self.settings)
        self._verdicts = VerdictCache(self.kb)
        self._usage: Counter[tuple[str, str]] = Counter()
        self._pending_rewards = 0
        self._preparing: dict[tuple[str, str | None, int], asyncio.Future[_Prepared | RewardResult]] = {}
        self._prepared: dict[tuple[str, str | None], tuple[float, int, _Prepared]] = {}  # (expires, kb version, …)
        self._version_seen = (float("-inf"), -1, -1)  # (monotonic time read, changes committed here, KB version)

    # async core -------------------------------------------------------------------------------------------------
    async def ascore(
        self,
        request: str,
        response: str | Messages | None = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult:
        """The reward of one response (text or chat messages) or τ² trajectory to `request`."""
        return (await self.ascore_group(request, [response], trajectory=trajectory, task_id=task_id,
                                        reference=reference))[0]  # fmt: skip

    async def ascore_group(
        self,
        request: str,
        responses: Sequence[str | Messages | None],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]:
        """All rollouts of one prompt: the rubric set is built once, responses are judged concurrently."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.judge.timeout_s):
                prepared = await self._prepare(request, task_id)
        except TimeoutError:
            failed = RewardResult.failed(JudgeErrorKind.TIMEOUT, Stage.RETRIEVE, "preparing the rubric set timed out")
            return [failed for _ in responses]
        except Exception as exc:  # the per-item boundary: one bad sample never stops a training step
            logger.exception("preparing the reward of %r failed", request[:80])
            failed = RewardResult.failed(JudgeErrorKind.INTERNAL, Stage.RETRIEVE, f"{type(exc).__name__}: {exc}")
            return [failed for _ in responses]
        if isinstance(prepared, RewardResult):
            return [prepared for _ in responses]
        results = await asyncio.gather(
            *(self._score_one(prepared, r, trajectory, task_id, reference, started) for r in responses)
        )
        await self._note_usage(results)
        return list(results)

    async def ascore_batch(self, items: Sequence[ScoreItem]) -> list[RewardResult]:
        """Many independent items; items with the same request share one rubric set."""
        groups: dict[tuple[str, str | None, str | None], list[int]] = {}
        for i, item in enumerate(items):
            groups.setdefault((item.request, item.task_id, item.reference), []).append(i)
        out: list[RewardResult | None] = [None] * len(items)

        async def run(key: tuple[str, str | None, str | None], members: list[int]) -> None:
            if any(items[i].trajectory is not None for i in members):  # trajectories differ per item
                scored = await asyncio.gather(
                    *(
                        self.ascore(
                            key[0], items[i].response, trajectory=items[i].trajectory, task_id=key[1], reference=key[2]
                        )  # fmt: skip
                        for i in members
                    )
                )
            else:
                scored = await self.ascore_group(
                    key[0], [items[i].response for i in members], task_id=key[1], reference=key[2]
                )
            for i, result in zip(members, scored, strict=True):
                out[i] = result

        await asyncio.gather(*(run(k, m) for k, m in groups.items()))
        return [r for r in out if r is not None]

    # one request ------------------------------------------------------------------------------------------------
    async def _prepare(self, request: str, task_id: str | None) -> _Prepared | RewardResult:
        """`_build_prepared`, shared by concurrent calls for the same request (one synthesis, not one per call),
        and reused for `judge.rubric_set_ttl_s` while the KB version stays the same (RL frameworks score a
        prompt's rollouts as separate calls: the group's rubric set is built once, not retrieved per rollout)."""
        ttl = self.settings.judge.rubric_set_ttl_s
        version = await self._kb_version() if ttl > 0 else -1
        ready = self._prepared.get((request, task_id))
        if ready is not None and ready[0] > time.monotonic() and ready[1] == version:
            return ready[2]
        key = (request, task_id, id(asyncio.get_running_loop()))  # a future belongs to one loop
        pending = self._preparing.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._build_prepared(request, task_id))
            self._preparing[key] = pending
            pending.add_done_callback(lambda _: self._preparing.pop(key, None))
        prepared = await asyncio.shield(pending)
        reusable = isinstance(prepared, _Prepared) and not (prepared.rubric_set and prepared.rubric_set.fallback)
        if ttl > 0 and reusable:
            if len(self._prepared) >= _MAX_PREPARED:
                self._prepared.pop(next(iter(self._prepared)))  # the oldest entry
            self._prepared[(request, task_id)] = (time.monotonic() + ttl, version, _reused(prepared))  # type: ignore[arg-type]
        return prepared

    async def _kb_version(self) -> int:
        """The KB version: re-read after this process commits a change, else at most once a second (a change by
        another process ends reuse of prepared sets within that second)."""
        read_at, here, version = self._version_seen
        if time.monotonic() - read_at >= _VERSION_POLL_S or self.kb.changes_committed_here() != here:
            here = self.kb.changes_committed_here()
            version = await asyncio.to_thread(self.kb.version)
            self._version_seen = (time.monotonic(), here, version)
        return version

    async def _build_prepared(self, request: str, task_id: str | None) -> _Prepared | RewardResult:
        cfg = self.settings.judge
        if not request.strip():
            return RewardResult.failed(JudgeErrorKind.INPUT, Stage.RETRIEVE, "the request is empty")
        neighbours: Neighbours = await asyncio.to_thread(self._retriever.retrieve, request)
        match = await asyncio.to_thread(
            match_query, self.kb, request, task_id=task_id, neighbours=neighbours, min_similarity=cfg.match_similarity
        )
        notes = [f"machine checks: {match.how}"]
        rubric_set: RubricSet | None = None
        if cfg.use_llm:
            rubric_set = await abuild_rubric_set(
                self.kb,
                self._client,
                request,
                neighbours=neighbours,
                record_usage=cfg.record_usage,
                settings=self.settings,  # the reward's pruning and synthesis, not the KB's
            )
            if rubric_set.error is not None:
                if rubric_set.error.kind in _FATAL_SYNTHESIS:
                    return RewardResult.failed(
                        JudgeErrorKind(rubric_set.error.kind.value), Stage.SYNTHESISE, rubric_set.error.message
                    )
                notes.append(f"rubric set: retrieved rubrics ({rubric_set.error.kind}: {rubric_set.error.message})")
        return _Prepared(request=request, match=match, rubric_set=rubric_set, notes=tuple(notes))

    async def _score_one(
        self,
        prepared: _Prepared,
        response: str | Messages | None,
        trajectory: Any,
        task_id: str | None,
        reference: str | None,
        started: float,
    ) -> RewardResult:
        try:
            async with asyncio.timeout(self.settings.judge.timeout_s):
                return await self._judge(prepared, response, trajectory, task_id, reference, started)
        except TimeoutError:
            return RewardResult.failed(
                JudgeErrorKind.TIMEOUT, Stage.JUDGE, f"the reward took over {self.settings.judge.timeout_s:g} s"
            )
        except Exception as exc:  # the per-item boundary
            logger.exception("scoring a response to %r failed", prepared.request[:80])
            return RewardResult.failed(JudgeErrorKind.INTERNAL, Stage.JUDGE, f"{type(exc).__name__}: {exc}")

    async def _judge(
        self,
        prepared: _Prepared,
        response: str | Messages | None,
        trajectory: Any,
        task_id: str | None,
        reference: str | None,
        started: float,
    ) -> RewardResult:
        cfg = self.settings.judge
        rs = prepared.rubric_set
        context: dict[str, Any] = {
            "rubric_set_key": rs.cache_key if rs else None,
            "matched_query": prepared.match.query.id if prepared.match.query else None,
            "pruned": rs.pruned if rs else (),
            "notes": prepared.notes,
        }
        items = list(rs.items) if rs else []
        try:
            given = judged_input(response, trajectory=trajectory, task_id=task_id)
            machine = await self._machine_checks(prepared.match, items, given)
        except VerifierError as exc:
            return RewardResult.failed(JudgeErrorKind.VERIFIER, Stage.VERIFY, str(exc), **context)
        to_judge = [i for i in items if i.id not in machine.decided_items and judgeable(i, prepared.match)]
        verdicts = list(machine.verdicts)
        usage: list[TokenUsage] = [rs.usage] if rs and rs.usage else []
        prompts = {"synthesis": rs.prompt} if rs else {}
        hits = ["rubric_set"] if rs and rs.cached else []
        criteria = [Criterion.from_item(i) for i in to_judge]
        with_reference(criteria, cfg, reference, prepared.match)
        if criteria:
            reply, cached = await self._llm_verdicts(prepared.request, given, criteria, reference)
            if reply.findings:  # grader-directed text was redacted: say so, cached or not
                context["notes"] = (*prepared.notes, describe_findings(reply.findings))
            if reply.error is not None:
                return RewardResult(error=reply.error, components=dict.fromkeys(COMPONENTS), **context)
            verdicts += reply.criterion_verdicts(criteria)
            usage += [reply.usage] if reply.usage else []
            prompts["judge"] = reply.prompt
            hits += ["verdicts"] if cached else []
        if not verdicts:
            return RewardResult.failed(
                JudgeErrorKind.EMPTY,
                Stage.JUDGE,
                "no criterion applies: no machine check matched and no rubric was judged "
                "(ingest rubrics for this kind of request, or turn judge.use_llm on)",
                **context,
            )
        result = aggregate(verdicts, gate_cap=cfg.gate_cap)
        if result.score is None:
            return RewardResult.failed(
                JudgeErrorKind.EMPTY, Stage.JUDGE, "every criterion was judged not applicable", **context
            )
        return RewardResult(
            score=result.score,
            components=result.components,
            verdicts=tuple(verdicts),
            capped=result.capped,
            usage=tuple(usage),
            prompt_versions=prompts,
            latency_s=round(time.perf_counter() - started, 4),
            cache_hits=tuple(hits),
            **context,
        )

    async def _llm_verdicts(
        self,
        request: str,
        given: JudgedInput,
        criteria: Sequence[Criterion],
        reference: str | None,
        *,
        redact: bool = True,
    ) -> tuple[JudgeReply, bool]:
        """The judge's reply on `criteria` (from the verdict cache when it holds them, with the screen's findings),
        and whether it was cached."""
        cfg = self.settings.judge
        prompt = (pointwise_prompt() if cfg.granularity == "response" else criterion_prompt()).ref
        key = verdict_key(
            criteria,
            given.text,
            request=request,
            model=self._client.model,
            prompt=prompt,
            granularity=cfg.granularity,
            votes=1,
            reference=reference,
            screen=SCREEN_VERSION if redact else None,
        )
        if cfg.verdict_cache:
            cached = await self._verdicts.aget(key)
            if cached is not None:
                reply = JudgeReply(
                    verdicts=cached.verdicts,
                    findings=cached.findings,
                    granularity=cfg.granularity,
                    model=self._client.model,
                    prompt=prompt,
                )
                return reply, True
        reply = await ajudge_criteria(
            self._client, request, given.text, criteria, granularity=cfg.granularity, reference=reference, redact=redact
        )
        if reply.error is None and cfg.verdict_cache:
            await self._verdicts.aput(key, CachedVerdicts(verdicts=reply.verdicts, findings=reply.findings))
        return reply, False

    # pairwise ---------------------------------------------------------------------------------------------------
    async def acompare(
        self, request: str, a: str | Messages, b: str | Messages, *, reference: str | None = None
    ) -> PairResult:
        """Which of two responses is better (see `judge.pairwise_reward.acompare`)."""
        return await acompare(self, request, a, b, reference=reference)

    async def _gates(self, prepared: _Prepared, response: str | Messages) -> float | None:
        """1.0 / 0.0 when the response passes / fails the programmatic gates; None when no gate applies."""
        items = list(prepared.rubric_set.items) if prepared.rubric_set else []
        machine = await self._machine_checks(prepared.match, items, judged_input(response))
        return aggregate(machine.verdicts).components["gates"]

    async def _machine_checks(self, match: QueryMatch, items: list[RubricItem], given: JudgedInput) -> MachineVerdicts:
        """`run_machine_checks`: in a worker thread when a τ² trajectory is replayed (it reads the KB), inline
        otherwise (answer, tool-call and policy checks are pure and take microseconds: a thread hop costs more)."""
        gate_on_collateral = self.settings.judge.gate_on_collateral
        if given.trajectory is None:
            return run_machine_checks(self.kb, match, items, given, gate_on_collateral=gate_on_collateral)
        return await asyncio.to_thread(
            run_machine_checks, self.kb, match, items, given, gate_on_collateral=gate_on_collateral
        )

    # usage write-back -------------------------------------------------------------------------------------------
    async def _note_usage(self, results: Sequence[RewardResult]) -> None:
        if not self.settings.judge.record_usage:
            return
        for result in results:
            for v in result.verdicts:
                for rubric_id in v.rubric_ids:
                    self._usage[(rubric_id, v.verdict.value)] += 1
            self._pending_rewards += 1
        if self._pending_rewards >= self.settings.judge.usage_flush_every:
            await asyncio.to_thread(self.flush_usage)

    def flush_usage(self) -> None:
        """Write the verdict counts gathered so far (one transaction)."""
        if not self._usage:
            self._pending_rewards = 0
            return
        counts, self._usage, self._pending_rewards = self._usage, Counter(), 0
        delta = UsageDelta(
            met={r: n for (r, v), n in counts.items() if v == Verdict.MET},
            not_met={r: n for (r, v), n in counts.items() if v == Verdict.NOT_MET},
            not_applicable={r: n for (r, v), n in counts.items() if v == Verdict.NOT_APPLICABLE},
        )
        self.kb.record_usage(delta)

    # the sync facade (score, score_group, score_batch, compare, with) is `SyncFacade`'s
    async def aclose(self) -> None:
        """Async `close` for callers that used only the async methods on their own loop."""
        self.flush_usage()
        await self._client.aclose()
        self._retriever.close()
        if self._owns_kb:
            self.kb.close()

    def close(self) -> None:
        """Flush usage counts, stop the loop, close the client (and the KB when this model opened it)."""
        try:
            self.flush_usage()
        finally:
            self._stop_loop(self._client.aclose() if self._loop is not None else None)
            self._retriever.close()
            if self._owns_kb:
                self.kb.close()
