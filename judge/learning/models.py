"""Typed outputs of rubric learning: the generator's draft, one pair's validated set, the aggregated learned set."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from kb import TokenUsage


class DraftRubric(BaseModel, frozen=True):
    """One criterion the generator wrote."""

    text: str = Field(min_length=8, max_length=400, description='"The response …" / "The agent …".')
    kind: Literal["hard_rule", "principle"]
    theme: str = Field(min_length=1, max_length=60, description="Two to four words: what it is about.")


class RubricDraft(BaseModel, frozen=True):
    """The generator's reply (prompts learn.contrastive / learn.revise)."""

    rubrics: list[DraftRubric] = Field(min_length=1, max_length=6)


class PairRubrics(BaseModel, frozen=True):
    """The outcome of propose–evaluate–revise on one pair: one checkpoint line."""

    pair_id: str
    converged: bool = Field(description="The judge, using the rubrics, preferred chosen in both orders.")
    round: int = Field(ge=0, description="Round (1-based) whose set converged, or the last round tried; 0 = none.")
    rubrics: tuple[DraftRubric, ...] = Field((), description="The validated set (empty when not converged).")
    failed: tuple[tuple[DraftRubric, ...], ...] = Field((), description="Sets the judge did not validate, in order.")
    reasons: tuple[str, ...] = Field((), description="The judge's / generator's one-line outcome per round.")
    model: str = ""
    prompts: tuple[str, ...] = Field((), description="Prompt id@version used (generator and judge).")
    usage: TokenUsage | None = None
    error: str | None = Field(None, description="Why no round could run (an LLM fault), if so.")


class LearnedRubric(BaseModel, frozen=True):
    """One rubric kept by coding-rate selection, with where it came from."""

    id: str
    text: str
    kind: Literal["hard_rule", "principle"]
    theme: str
    gain: float = Field(description="Coding-rate gain (nats) when greedy selection picked it.")
    pair_ids: tuple[str, ...] = Field(description="Pairs whose validated sets contained it.")
    round: int = Field(description="Highest round in which a source set converged.")


class Theme(BaseModel, frozen=True):
    """Theme-Tips: a theme with its tips (the learned rubrics under it) and their source pair ids."""

    theme: str
    tips: tuple[str, ...]
    rubric_ids: tuple[str, ...]
    pair_ids: tuple[str, ...]


class LearnedSet(BaseModel, frozen=True):
    """The query-agnostic learned rubric set (written as learned.json; `telerubric eval --rubrics learned` reads it)."""

    rubrics: tuple[LearnedRubric, ...]
    themes: tuple[Theme, ...]
    pool: int = Field(description="Distinct validated rubrics pooled before selection.")
    pair_specific: tuple[str, ...] = Field(
        (),
        description="Pooled rubrics dropped before selection: they quote their own pair (judge/learning/specific.py).",
    )
    pairs: int = Field(description="Pairs learned from.")
    converged: int = Field(description="Pairs whose set converged.")
    model: str
    prompts: tuple[str, ...]
    seed: int
    batch: int
    patience: int
    min_gain: float
    min_support: int = Field(0, description="Pairs a quoted phrase needed to count as vocabulary; 0 = no check.")
