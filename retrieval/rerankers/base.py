"""The reranker protocol: reorder one collection's candidates for a question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np


class RerankerKind(StrEnum):
    MMR = "mmr"
    CROSS_ENCODER = "cross-encoder"
    LLM = "llm"


@dataclass(frozen=True)
class RerankItem:
    """A candidate as rerankers see it: its full text and the stored bi-encoder vector of that text."""

    id: str
    text: str
    vector: np.ndarray  # unit length
    fused: float  # RRF score from the search


@dataclass(frozen=True)
class Ranking:
    """Item positions (into the input) best first, each with its reranker score (higher is better)."""

    order: tuple[tuple[int, float], ...]
    reranker: str  # e.g. "mmr", "cross-encoder:<model>", "llm:<model>"
    fallback: str | None = None  # set when the configured reranker failed and another order was used


class Reranker(Protocol):
    """Orders candidates for one question; returns at most `k` of them.

    `needs_text` False means `RerankItem.text` is not read (the retriever then skips reading the texts of
    candidates it will not return).
    """

    @property
    def name(self) -> str: ...

    @property
    def needs_text(self) -> bool: ...

    def rerank(self, question: str, question_vector: np.ndarray, items: Sequence[RerankItem], k: int) -> Ranking: ...
