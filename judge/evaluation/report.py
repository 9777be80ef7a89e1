"""What an evaluation run returns: one outcome per pair and the metrics over them."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from judge.result import CriterionVerdict


class EvalMode(StrEnum):
    POINTWISE = "pointwise"  # score each response, compare the scores
    PAIRWISE = "pairwise"  # one both-order comparison


class RubricSource(StrEnum):
    NONE = "none"  # the LLM judge with a generic criterion set / no criteria (the ablation)
    RETRIEVED = "retrieved"  # the KB's retrieved rubrics as criteria, no synthesis
    SYNTHESISED = "synthesised"  # the full reward, pruning off
    PRUNED = "pruned"  # the full reward with hit-frequency pruning (the default reward)
    LEARNED = "learned"  # a learned, query-agnostic rubric set

    @property
    def reads_kb(self) -> bool:
        """Its criteria come from the KB: retrieved directly, or synthesised (and pruned) behind the reward."""
        return self in (RubricSource.RETRIEVED, RubricSource.SYNTHESISED, RubricSource.PRUNED)


Preferred = Literal["chosen", "rejected", "tie"]


class PairOutcome(BaseModel, frozen=True):
    """How one pair was judged (ids only: no pair text, so reports of licensed data sets can be shared)."""

    pair_id: str
    category: str | None = None
    difficulty: str | None = None
    group: str | None = None
    decisive: bool = Field(True, description="False when the data set's own rewards tie.")
    preferred: Preferred | None = Field(None, description="None on an error.")
    chosen_score: float | None = None
    rejected_score: float | None = None
    consistent: bool | None = Field(None, description="Pairwise: both orders agreed; None for pointwise.")
    decided_by: str = ""
    error: str | None = Field(None, description="'<kind>: <message>' when the judge failed.")
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    # Pointwise runs with `keep_verdicts`: each response's per-criterion verdicts, for rubric analysis. Never
    # serialised (reasons may quote the judged text), so reports stay shareable.
    chosen_verdicts: tuple[CriterionVerdict, ...] = Field((), exclude=True, repr=False)
    rejected_verdicts: tuple[CriterionVerdict, ...] = Field((), exclude=True, repr=False)

    @property
    def correct(self) -> bool:
        return self.preferred == "chosen"


class Metrics(BaseModel, frozen=True):
    """Metrics over decisive pairs. Accuracy counts ties and errors as wrong."""

    n: int = Field(description="Decisive pairs.")
    accuracy: float | None = Field(None, description="Share where chosen is preferred.")
    accuracy_answered: float | None = Field(None, description="Accuracy over pairs without a tie or error.")
    tie_rate: float | None = None
    error_rate: float | None = None
    swap_consistency: float | None = Field(None, description="Pairwise: share of non-error pairs whose orders agree.")
    roc_auc: float | None = Field(None, description="Pointwise: AUC of score vs label (chosen = 1).")


class EvalConfig(BaseModel, frozen=True):
    backend: str = Field("rubric", description="'rubric' (the rubric reward) or 'bt' (the Bradley-Terry baseline).")
    mode: EvalMode
    rubrics: RubricSource
    granularity: Literal["response", "criterion"]
    use_llm: bool
    model: str
    pairs_source: str = ""
    seed: int = 0


class EvalReport(BaseModel, frozen=True):
    """One evaluation run: its configuration, the overall metrics, breakdowns and every pair's outcome."""

    config: EvalConfig
    overall: Metrics
    by_category: dict[str, Metrics] = Field(default_factory=dict)
    by_difficulty: dict[str, Metrics] = Field(default_factory=dict)
    best_of_n: float | None = Field(None, description="Share of groups where chosen beat every rejected response.")
    pairs: int = Field(description="Pairs judged (decisive or not).")
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = Field(0.0, description="Wall time of the run.")
    outcomes: tuple[PairOutcome, ...] = ()
