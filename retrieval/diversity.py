"""Diversity selection by coding rate (MCR², as in Auto-Rubric): exact greedy, seeded tie-breaks.

The rate of a selected set S of k unit vectors (rows of E, d columns) is
R(S) = ½ log det(I_d + c EᵀE) with c = d / (k ε²). The coefficient uses the target size k for every
intermediate set, so R is monotone submodular and greedy keeps its (1 − 1/e) bound.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from kb import Embedder

TIE_RTOL = 1e-9


class Selection(BaseModel, frozen=True):
    """Indices chosen in greedy order, the gain of each step, and the final rate (nats)."""

    indices: tuple[int, ...] = Field(description="Chosen rows, in the order greedy picked them.")
    gains: tuple[float, ...] = Field(description="Rate gain (nats) of each pick.")
    rate: float = Field(description="Coding rate of the chosen rows (nats).")
    eps: float = Field(description="ε used.")
    seed: int = Field(description="Seed of the tie-breaking rng.")


def coding_rate(vectors: np.ndarray, c: float) -> float:
    """½ log det(I + c EᵀE), through the smaller of the n×n and d×d forms (Sylvester's identity)."""
    n, d = vectors.shape
    if n == 0:
        return 0.0
    gram = vectors @ vectors.T if n <= d else vectors.T @ vectors
    sign, logdet = np.linalg.slogdet(np.eye(gram.shape[0]) + c * gram)
    if sign <= 0:
        raise ArithmeticError("coding rate: I + c·EᵀE is not positive definite")
    return 0.5 * float(logdet)


def check_vectors(vectors: np.ndarray) -> np.ndarray:
    """Float64 copy of a 2-d array of finite, non-zero rows; anything else is an embedding fault.

    Raises:
        ValueError: wrong shape, non-finite values or a zero row.
    """
    array = np.asarray(vectors, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"expected a 2-d array of vectors, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("vectors contain NaN or infinity")
    if array.size and not np.all(np.linalg.norm(array, axis=1) > 0):
        raise ValueError("a vector is zero; an embedding failure must not be passed on")
    return array


def select_by_coding_rate(vectors: np.ndarray, k: int, *, eps: float = 0.5, seed: int = 0) -> Selection:
    """Greedily pick `k` rows maximising the coding rate; every step evaluates the exact gain of every
    remaining row, and rows whose gains tie (relative 1e-9) are chosen between by `np.random.default_rng(seed)`.

    Raises:
        ValueError: bad vectors (see `check_vectors`), `k` < 0 or `eps` <= 0.
    """
    array = check_vectors(vectors)
    if k < 0 or eps <= 0:
        raise ValueError(f"need k >= 0 and eps > 0, got k={k}, eps={eps}")
    n, d = array.shape
    k = min(k, n)
    if k == 0:
        return Selection(indices=(), gains=(), rate=0.0, eps=eps, seed=seed)
    c = d / (k * eps**2)
    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    gains: list[float] = []
    current = 0.0
    while len(chosen) < k:
        remaining = [i for i in range(n) if i not in chosen]
        rates = np.array([coding_rate(array[chosen + [i]], c) for i in remaining])
        best = rates.max()
        tied = [remaining[j] for j in np.flatnonzero(rates >= best - TIE_RTOL * max(1.0, abs(best)))]
        pick = tied[0] if len(tied) == 1 else int(rng.choice(tied))
        chosen.append(pick)
        gains.append(float(best - current))
        current = float(best)
    return Selection(indices=tuple(chosen), gains=tuple(gains), rate=current, eps=eps, seed=seed)


def select_texts(embedder: Embedder, texts: Sequence[str], k: int, *, eps: float = 0.5, seed: int = 0) -> Selection:
    """Embed `texts` with the injected embedder and select `k` of them by coding rate.

    Raises:
        ValueError: the embedder returned the wrong number of rows, or bad vectors.
        Exception: whatever the embedder raises (an embedding failure is never replaced by zeros).
    """
    vectors = np.asarray(embedder.embed(list(texts)))
    if vectors.shape[0] != len(texts):
        raise ValueError(f"embedder returned {vectors.shape[0]} vectors for {len(texts)} texts")
    return select_by_coding_rate(vectors, k, eps=eps, seed=seed)


def rate_of(vectors: np.ndarray, indices: Sequence[int], *, k: int | None = None, eps: float = 0.5) -> float:
    """The coding rate of the rows `indices`, with the coefficient of target size `k` (default len(indices))."""
    array = check_vectors(vectors)
    size = k or len(indices)
    if size == 0:
        return 0.0
    return coding_rate(array[list(indices)], array.shape[1] / (size * eps**2))


__all__ = ["Selection", "coding_rate", "rate_of", "select_by_coding_rate", "select_texts"]
