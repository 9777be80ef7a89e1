"""Which criteria each rubric condition of an evaluation judges: the `none` ablation's generic criteria, the
learned set, or a prompt's retrieved KB rubrics (without neighbours' answer checks), plus the reward's reference
criterion where it applies, and the tag a checkpoint records for them (with the KB's content digest)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from judge.evaluation.report import RubricSource
from judge.llm_judge import Criterion
from judge.pairs import PreferencePair
from judge.reference import REFERENCE_CRITERION
from kb import Importance, KnowledgeBase, RubricKind, Settings, is_answer_key
from retrieval import Retriever

# The `none` ablation's pointwise criteria: what any judge would check without rubrics.
GENERIC_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        id="generic-correct",
        text="The response answers the request correctly (facts, numbers, the option chosen, the actions taken).",
        kind=RubricKind.HARD_RULE,
        importance=Importance.ESSENTIAL,
    ),
    Criterion(
        id="generic-resolves",
        text="The response resolves the customer's issue or fully answers the question.",
        importance=Importance.IMPORTANT,
    ),
    Criterion(
        id="generic-false",
        text="The response states a false telecom fact or recommends an unsafe action.",
        importance=Importance.PITFALL,
    ),
)
RETRIEVED_CRITERIA = 8  # most KB rubrics judged in the `retrieved` mode


class ConditionCriteria:
    """The criteria one rubric condition judges for each pair. `kb_provider` is called only when a condition that
    reads the KB first needs it, so nothing is opened for the others; `close` releases the retriever it built."""

    def __init__(
        self,
        settings: Settings,
        rubrics: RubricSource,
        learned: Sequence[Criterion],
        kb_provider: Callable[[], KnowledgeBase],
    ) -> None:
        if rubrics is RubricSource.LEARNED and not learned:
            raise ValueError("rubrics=learned needs the learned rubrics (telerubric learn pairs … writes them)")
        self.settings, self.rubrics, self.learned = settings, rubrics, tuple(learned)
        self._kb_provider = kb_provider
        self._retriever: Retriever | None = None

    @property
    def _adds_reference(self) -> bool:
        """Retrieved and learned sets get the reward's reference criterion, so every condition checks a given
        reference answer as the reward does (`none` has its generic correctness criterion)."""
        judge = self.settings.judge
        return (
            self.rubrics in (RubricSource.RETRIEVED, RubricSource.LEARNED)
            and judge.use_llm
            and judge.reference_criterion
        )

    def tag(self) -> str:
        """What fixes the judged criteria beyond the configuration: the learned set's digest, the reference check,
        and for the conditions that read the KB its content digest (`kb.digest`; with the pruning inputs when the
        reward prunes). It opens the KB for those."""
        parts = []
        if self.rubrics is RubricSource.LEARNED:
            digest = hashlib.sha256("\n".join(f"{c.id}\t{c.text}" for c in self.learned).encode()).hexdigest()
            parts.append(f"learned:{len(self.learned)}:{digest[:12]}")
        if self._adds_reference:
            parts.append(REFERENCE_CRITERION.id)
        if self.rubrics.reads_kb and self.settings.judge.backend != "bt":
            content = self._kb_provider().content_digest(pruning_inputs=self.rubrics is RubricSource.PRUNED)
            parts.append(f"kb:{content[:16]}")
        return "+".join(parts)

    def criteria(self, pair: PreferencePair) -> list[Criterion]:
        """The pair's criteria; empty for `none` (the judge then uses `GENERIC_CRITERIA` pointwise)."""
        criteria = self._rubric_criteria(pair.prompt)
        if criteria and pair.reference and self._adds_reference:
            criteria.append(REFERENCE_CRITERION)
        return criteria

    def _rubric_criteria(self, prompt: str) -> list[Criterion]:
        if self.rubrics is RubricSource.NONE:
            return []
        if self.rubrics is RubricSource.LEARNED:
            return list(self.learned)
        if self._retriever is None:
            self._retriever = Retriever(self._kb_provider(), settings=self.settings)
        views = []
        neighbours = self._retriever.retrieve(prompt)
        for view in [r for q in neighbours.queries for r in q.rubrics] + [r.rubric for r in neighbours.rubrics]:
            if is_answer_key(view.check) or view.id in {v.id for v in views}:
                continue  # a neighbour's answer key belongs to another question
            views.append(view)
        return [
            Criterion(
                id=v.id,
                text=v.text,
                kind=RubricKind(v.kind),
                importance=Importance(v.importance),
                weight=v.weight,
                condition=v.condition,
                rubric_ids=(v.id,),
            )
            for v in views[:RETRIEVED_CRITERIA]
        ]

    def close(self) -> None:
        if self._retriever is not None:
            self._retriever.close()
