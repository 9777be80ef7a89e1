"""Judge SFT examples: (request, response, criteria) → per-criterion verdicts, for verified items only.

The input is the LLM judge's pointwise prompt (`judge.pointwise`) as `ajudge_criteria` sends it
(`pointwise_messages`: grader-directed text screened out, inputs fenced); the target is the `CriterionVerdicts` JSON
it must reply. Every verdict is decided by a verifier or by how the pair was built, and agrees with the pair's label:

- TeleQnA MCQ pairs: "the response answers correctly" (the evaluation's generic criterion) is decided by the option
  check (`check_choice`): chosen → met, rejected → not met, else the pair is skipped. (The question's reasoning
  principle is left out: neither side of a pair carries TeleQnA's explanation, so no verifier decides it.)
- τ² gold vs drop-one pairs whose τ² rewards differ: every tool-call rubric of the task is decided by its machine check
  (`check_tool_call`; a check repeated in the task needs as many matching calls); the gold trajectory meets all of
  them, the drop-one trajectory misses at least one, else the pair is skipped.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from judge.evaluation import GENERIC_CRITERIA
from judge.export.formats import ExportMeta, SftExample
from judge.export.responses import response_text
from judge.export.splits import EvaluationSplit
from judge.llm_judge import MAX_REASON, Criterion, pointwise_messages, pointwise_prompt, verdicts_model
from judge.pairs import PreferencePair
from judge.result import Verdict
from judge.verifiers import ToolCall, check_choice, check_tool_call
from judge.verifiers.mcq import read_choice
from kb import ChoiceCheck, Importance, QueryRecord, RubricKind, RubricRecord, RubricStatus, ToolCallCheck

logger = logging.getLogger(__name__)

OUTPUT = "CriterionVerdicts"


@dataclass(frozen=True)
class Decided:
    """One criterion with the verdict a verifier (or the pair's construction) decided, and why."""

    criterion: Criterion
    verdict: Verdict
    reason: str
    decider: str  # mcq | tool_call | label


def verdicts_json(decided: Sequence[Decided]) -> str:
    """The target reply: the `CriterionVerdicts` model for this many criteria, validated, as compact JSON."""
    model = verdicts_model(len(decided))
    verdicts = [
        {"number": n, "reason": _cut(d.reason), "verdict": d.verdict.value} for n, d in enumerate(decided, start=1)
    ]
    return model.model_validate({"verdicts": verdicts}).model_dump_json()


def judge_example(
    request: str, response: str, decided: Sequence[Decided], meta: ExportMeta, *, reference: str | None = None
) -> SftExample:
    system, user = pointwise_messages(request, response, [d.criterion for d in decided], reference=reference)
    return SftExample(system=system.content, user=user.content, assistant=verdicts_json(decided), meta=meta)


def _cut(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def _criterion(rubric: RubricRecord) -> Criterion:
    return Criterion(
        id=rubric.rubric_id,
        text=rubric.text,
        kind=rubric.kind,
        importance=rubric.importance,
        weight=rubric.effective_weight,
        condition=rubric.condition,
        rubric_ids=(rubric.rubric_id,),
    )


# TeleQnA multiple choice ---------------------------------------------------------------------------------------------
def mcq_decided(pair: PreferencePair, record: QueryRecord, side: str) -> list[Decided] | None:
    """Verdicts for one side of an MCQ pair; None when the option check disagrees with the label."""
    choice = next((r for r in record.rubrics if isinstance(r.check, ChoiceCheck)), None)
    response = pair.chosen if side == "chosen" else pair.rejected
    if choice is None or not isinstance(response, str):
        return None
    check: ChoiceCheck = choice.check  # type: ignore[assignment]
    outcome = check_choice(response, check)
    expected = Verdict.MET if side == "chosen" else Verdict.NOT_MET
    reading = read_choice(response, list(check.options))
    if outcome.verdict is not expected or reading is None or len(reading.picked) != 1:
        return None
    (picked,) = reading.picked
    generic = GENERIC_CRITERIA[0]
    correct = generic.model_copy(update={"rubric_ids": (choice.rubric_id,)})
    if expected is Verdict.MET:
        why = f"It picks option {picked}, the correct answer."
    else:
        why = f"It picks option {picked}; the correct answer is option {check.answer}."
    decided = [Decided(correct, outcome.verdict, why, "mcq")]
    return decided


# τ² gold vs drop-one --------------------------------------------------------------------------------------------------
def tool_call_rubrics(record: QueryRecord) -> list[tuple[RubricRecord, ToolCallCheck, int]]:
    """The task's approved tool-call rubrics with their checks, and which occurrence (1, 2, …) of the check each is."""
    seen: Counter[str] = Counter()
    out = []
    for rubric in record.rubrics:
        if rubric.kind is RubricKind.TOOL_CALL and isinstance(rubric.check, ToolCallCheck):
            if rubric.status is not RubricStatus.APPROVED:
                continue
            seen[rubric.check.model_dump_json()] += 1
            out.append((rubric, rubric.check, seen[rubric.check.model_dump_json()]))
    return out


def _calls(trajectory: object) -> list[ToolCall]:
    calls = trajectory.get("calls") if isinstance(trajectory, dict) else None
    return [
        ToolCall(name=c["name"], arguments=c.get("arguments") or {}, requestor=c.get("requestor", "assistant"))
        for c in calls or []
    ]


def tau2_decided(record: QueryRecord, trajectory: object) -> list[Decided] | None:
    """Each tool-call rubric decided by its machine check; None when a repeated check is only partly met (which of
    its rubrics is missing is then ambiguous) or the task has no tool-call rubric."""
    rubrics = tool_call_rubrics(record)
    calls = _calls(trajectory)
    if not rubrics:
        return None
    matching = {
        check.model_dump_json(): sum(check_tool_call([c], check).verdict is Verdict.MET for c in calls)
        for _, check, _ in rubrics
    }
    needed = Counter(check.model_dump_json() for _, check, _ in rubrics)
    decided = []
    for rubric, check, occurrence in rubrics:
        key = check.model_dump_json()
        if needed[key] > 1 and 0 < matching[key] < needed[key]:
            return None
        outcome = check_tool_call(calls, check)
        met = matching[key] >= occurrence
        if met != (outcome.verdict is Verdict.MET) and occurrence == 1:
            return None  # the per-call count and the verifier disagree: not verified
        reason = outcome.reason if occurrence == 1 else f"{matching[key]} matching calls of {check.name}"
        decided.append(Decided(_criterion(rubric), Verdict.MET if met else Verdict.NOT_MET, reason, "tool_call"))
    return decided


def _score(decided: Sequence[Decided]) -> float:
    """Weighted share met (pitfalls met subtract), as `judge.aggregate` scores applicable criteria."""
    positive = sum(d.criterion.weight for d in decided if d.criterion.importance is not Importance.PITFALL) or 1.0
    gained = sum(
        -d.criterion.weight if d.criterion.importance is Importance.PITFALL else d.criterion.weight
        for d in decided
        if d.verdict is Verdict.MET
    )
    return min(1.0, max(0.0, gained / positive))


# rows -----------------------------------------------------------------------------------------------------------------
@dataclass
class JudgeRows:
    """Builds judge examples from verified pairs; `skipped` counts what was left out and why."""

    split: EvaluationSplit
    teleqna: dict[str, QueryRecord]
    tau2: dict[str, QueryRecord]
    seed: int = 0

    def __post_init__(self) -> None:
        self.skipped: Counter[str] = Counter()
        self.by_source: Counter[str] = Counter()
        self._seen: set[str] = set()

    def examples(self, pairs: Sequence[PreferencePair], *, split: str) -> Iterator[SftExample]:
        """Examples of every verified side of `pairs`; with split="train", nothing the evaluation judges."""
        for pair in pairs:
            yield from self._pair(pair, split)

    def _pair(self, pair: PreferencePair, split: str) -> Iterator[SftExample]:
        if pair.source == "teleqna-mcq":
            record = self.teleqna.get(pair.id.removesuffix(":mcq"))
            sides = {s: mcq_decided(pair, record, s) if record else None for s in ("chosen", "rejected")}
        elif pair.source.startswith("tau2") and pair.task_id:
            record = self.tau2.get(pair.task_id)
            if not pair.decisive:
                self.skipped["tau2: rewards tie"] += 1
                return
            sides = {s: tau2_decided(record, getattr(pair, s)) if record else None for s in ("chosen", "rejected")}
        else:
            self.skipped[f"{pair.source}: no verifier"] += 1
            return
        chosen, rejected = sides["chosen"], sides["rejected"]
        if record is None:
            self.skipped[f"{pair.source}: no record"] += 1
            return
        if chosen is None or rejected is None:
            self.skipped[f"{pair.source}: not verified"] += 1
            return
        if not _score(chosen) > _score(rejected):
            self.skipped[f"{pair.source}: verdicts disagree with the label"] += 1
            return
        for side, decided in (("chosen", chosen), ("rejected", rejected)):
            response = response_text(getattr(pair, side))
            item_id = f"{pair.task_id}#gold" if pair.task_id and side == "chosen" else f"{pair.id}:{side}"
            if item_id in self._seen:
                continue  # the gold trajectory is the chosen side of every drop-one pair of its task
            if split == "train" and (
                self.split.holds_item(pair.prompt, response)
                or (pair.source == "teleqna-mcq" and self.split.holds_prompt(pair.prompt))
            ):
                self.skipped[f"{pair.source}: overlaps the evaluation"] += 1
                continue
            self._seen.add(item_id)
            self.by_source[pair.source] += 1
            meta = ExportMeta(
                what="judge",
                split=split,
                source=pair.source,
                item_id=item_id,
                pair_id=pair.id,
                query_ids=[record.query_id],
                task_id=pair.task_id or "",
                category=pair.category or "",
                response=side,
                rubric_ids=[r for d in decided for r in d.criterion.rubric_ids],
                deciders=[d.decider for d in decided],
                prompt=pointwise_prompt().ref,
                output=OUTPUT,
                seed=self.seed,
            )
            yield judge_example(pair.prompt, response, decided, meta, reference=pair.reference)
