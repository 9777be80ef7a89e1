"""Cross-encoder reranking: sentence-transformers `CrossEncoder` or FlagEmbedding `FlagReranker` (extras `torch`,
`flag`), from any model name or local path. Nothing is fetched at run time (HF_HUB_OFFLINE=1 unless set)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb import ModelFileError
from retrieval.rerankers.base import Ranking, RerankItem

FLAG_PREFIX = "flag:"


class CrossEncoderReranker:
    """Scores (question, text) pairs jointly; `model` = a name or path, or `flag:<name or path>` for FlagReranker."""

    needs_text = True

    def __init__(self, model: str, *, batch_size: int = 32, max_length: int = 512) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self._batch_size = batch_size
        self._flag = model.startswith(FLAG_PREFIX)
        target = model.removeprefix(FLAG_PREFIX)
        self.name = f"cross-encoder:{Path(target).name if Path(target).exists() else target}"
        self._model: Any = _load_flag(target, max_length) if self._flag else _load_st(target, max_length)

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        pairs = [(question, text) for text in texts]
        if self._flag:
            return np.asarray(self._model.compute_score(pairs, batch_size=self._batch_size), dtype=np.float64)
        return np.asarray(
            self._model.predict(pairs, batch_size=self._batch_size, show_progress_bar=False), dtype=np.float64
        ).reshape(len(pairs), -1)[:, -1]

    def rerank(self, question: str, question_vector: np.ndarray, items: Sequence[RerankItem], k: int) -> Ranking:
        if not items or k <= 0:
            return Ranking(order=(), reranker=self.name)
        scores = self.scores(question, [item.text for item in items])
        order = sorted(range(len(items)), key=lambda i: (-scores[i], -items[i].fused))[:k]
        return Ranking(order=tuple((i, float(scores[i])) for i in order), reranker=self.name)


def _load_st(model: str, max_length: int) -> Any:
    try:
        from sentence_transformers import CrossEncoder
    except ImportError as exc:
        raise ModelFileError("reranker cross-encoder needs `pip install torch==2.13.0 'telerubric[torch]'`") from exc
    try:
        return CrossEncoder(model, device="cpu", max_length=max_length)
    except OSError as exc:
        raise ModelFileError(f"cross-encoder {model!r} could not be loaded ({exc}); give a local model path") from exc


def _load_flag(model: str, max_length: int) -> Any:
    try:
        from FlagEmbedding import FlagReranker
    except ImportError as exc:
        raise ModelFileError("reranker flag:… needs `pip install 'telerubric[flag]'`") from exc
    try:
        return FlagReranker(model, use_fp16=False, devices="cpu", max_length=max_length)
    except OSError as exc:
        raise ModelFileError(f"FlagReranker {model!r} could not be loaded ({exc}); give a local model path") from exc
