"""FlagEmbedding backend: BGE-M3 dense vectors from a local model path (extra `flag`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kb.embedders.base import normalise_rows
from kb.errors import ModelFileError


class FlagEmbedder:
    """`BGEM3FlagModel(path).encode(...)["dense_vecs"]`; the sparse weights stay with BM25 in Milvus."""

    def __init__(self, model: str | None, *, batch_size: int = 16, max_length: int = 512):
        if not model:
            raise ModelFileError("backend flag needs `embedder.model` = a local BGE-M3 path (no weights ship offline)")
        try:
            from FlagEmbedding import BGEM3FlagModel
        except ImportError as exc:
            raise ModelFileError("backend flag needs the `flag` extra: `pip install 'telerubric[flag]'`") from exc
        self._model = BGEM3FlagModel(model, use_fp16=False, devices="cpu")
        self._model_id = f"flag:{model}"
        self._batch_size = batch_size
        self._max_length = max_length
        self._dim = int(self.embed(["dimension probe"]).shape[1])

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = self._model.encode(list(texts), batch_size=self._batch_size, max_length=self._max_length)
        return normalise_rows(out["dense_vecs"])
