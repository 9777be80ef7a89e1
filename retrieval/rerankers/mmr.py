"""The default reranker: bi-encoder cosine over the full texts with maximal marginal relevance (MMR) diversity.

No cross-encoder weights ship with the offline install, so the stored all-MiniLM vectors of the full texts
score relevance, and MMR demotes near-duplicates: each pick maximises λ·cos(q, d) − (1−λ)·max cos(d, picked).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.rerankers.base import Ranking, RerankItem


class MMRReranker:
    """MMR over stored bi-encoder vectors; `lambda_` = 1 orders by relevance alone."""

    name = "mmr"
    needs_text = False

    def __init__(self, lambda_: float = 0.7) -> None:
        if not 0.0 <= lambda_ <= 1.0:
            raise ValueError(f"mmr lambda must be in [0, 1], got {lambda_}")
        self.lambda_ = lambda_

    def rerank(self, question: str, question_vector: np.ndarray, items: Sequence[RerankItem], k: int) -> Ranking:
        if not items or k <= 0:
            return Ranking(order=(), reranker=self.name)
        matrix = np.stack([item.vector for item in items]).astype(np.float32)
        relevance = matrix @ question_vector.astype(np.float32)
        pairwise = matrix @ matrix.T
        fused = np.asarray([item.fused for item in items])
        chosen: list[tuple[int, float]] = []
        redundancy = np.full(len(items), -np.inf)
        left = np.ones(len(items), dtype=bool)
        for _ in range(min(k, len(items))):
            penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
            gain = self.lambda_ * relevance - (1.0 - self.lambda_) * penalty
            gain = np.where(left, gain, -np.inf)
            best = max(np.flatnonzero(gain == gain.max()), key=lambda i: fused[i])  # ties: the better fused rank
            chosen.append((int(best), float(gain[best])))
            left[best] = False
            redundancy = np.maximum(redundancy, pairwise[best])
        return Ranking(order=tuple(chosen), reranker=self.name)
