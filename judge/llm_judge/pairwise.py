"""Pairwise judging: which of two responses to one request is better, in the order given (one call).

Position bias is handled by a strategy around this call (`both_orders`), not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from judge.llm_judge.answers import PairAnswer
from judge.llm_judge.criteria import Criterion, criterion_line
from judge.llm_judge.fence import defuse
from judge.llm_judge.pointwise import fenced_reference
from judge.llm_judge.replies import PairReply, judge_error
from judge.llm_judge.screen import Screened, screen
from kb import LLMClient, PromptSpec, load_prompt

NO_CRITERIA = "(none given: judge correctness, safety and whether the issue is resolved)"


@cache
def pairwise_prompt() -> PromptSpec:
    return load_prompt("judge", "judge.pairwise")


def listed_criteria(criteria: Sequence[Criterion]) -> str:
    """Criteria as a bullet list for the pairwise prompt."""
    return "\n".join(f"- {criterion_line(c)}" for c in criteria) if criteria else NO_CRITERIA


async def ajudge_pair(
    client: LLMClient,
    request: str,
    a: str,
    b: str,
    criteria: Sequence[Criterion] = (),
    *,
    reference: str | None = None,
    redact: bool = True,
) -> PairReply:
    """Which of `a` (shown first, as A) and `b` (shown second, as B) better answers `request`; an error value when
    the call fails. Both responses are fenced data (texts, or transcripts from `render_transcript`); with `redact`,
    text addressing the grader is removed first and reported in `findings_a` / `findings_b`. `reference` (an
    expected answer or explanation) is optional context, fenced and shown as the pointwise judge shows it."""
    prompt = pairwise_prompt()
    first, second = (screen(a), screen(b)) if redact else (Screened(text=a), Screened(text=b))
    variables = {
        "request": defuse(request),
        "reference": fenced_reference(reference),
        "criteria": listed_criteria(criteria),
        "a": defuse(first.text),
        "b": defuse(second.text),
    }
    reply = await client.acomplete(prompt, PairAnswer, variables)
    base = {
        "usage": reply.usage,
        "model": reply.model,
        "prompt": reply.prompt,
        "calls": reply.attempts,
        "latency_s": reply.latency_s,
        "findings_a": first.findings,
        "findings_b": second.findings,
    }
    if reply.error is not None:
        return PairReply(error=judge_error(reply.error, prompt.ref), **base)
    return PairReply(better=reply.value.better, reason=reply.value.reason, **base)
