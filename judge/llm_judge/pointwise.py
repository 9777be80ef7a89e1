"""Pointwise judging: verdicts on a response's criteria, all in one call or one call per criterion."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import cache

from judge.llm_judge.answers import MAX_CRITERIA, CriterionAnswer, verdicts_model
from judge.llm_judge.criteria import Criterion, criterion_line, numbered_criteria
from judge.llm_judge.fence import defuse
from judge.llm_judge.replies import Granularity, JudgeReply, judge_error, judged
from judge.llm_judge.screen import screen
from kb import ChatMessage, LLMClient, PromptSpec, load_prompt, sum_usage

logger = logging.getLogger(__name__)

NO_REFERENCE = "(none given)"


def fenced_reference(reference: str | None) -> str:
    """The reference block's content in every judge prompt: the defused text, or a placeholder when none is given."""
    return defuse(reference) if reference else NO_REFERENCE


@cache
def pointwise_prompt() -> PromptSpec:
    return load_prompt("judge", "judge.pointwise")


@cache
def criterion_prompt() -> PromptSpec:
    return load_prompt("judge", "judge.criterion")


def pointwise_messages(
    request: str,
    response: str,
    criteria: Sequence[Criterion],
    *,
    reference: str | None = None,
    redact: bool = True,
) -> tuple[ChatMessage, ChatMessage]:
    """The exact messages `ajudge_criteria(granularity="response")` sends for these inputs: the response screened
    (with `redact`) and every input fenced, rendered from the variables the judge gives the client."""
    screened = screen(response).text if redact else response
    return pointwise_prompt().render(**_pointwise_variables(_inputs(request, screened, reference), criteria))


def _inputs(request: str, response: str, reference: str | None) -> dict[str, str]:
    """The fenced inputs both prompts share; `response` is already screened when redacting."""
    return {
        "request": defuse(request),
        "response": defuse(response),
        "reference": fenced_reference(reference),
    }


def _pointwise_variables(inputs: dict[str, str], criteria: Sequence[Criterion]) -> dict[str, object]:
    return {**inputs, "criteria": numbered_criteria(criteria), "count": len(criteria)}


async def ajudge_criteria(
    client: LLMClient,
    request: str,
    response: str,
    criteria: Sequence[Criterion],
    *,
    granularity: Granularity = "response",
    reference: str | None = None,
    redact: bool = True,
) -> JudgeReply:
    """Verdicts on every criterion for `response` (text, or a transcript from `render_transcript`).

    `granularity="response"`: one call for all criteria, numbered; the reply must give each number exactly once
    (the client re-asks once, then a missing / duplicate / unknown number is a PARSE error value).
    `granularity="criterion"`: one call per criterion, concurrently (the client's per-endpoint limit bounds them);
    any failed call makes the whole reply an error value: no verdict is ever filled in.
    `reference` (an expected answer or explanation) is optional context for the judge.
    With `redact`, text in the response that addresses the grader is removed first (`screen`) and reported in
    `JudgeReply.findings`; the response is fenced either way.

    Raises:
        ValueError: no criteria, duplicate criterion ids, too many for one call, or an unknown granularity.
    """
    if not criteria:
        raise ValueError("nothing to judge: give at least one criterion")
    ids = [c.id for c in criteria]
    if len(set(ids)) != len(ids):
        raise ValueError(f"criterion ids must be unique: {ids}")
    if granularity not in ("response", "criterion"):
        raise ValueError(f"granularity must be 'response' or 'criterion', got {granularity!r}")
    screened = screen(response) if redact else None
    shared = _inputs(request, screened.text if screened else response, reference)
    judge = _ajudge_all if granularity == "response" else _ajudge_each
    reply = await judge(client, shared, criteria)
    if screened is not None and screened.findings:
        logger.info("redacted %d grader-directed segments: %s", len(screened.findings), screened.findings[0].kind)
        return reply.model_copy(update={"findings": screened.findings})
    return reply


async def _ajudge_all(client: LLMClient, shared: dict[str, str], criteria: Sequence[Criterion]) -> JudgeReply:
    if len(criteria) > MAX_CRITERIA:
        raise ValueError(f"one call judges at most {MAX_CRITERIA} criteria, got {len(criteria)}: use 'criterion'")
    prompt = pointwise_prompt()
    output = verdicts_model(len(criteria))
    reply = await client.acomplete(
        prompt, output, _pointwise_variables(shared, criteria)
    )  # as `pointwise_messages` renders
    base = {
        "granularity": "response",
        "usage": reply.usage,
        "model": reply.model,
        "prompt": reply.prompt,
        "calls": reply.attempts,
        "latency_s": reply.latency_s,
    }
    if reply.error is not None:
        return JudgeReply(error=judge_error(reply.error, prompt.ref), **base)
    by_number = {v.number: v for v in reply.value.verdicts}  # validated: each number 1..n exactly once
    verdicts = tuple(judged(c, by_number[n].verdict, by_number[n].reason) for n, c in enumerate(criteria, start=1))
    return JudgeReply(verdicts=verdicts, **base)


async def _ajudge_each(client: LLMClient, shared: dict[str, str], criteria: Sequence[Criterion]) -> JudgeReply:
    prompt = criterion_prompt()
    replies = await asyncio.gather(
        *(client.acomplete(prompt, CriterionAnswer, {**shared, "criterion": criterion_line(c)}) for c in criteria)
    )
    base = {
        "granularity": "criterion",
        "usage": sum_usage(r.usage for r in replies),
        "model": client.model,
        "prompt": prompt.ref,
        "calls": sum(r.attempts for r in replies),
        "latency_s": sum(r.latency_s for r in replies),
    }
    failed = [(c, r.error) for c, r in zip(criteria, replies, strict=True) if r.error is not None]
    if failed:
        criterion, error = failed[0]
        logger.info("%d of %d criterion calls failed; first: %s %s", len(failed), len(criteria), criterion.id, error)
        where = f"{prompt.ref} on criterion {criterion.id} ({len(failed)} of {len(criteria)} calls failed)"
        return JudgeReply(error=judge_error(error, where), **base)
    verdicts = tuple(judged(c, r.value.verdict, r.value.reason) for c, r in zip(criteria, replies, strict=True))
    return JudgeReply(verdicts=verdicts, **base)
