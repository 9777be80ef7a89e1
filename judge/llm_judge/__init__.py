"""The LLM judge, for what no verifier decides: pointwise verdicts per criterion (one call per response or per
criterion), pairwise comparison, and strategies around one judge call (both orders, voting).

    criteria = [Criterion.from_item(item) for item in rubric_set.items if item.check is None]
    reply = await ajudge_criteria(client, request, render_transcript(messages), criteria, granularity="response")
    if reply.error: ...  # JudgeError(kind=JudgeErrorKind.PARSE, stage=Stage.JUDGE, ...)
    score = aggregate(reply.criterion_verdicts(criteria)).score

The judged response is data: text in it that addresses the grader is redacted (`screen`), and what is left is
fenced in the prompt (`defuse`, then `kb.neutralise`).
"""

from judge.llm_judge.answers import (
    MAX_REASON,
    CriterionAnswer,
    CriterionVerdicts,
    NumberedVerdict,
    PairAnswer,
    verdicts_model,
)
from judge.llm_judge.criteria import Criterion, condition_in, criterion_line, numbered_criteria
from judge.llm_judge.fence import GUARDED_TAGS, defuse, fence_breaks
from judge.llm_judge.pairwise import ajudge_pair, pairwise_prompt
from judge.llm_judge.pointwise import ajudge_criteria, criterion_prompt, pointwise_messages, pointwise_prompt
from judge.llm_judge.replies import Granularity, JudgedCriterion, JudgeReply, PairReply, judged
from judge.llm_judge.screen import REDACTED, SCREEN_VERSION, Finding, Screened, describe_findings, screen
from judge.llm_judge.strategies import PairJudge, PairOutcome, VoteOutcome, both_orders, sample_client, vote
from judge.llm_judge.transcript import render_transcript

__all__ = [
    "GUARDED_TAGS",
    "MAX_REASON",
    "REDACTED",
    "SCREEN_VERSION",
    "Criterion",
    "CriterionAnswer",
    "CriterionVerdicts",
    "Finding",
    "Granularity",
    "JudgeReply",
    "JudgedCriterion",
    "NumberedVerdict",
    "PairAnswer",
    "PairJudge",
    "PairOutcome",
    "PairReply",
    "Screened",
    "VoteOutcome",
    "ajudge_criteria",
    "ajudge_pair",
    "both_orders",
    "condition_in",
    "criterion_line",
    "criterion_prompt",
    "defuse",
    "describe_findings",
    "fence_breaks",
    "judged",
    "numbered_criteria",
    "pairwise_prompt",
    "pointwise_messages",
    "pointwise_prompt",
    "render_transcript",
    "sample_client",
    "screen",
    "verdicts_model",
    "vote",
]
