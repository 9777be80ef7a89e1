"""The embedder protocol every backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str:
        """Identifies the model (and its precision) that made the vectors; recorded with each collection."""
        ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return an array of shape (len(texts), dimension), dtype float32, rows of unit length."""
        ...


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows as float32; a zero row is an error, never passed on silently."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if vectors.size and not np.all(norms > 0):
        raise ValueError("the embedder returned a zero vector")
    return vectors / norms
