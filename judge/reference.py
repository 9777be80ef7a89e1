"""What a given reference answer adds to the judged criteria, for the pointwise and the pairwise reward alike.

Without it, a synthesised set for an open question judges its neighbours' topics and ties right and wrong answers
(held-out TeleQnA: 8 ties in 10 pairs).
"""

from __future__ import annotations

from judge.llm_judge import Criterion
from judge.matching import QueryMatch
from kb import Importance, JudgeSettings, RubricKind, is_answer_key

REFERENCE_CRITERION = Criterion(
    id="reference-agreement",
    text="The response's answer agrees with the reference answer (the same facts and conclusion; wording may differ).",
    kind=RubricKind.HARD_RULE,
    importance=Importance.ESSENTIAL,
)


def answer_checked(match: QueryMatch) -> bool:
    """The matched KB query has an answer check (MCQ, numeric): the verifier decides correctness, not the judge."""
    return any(is_answer_key(c) for c in match.checks)


def with_reference(criteria: list[Criterion], cfg: JudgeSettings, reference: str | None, match: QueryMatch) -> None:
    """Append `REFERENCE_CRITERION` when a reference is given, the LLM judges (`judge.reference_criterion`) and no
    answer check of the matched query decides correctness already."""
    if reference and cfg.use_llm and cfg.reference_criterion and not answer_checked(match):
        criteria.append(REFERENCE_CRITERION)
