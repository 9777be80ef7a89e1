"""What the last rubric analysis on labelled preference pairs (`telerubric analyze`) found for each KB rubric:
how often it decided a pair and how often it sided with the chosen response. Pruning drops a rubric that sides
against the label; the UI shows the entry.

Entries live in the KB's key-value cache (namespace `rubric_analysis`, key `rubric_analysis:<id>`, no schema of their
own); a later analysis replaces an entry. The judge writes the whole analysis of a rubric (its `RubricAnalysis`
extends `RubricEvidence`); readers here validate the fields below and ignore the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from kb.cache import cache_get_many

ANALYSIS_NAMESPACE = "rubric_analysis"


def analysis_key(rubric_id: str) -> str:
    """The cache key of one rubric's analysis entry."""
    return f"{ANALYSIS_NAMESPACE}:{rubric_id}"


LATEST_ANALYSIS_KEY = analysis_key("latest")  # the last run's pointer ({"path", "created_at", …}), not a rubric's


class RubricEvidence(BaseModel, frozen=True):
    """One rubric's record on labelled pairs: the decisions behind its precision and contribution."""

    id: str
    n_decided: int = Field(description="Judged pairs it decided: met for one response, not met for the other.")
    n_agree: int = Field(description="Decided pairs where its side is the labelled chosen response.")
    precision: float | None = Field(None, description="n_agree ÷ n_decided; None when it never decides.")
    contribution: float | None = Field(
        None,
        description="Pair accuracy of the full set minus accuracy without this rubric, both recomputed from the same "
        "verdicts (ties and errors count as wrong); None without labelled pairs.",
    )
    recorded_at: str | None = Field(None, description="UTC time the entry was stored in the KB (record_analysis).")
    pairs_source: str | None = Field(None, description="The pair set of the run that produced this entry.")


def rubric_evidence(engine: Engine, ids: Sequence[str]) -> dict[str, RubricEvidence]:
    """The stored entries of `ids` in one read; rubrics never analysed are absent."""
    stored = cache_get_many(engine, [analysis_key(i) for i in ids])
    found = (RubricEvidence.model_validate_json(raw) for raw in stored.values())
    return {e.id: e for e in found}
