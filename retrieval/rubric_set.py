"""What synthesis hands to the judge: a typed rubric set, with provenance, pruning and fallback recorded."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from kb import Importance, MachineCheck, RubricKind, TokenUsage


class ItemOrigin(StrEnum):
    """Where a rubric-set item comes from."""

    SYNTHESISED = "synthesised"  # written by the generator for this question
    RETRIEVED = "retrieved"  # a KB rubric taken verbatim (the fallback)


class PruneReason(StrEnum):
    """Why hit-frequency pruning removed a KB rubric."""

    TOO_RARE = "too_rare"  # retrieval rate below pruning.min_retrieval_rate: noise
    TOO_COMMON = "too_common"  # retrieval rate above pruning.max_retrieval_rate: generic
    ALWAYS_MET = "always_met"  # met rate above pruning.max_met_rate: not discriminative
    NEVER_MET = "never_met"  # met rate below pruning.min_met_rate: not discriminative
    AGAINST_LABEL = "against_label"  # analysed precision below pruning.min_precision: misleads the judge


class PrunedRubric(BaseModel, frozen=True):
    """One KB rubric pruning kept away from the generator, and the numbers behind the decision."""

    rubric_id: str
    text: str
    reason: PruneReason
    threshold: float = Field(description="The setting the rate crossed.")
    retrieval_rate: float | None = Field(None, description="retrieved / retrieval events; None before any retrieval.")
    met_rate: float | None = Field(None, description="met / (met + not met); None without verdicts.")
    retrieved: int = Field(0, ge=0)
    verdicts: int = Field(0, ge=0, description="met + not met.")
    precision: float | None = Field(None, description="Analysed precision on labelled pairs; None if not analysed.")
    decided: int = Field(0, ge=0, description="Labelled pairs the analysis saw it decide.")


class SynthesisErrorKind(StrEnum):
    """Why the generator's reply was not used (the LLM kinds mirror `kb.llm.LLMErrorKind`)."""

    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SERVER = "server"
    UNAVAILABLE = "unavailable"
    PARSE = "parse"
    TRUNCATED = "truncated"
    REQUEST = "request"
    CONFIG = "config"
    EMPTY = "empty"  # the reply validated but no usable item survived validation


class SynthesisError(BaseModel, frozen=True):
    kind: SynthesisErrorKind
    message: str = Field(description="One line: what failed and what to do.")


class RubricItem(BaseModel, frozen=True):
    """One criterion of a rubric set."""

    id: str = Field(description="KB id for retrieved items; `s-<hash of kind and text>` for synthesised ones.")
    text: str
    kind: RubricKind
    importance: Importance
    weight: float = Field(ge=0.0, le=10.0)
    derived_from: tuple[str, ...] = Field((), description="Ids of the KB rubrics it was derived from.")
    check: MachineCheck | None = Field(None, description="Machine check carried over from its one checked source.")
    condition: str | None = Field(
        None, description="When the criterion applies ('the APN has no MMSC URL'); absent cause → not applicable."
    )
    origin: ItemOrigin


class RubricSet(BaseModel, frozen=True):
    """The rubrics for one question, how they were made, and what pruning removed."""

    question: str
    items: tuple[RubricItem, ...] = ()
    offered: tuple[str, ...] = Field((), description="KB rubric ids listed to the generator, in prompt order.")
    pruned: tuple[PrunedRubric, ...] = Field((), description="Neighbour rubrics pruning removed (current stats).")
    merged: int = Field(0, ge=0, description="Near-duplicate items merged into others.")
    dropped: int = Field(0, ge=0, description="Items left out by the size cap (coding-rate selection).")
    fallback: bool = Field(False, description="True when the items are retrieved rubrics because synthesis failed.")
    error: SynthesisError | None = Field(None, description="Why synthesis failed (set exactly when fallback).")
    generator: str = Field(description="Model asked to synthesise.")
    prompt: str = Field(description="Prompt id@version.")
    kb_version: int
    usage: TokenUsage | None = Field(None, description="Generator tokens; None when unreported or not called.")
    cache_key: str
    cached: bool = Field(False, description="True when read from the SQL cache.")
