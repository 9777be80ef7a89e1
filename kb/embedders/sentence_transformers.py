"""sentence-transformers backend: any model name or local path (extra `torch`)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from kb.embedders.base import normalise_rows
from kb.embedders.packaged import packaged_minilm_dir
from kb.errors import ModelFileError


class SentenceTransformerEmbedder:
    """Wraps `SentenceTransformer(name_or_path)` on the CPU; never reaches a hub (HF_HUB_OFFLINE=1)."""

    def __init__(self, model: str | None = None, *, batch_size: int = 64, max_length: int = 256):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelFileError(
                "backend sentence-transformers needs the `torch` extra: `pip install torch==2.13.0 'telerubric[torch]'`"
            ) from exc
        name = model or str(packaged_minilm_dir())
        self._model = SentenceTransformer(name, device="cpu")
        self._model.max_seq_length = max_length
        self._model_id = "all-MiniLM-L6-v2" if model is None else f"st:{model}"
        self._batch_size = batch_size
        dimension = (
            getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        )
        self._dim = int(dimension())

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=self._batch_size, convert_to_numpy=True)
        return normalise_rows(vectors)
