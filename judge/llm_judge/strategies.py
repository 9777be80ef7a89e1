"""Strategies that wrap one judge call: both-order pairwise judging and majority voting over samples.

judge = functools.partial(ajudge_pair, client, criteria=criteria)
outcome = await both_orders(judge, request, a, b)           # PairOutcome: winner only if both orders agree
voted = await vote(lambda i: both_orders(functools.partial(ajudge_pair, sample_client(client, i)),
                                         request, a, b), k=3)
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Generic, Literal, Protocol, Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, model_validator

from judge.llm_judge.replies import PairReply
from judge.result import JudgeError
from kb import LLMClient, TokenUsage, sum_usage

logger = logging.getLogger(__name__)

PairJudge = Callable[[str, str, str], Awaitable[PairReply]]  # (request, first, second) -> one judgement
Side = Literal["a", "b", "tie"]
NO_LABEL = "none"  # the vote of a sample that chose nothing (an inconsistent both-order outcome)


class PairOutcome(BaseModel, frozen=True):
    """Both orders of one pair: `winner` is set only when (a, b) and (b, a) pick the same response."""

    winner: Literal["a", "b"] | None = Field(description="None: a tie, the orders disagree, or an error.")
    consistent: bool = Field(description="Both orders gave the same answer (the same response, or both a tie).")
    votes: tuple[Side | None, Side | None] = Field(description="Each order's choice in a/b terms: (a,b), (b,a).")
    orders: tuple[PairReply, PairReply] = Field(description="The judgements of (a, b) and of (b, a).")
    reason: str = Field(description="One line: how the outcome was reached.")
    error: JudgeError | None = None

    @model_validator(mode="after")
    def _no_result_on_error(self) -> Self:
        if self.error is not None and (self.winner is not None or self.consistent):
            raise ValueError("an error outcome has no winner and is not consistent")
        return self

    @property
    def label(self) -> str | None:
        """The winner, for `vote`."""
        return self.winner

    @property
    def usage(self) -> TokenUsage | None:
        return sum_usage(o.usage for o in self.orders)


def _side(better: str | None, swapped: bool) -> Side | None:
    if better is None or better == "tie":
        return cast(Side | None, better)
    first_is_a = not swapped
    return "a" if (better == "A") == first_is_a else "b"


async def both_orders(judge: PairJudge, request: str, a: str, b: str) -> PairOutcome:
    """Judge (a, b) and (b, a) concurrently; a response wins only when both orders choose it.

    Swap consistency (`consistent`) is reported on every outcome without an error, so an evaluation can compute
    the rate; an order that fails makes the outcome an error value.
    """
    ab, ba = await asyncio.gather(judge(request, a, b), judge(request, b, a))
    votes = (_side(ab.better, swapped=False), _side(ba.better, swapped=True))
    if ab.error is not None or ba.error is not None:
        error = ab.error or ba.error
        which = "(a, b)" if ab.error is not None else "(b, a)"
        return PairOutcome(
            winner=None, consistent=False, votes=votes, orders=(ab, ba), reason=f"order {which} failed", error=error
        )
    if votes[0] != votes[1]:
        reason = f"orders disagree: (a, b) chose {votes[0]}, (b, a) chose {votes[1]}"
        if ab.better == ba.better and ab.better != "tie":
            reason += " (the same position both times: position bias)"
        return PairOutcome(winner=None, consistent=False, votes=votes, orders=(ab, ba), reason=reason)
    if votes[0] == "tie":
        return PairOutcome(winner=None, consistent=True, votes=votes, orders=(ab, ba), reason="a tie in both orders")
    winner = cast(Literal["a", "b"], votes[0])
    return PairOutcome(winner=winner, consistent=True, votes=votes, orders=(ab, ba), reason=f"{winner} in both orders")


class Labelled(Protocol):
    """A judge outcome `vote` can count: a label (None = no choice) or an error."""

    @property
    def label(self) -> str | None: ...

    @property
    def error(self) -> JudgeError | None: ...


R = TypeVar("R", bound=BaseModel)


class VoteOutcome(BaseModel, Generic[R]):
    """The majority label over k samples, or None (a tie, no choice, or an error) with the reason."""

    model_config = ConfigDict(frozen=True)

    label: str | None = Field(description="The label most samples chose; None on a tie, no choice or an error.")
    counts: dict[str, int] = Field(description=f"Votes per label ('{NO_LABEL}' = a sample chose nothing).")
    k: int = Field(ge=1)
    samples: tuple[SerializeAsAny[R], ...]
    reason: str
    error: JudgeError | None = None


async def vote(judge_call: Callable[[int], Awaitable[R]], k: int) -> VoteOutcome[R]:
    """Run `judge_call(i)` for i in 0..k-1 concurrently and take the label most samples chose.

    Samples differ only if the judge samples: give each its own seed (`sample_client(client, i)`) and a
    temperature above 0 in `llm.temperature`. A tie for the most votes gives None; any failed sample makes the
    outcome an error value (the samples are kept).

    Raises:
        ValueError: k < 1.
    """
    if k < 1:
        raise ValueError(f"vote needs k >= 1 samples, got {k}")
    samples = tuple(await asyncio.gather(*(judge_call(i) for i in range(k))))
    labelled = [cast(Labelled, s) for s in samples]
    counts = Counter(s.label or NO_LABEL for s in labelled if s.error is None)
    failed = [s.error for s in labelled if s.error is not None]
    if failed:
        reason = f"{len(failed)} of {k} samples failed"
        return VoteOutcome(label=None, counts=dict(counts), k=k, samples=samples, reason=reason, error=failed[0])
    ranked = counts.most_common()
    top, most = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == most:
        tied = sorted(label for label, n in ranked if n == most)
        reason = f"tie between {' and '.join(tied)} ({most} votes each of {k})"
        return VoteOutcome(label=None, counts=dict(counts), k=k, samples=samples, reason=reason)
    label = None if top == NO_LABEL else top
    reason = f"{top} chosen by {most} of {k} samples"
    return VoteOutcome(label=label, counts=dict(counts), k=k, samples=samples, reason=reason)


def sample_client(client: LLMClient, index: int, *, temperature: float | None = None) -> LLMClient:
    """A client for vote sample `index`: the same endpoint (and concurrency limit), seed `client.seed + index`,
    and `temperature` (default: the client's `llm.temperature`)."""
    settings = client.settings
    if temperature is not None:
        settings = settings.model_copy(update={"temperature": temperature})
    if settings.temperature == 0 and index > 0:
        logger.warning("voting at temperature 0: every sample will give the same answer; raise llm.temperature")
    return LLMClient(settings, client.transport, seed=(client.seed or 0) + index)
