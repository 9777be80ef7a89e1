"""TeleQnA questions, in the upstream layout or the GSMA Open-Telco one, as one query each: a hard rule with a choice
check and, where the explanation carries reasoning, a principle."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ingest.reader import Entry
from ingest.selection import slug
from ingest.validation import validate_entry
from kb import (
    ChoiceCheck,
    Importance,
    InputProblem,
    Provenance,
    QueryRecord,
    RubricKind,
    RubricRecord,
    RubricStatus,
    derived_id,
    normalise_text,
)

SOURCE = "teleqna"
MAX_OPTIONS = 5
_KEY = re.compile(r"^question (\d+)$")
_ANSWER = re.compile(r"^option (\d+)\s*:\s?(.*)$", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
MIN_NEW_WORDS = 6  # an explanation "carries reasoning" when it adds this many words beyond question and answer
MAX_PRINCIPLE_CHARS = 600


def _folded(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Question:
    """One TeleQnA question, whatever the layout it was read from."""

    key: str  # the dataset's name for it (upstream `question N`); rubric ids derive from it
    query_id: str
    question: str
    options: tuple[str, ...]
    answer: int  # 1-based
    answer_text: str | None  # the answer's text as the file states it next to the number; None: not stated
    explanation: str
    category: str


def query_id(key: str) -> str:
    """`question 123` → `teleqna-q123`."""
    return f"teleqna-q{_KEY.match(key).group(1)}"  # type: ignore[union-attr]


def options_text(question: str, options: tuple[str, ...] | list[str]) -> str:
    """The question and its numbered options, as the agent sees them."""
    lines = "\n".join(f"option {i}: {text}" for i, text in enumerate(options, start=1))
    return f"{question.strip()}\n{lines}"


class TeleQnAItem(BaseModel):
    """One upstream item: `question`, `option 1`..`option 5` (2–5 present), `answer: "option K: text"`, …"""

    model_config = ConfigDict(extra="allow", frozen=True)

    question: str = Field(min_length=1)
    answer: str = Field(pattern=_ANSWER.pattern)
    explanation: str = ""
    category: str = Field(min_length=1)

    def options(self) -> list[str]:
        extra = self.model_extra or {}
        return [str(extra[f"option {i}"]) for i in range(1, MAX_OPTIONS + 1) if f"option {i}" in extra]

    def answer_parts(self) -> tuple[int, str]:
        match = _ANSWER.match(self.answer)
        return int(match.group(1)), match.group(2).strip()  # type: ignore[union-attr]

    @model_validator(mode="after")
    def _options_hold_the_answer(self) -> Self:
        options = self.options()
        named = sorted(k for k in (self.model_extra or {}) if k.startswith("option "))
        if len(options) < 2 or named != [f"option {i}" for i in range(1, len(options) + 1)]:
            raise ValueError("expected options `option 1`..`option N` (2–5, no gaps)")
        number, _ = self.answer_parts()
        if not 1 <= number <= len(options):
            raise ValueError(f"answer points to option {number}; the item has {len(options)} options")
        return self

    def to_question(self, key: str) -> Question:
        number, text = self.answer_parts()
        return Question(
            key=key,
            query_id=query_id(key),
            question=self.question,
            options=tuple(self.options()),
            answer=number,
            answer_text=text,
            explanation=self.explanation,
            category=self.category,
        )


class OpenTelcoItem(BaseModel):
    """One GSMA Open-Telco row: `question`, `choices`, `answer` (0-based index or a choice's text), `subject`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    question: str = Field(min_length=1)
    choices: list[str] = Field(min_length=2)
    answer: int | str = Field(description="0-based index into `choices`, or the text of one choice.")
    subject: str = Field(min_length=1)
    explanation: str = Field("", validation_alias=AliasChoices("explanation", "explaination"))

    @field_validator("answer")
    @classmethod
    def _names_one_choice(cls, value: int | str, info: ValidationInfo) -> int | str:
        choices = info.data.get("choices")
        if choices is None:  # reported as a problem of `choices`
            return value
        if isinstance(value, int) and not 0 <= value < len(choices):
            raise ValueError(f"index {value} is outside the {len(choices)} choices; expected a 0-based index")
        if isinstance(value, str) and _folded(value) not in [_folded(c) for c in choices]:
            raise ValueError("is not the text of any choice; expected a 0-based index or one choice's text")
        return value

    def to_question(self, occurrence: int) -> Question:
        """`occurrence` numbers rows with equal text (1 for the first), so each keeps its own stable id."""
        text = options_text(self.question, self.choices)
        key = derived_id("q", SOURCE, normalise_text(text), *([str(occurrence)] if occurrence > 1 else []))
        if isinstance(self.answer, int):
            number = self.answer + 1
        else:
            number = [_folded(c) for c in self.choices].index(_folded(self.answer)) + 1
        return Question(
            key=key,
            query_id=key,
            question=self.question,
            options=tuple(self.choices),
            answer=number,
            answer_text=None,
            explanation=self.explanation,
            category=self.subject,
        )


def upstream_question(entry: Entry[Any], problems: list[InputProblem]) -> Question | None:
    """An upstream `"question N": {…}` pair, validated."""
    key = entry.key or ""
    if not _KEY.match(key):
        problems.append(InputProblem(entry.file, entry.line, None, f'key {key[:40]!r} is not "question N"'))
        return None
    item = validate_entry(TeleQnAItem, entry.data, entry.file, entry.line, problems, prefix=key)
    return None if item is None else item.to_question(key)


def open_telco_question(entry: Entry[Any], problems: list[InputProblem], seen: Counter[str]) -> Question | None:
    """An Open-Telco row, validated; `seen` counts earlier rows of equal text (read in file order)."""
    item = validate_entry(OpenTelcoItem, entry.data, entry.file, entry.line, problems)
    if item is None:
        return None
    text = normalise_text(options_text(item.question, item.choices))
    seen[text] += 1
    return item.to_question(seen[text])


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def principle_text(q: Question) -> str | None:
    """'The response grounds its answer in this reasoning: <explanation>' when the explanation adds reasoning."""
    explanation = _folded(q.explanation)
    stated = f"option {q.answer}: {q.options[q.answer - 1] if q.answer_text is None else q.answer_text}"
    new_words = _words(explanation) - _words(q.question) - _words(stated)
    if len(new_words) < MIN_NEW_WORDS:
        return None
    if len(explanation) > MAX_PRINCIPLE_CHARS:
        cut = explanation[:MAX_PRINCIPLE_CHARS]
        explanation = cut[: cut.rfind(". ") + 1] if ". " in cut else cut.rstrip() + "…"
    return f"The response grounds its answer in this reasoning: {explanation}"


def question_record(q: Question, file: str, line: int | None) -> QueryRecord:
    """The question's query with its choice rule (one per question: equal option sets in other questions are other
    questions) and, when the explanation adds reasoning, a principle (shared by equal explanations in a category)."""
    options = list(q.options)
    check = ChoiceCheck(answer=q.answer, options=options)
    canonical = json.dumps(check.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    category = slug(q.category, prefix="category:")
    where = Provenance(file=file, line=line, dataset_id=q.key)
    approved = {"tags": [SOURCE, category], "status": RubricStatus.APPROVED, "source": SOURCE, "provenance": where}
    shown_option = _folded(options[q.answer - 1])
    rubrics = [
        RubricRecord(
            id=derived_id("r", SOURCE, q.key, canonical),
            kind=RubricKind.HARD_RULE,
            importance=Importance.ESSENTIAL,
            text=f'The response selects option {q.answer} ("{shown_option[:300]}")',
            check=check,
            theme="correct option",
            **approved,
        )
    ]
    principle = principle_text(q)
    if principle is not None:
        rubrics.append(
            RubricRecord(
                id=derived_id("r", SOURCE, "principle", category, normalise_text(principle)),
                kind=RubricKind.PRINCIPLE,
                importance=Importance.IMPORTANT,
                text=principle,
                theme="reasoning",
                **approved,
            )
        )
    return QueryRecord(
        id=q.query_id,
        text=options_text(q.question, q.options),
        tags=[SOURCE, category],
        source=SOURCE,
        rubrics=rubrics,
        provenance=where,
    )


def answer_mismatch(q: Question) -> str | None:
    """A note when the stated answer text differs from the option its number points to (reported, not fixed)."""
    option = q.options[q.answer - 1]
    if q.answer_text is None or _folded(q.answer_text) == _folded(option):
        return None
    return (
        f"{q.key}: answer text {q.answer_text[:80]!r} differs from option {q.answer} {option[:80]!r}; "
        f"kept option {q.answer} as the answer"
    )
