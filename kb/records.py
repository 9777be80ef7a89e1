"""Typed records that cross package boundaries: rubric kinds, machine checks, and the rubric / query records
that every ingestion job produces and the store writes."""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kb.tau2_tasks import Tau2RewardType, Tau2TaskState

MAX_RUBRIC_TEXT = 4_000
MAX_QUERY_TEXT = 20_000
TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:+\-/]{0,63}$")
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-\[\]|@#]{0,199}$"


class RubricKind(StrEnum):
    HARD_RULE = "hard_rule"
    PRINCIPLE = "principle"
    TOOL_CALL = "tool_call"


class Importance(StrEnum):
    ESSENTIAL = "essential"
    IMPORTANT = "important"
    OPTIONAL = "optional"
    PITFALL = "pitfall"  # met = bad: the response must NOT do this


DEFAULT_WEIGHTS: dict[Importance, float] = {
    Importance.ESSENTIAL: 1.0,
    Importance.IMPORTANT: 0.6,
    Importance.OPTIONAL: 0.3,
    Importance.PITFALL: 1.0,
}


class RubricStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    RETIRED = "retired"


class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolCallCheck(_Check):
    """The trajectory contains a call of `name` by `requestor` whose `compare_args` equal the given arguments."""

    type: Literal["tool_call"] = "tool_call"
    name: str = Field(min_length=1, description="Tool name.")
    requestor: Literal["assistant", "user"] = Field("assistant", description="Which side must call it.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Reference arguments.")
    compare_args: list[str] | None = Field(None, description="Argument names compared; None = all of `arguments`.")


class ChoiceCheck(_Check):
    """A multiple-choice answer: the response selects option `answer` (1-based) of `options`."""

    type: Literal["choice"] = "choice"
    answer: int = Field(ge=1, description="1-based number of the correct option.")
    options: list[str] = Field(min_length=2, description="Option texts in order.")


class NumericCheck(_Check):
    """A numeric answer within a relative tolerance (units stripped before comparing)."""

    type: Literal["numeric"] = "numeric"
    value: float = Field(description="The reference value.")
    rel_tol: float = Field(1e-2, ge=0.0, description="Relative tolerance.")
    abs_tol: float = Field(0.0, ge=0.0, description="Absolute tolerance (for answers near zero).")


class EnvAssertionCheck(_Check):
    """An end-state assertion run against the replayed environment (τ²-bench `env_assertions`)."""

    type: Literal["env_assertion"] = "env_assertion"
    env_type: Literal["assistant", "user"] = Field(description="Which side's environment the function reads.")
    func_name: str = Field(min_length=1, description="Assertion function name, e.g. assert_mobile_data_status.")
    arguments: dict[str, Any] = Field(default_factory=dict, description="Function arguments.")
    assert_value: bool = Field(True, description="The value the function must return.")
    message: str | None = Field(None, description="Upstream message, if any.")


class RewardBasisCheck(_Check):
    """Which τ²-bench components make up the reward for a task (its `reward_basis`)."""

    type: Literal["reward_basis"] = "reward_basis"
    basis: list[Tau2RewardType] = Field(min_length=1)


class PolicyCheck(_Check):
    """A policy rule checked over a trajectory's tool calls (main_policy.md of the τ²-bench telecom domain).

    `identify_before_write`: a customer lookup precedes every account write; `writes_target_identified_customer`:
    every write acts on the identified customer's own lines and bills; `within_limits`: refuels and payment
    requests stay within the policy's limits (`limit` narrows it to one of the two).
    """

    type: Literal["policy"] = "policy"
    rule: Literal["identify_before_write", "writes_target_identified_customer", "within_limits"]
    limit: Literal["refuel", "payment"] | None = Field(None, description="within_limits only: None = both.")

    @model_validator(mode="after")
    def _limit_only_for_limits(self) -> PolicyCheck:
        if self.limit is not None and self.rule != "within_limits":
            raise ValueError(f"limit is only for rule within_limits, not {self.rule}")
        return self


MachineCheck = Annotated[
    ToolCallCheck | ChoiceCheck | NumericCheck | EnvAssertionCheck | RewardBasisCheck | PolicyCheck,
    Field(discriminator="type"),
]


def is_answer_key(check: object) -> bool:
    """A question's own answer (its option, its number): it belongs to that question alone, so it is never offered,
    synthesised or judged as a criterion for another one."""
    return isinstance(check, ChoiceCheck | NumericCheck)


class Provenance(BaseModel):
    """Where a record came from. Stored as one JSON column without its None fields, so rows written before a field
    existed read back with that field None (no schema migration)."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(None, description="Source file path as given to the ingestion job.")
    line: int | None = Field(None, description="1-based line of the record in that file.")
    dataset_id: str | None = Field(None, description="Id of the item in its dataset (task id, question number).")
    generator: str | None = Field(None, description="Model that generated the record, if any.")
    prompt: str | None = Field(None, description="Prompt id@version used, if generated.")
    section: str | None = Field(None, description="Policy section or document part the record cites.")
    pair_ids: list[str] | None = Field(
        None, description="Learned rubrics: ids of the preference pairs whose validated rubric sets contained it."
    )
    round: int | None = Field(
        None,
        ge=0,
        description="Learned rubrics: the highest propose–revise round (1-based) in which a source set converged.",
    )


def _check_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        if not TAG_PATTERN.match(tag):
            raise ValueError(f"tag {tag!r} must be lower-case letters, digits and _.:+-/ (at most 64 characters)")
        if tag not in out:
            out.append(tag)
    return out


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("must not be empty")
    return text


class _TextAndTags(BaseModel):
    """Shared validation: text is stripped and not blank; tags are lower-case slugs, deduplicated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("text", check_fields=False)
    @classmethod
    def _text_not_empty(cls, value: str) -> str:
        return _check_text(value)

    @field_validator("tags", check_fields=False)
    @classmethod
    def _tags_are_slugs(cls, value: list[str]) -> list[str]:
        return _check_tags(value)


class RubricRecord(_TextAndTags):
    """One rubric as an ingestion job hands it to the store."""

    id: str | None = Field(None, pattern=ID_PATTERN, description="Stable id; None = derived from kind and text.")
    text: str = Field(max_length=MAX_RUBRIC_TEXT, description='The criterion, e.g. "The agent …".')
    kind: RubricKind = Field(description="hard_rule | principle | tool_call")
    importance: Importance = Field(Importance.IMPORTANT, description="essential | important | optional | pitfall")
    weight: float | None = Field(None, ge=0.0, le=10.0, description="Weight; None = the importance's default.")
    theme: str | None = Field(None, max_length=200, description="Theme (Theme-Tips).")
    tips: list[str] = Field(default_factory=list, description="Tips for the judge (Theme-Tips).")
    tags: list[str] = Field(default_factory=list, description="Domain tags, e.g. mms, mobile_data, 3gpp.")
    check: MachineCheck | None = Field(None, description="Optional machine-checkable spec.")
    condition: str | None = Field(
        None,
        min_length=1,
        max_length=1_000,
        description='When the rubric applies (a cause, e.g. "the phone\'s airplane mode is on"); None = always. '
        "A judge marks it not applicable when the condition does not hold.",
    )
    status: RubricStatus = Field(RubricStatus.DRAFT, description="draft | approved | retired")
    source: str = Field("expert", min_length=1, max_length=64, description="Where it comes from: expert, tau2, …")
    provenance: Provenance = Field(default_factory=Provenance)

    @property
    def rubric_id(self) -> str:
        return self.id or derived_id("r", self.kind.value, normalise_text(self.text))

    @property
    def effective_weight(self) -> float:
        return self.weight if self.weight is not None else DEFAULT_WEIGHTS[self.importance]

    def content(self) -> dict[str, Any]:
        """The fields whose change makes a new version (provenance excluded; no condition = as before it existed)."""
        exclude = {"id", "provenance"} | ({"condition"} if self.condition is None else set())
        return self.model_dump(mode="json", exclude=exclude)


class QueryRecord(_TextAndTags):
    """A query with its rubrics (a query–rubric pair set)."""

    id: str | None = Field(None, pattern=ID_PATTERN, description="Stable id; None = derived from the text.")
    text: str = Field(max_length=MAX_QUERY_TEXT, description="The request as the agent receives it.")
    tags: list[str] = Field(default_factory=list, description="Domain tags.")
    source: str = Field("expert", min_length=1, max_length=64, description="Where it comes from.")
    rubrics: list[RubricRecord] = Field(default_factory=list, description="Rubrics linked to this query.")
    provenance: Provenance = Field(default_factory=Provenance)
    tau2: Tau2TaskState | None = Field(
        None, description="A τ² task's initial state and base environment, so the KB alone can verify a trajectory."
    )

    @property
    def query_id(self) -> str:
        return self.id or derived_id("q", normalise_text(self.text))


def normalise_text(text: str) -> str:
    """Whitespace-folded, case-folded text: the identity of a request for ids and cache keys."""
    return " ".join(text.split()).casefold()


def derived_id(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
    return f"{prefix}-{digest}"


def content_hash(data: Any) -> str:
    """sha256 of canonical JSON."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
