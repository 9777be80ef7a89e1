"""Embedders behind one protocol; `load_embedder` builds the configured one."""

from __future__ import annotations

from kb.embedders.base import Embedder, normalise_rows
from kb.embedders.packaged import packaged_minilm_dir
from kb.settings import EmbedderBackend, EmbedderSettings

__all__ = ["Embedder", "load_embedder", "normalise_rows", "packaged_minilm_dir"]


def load_embedder(cfg: EmbedderSettings) -> Embedder:
    """Build the embedder `cfg` names. Heavy backends are imported only when chosen."""
    if cfg.backend is EmbedderBackend.ONNX:
        from pathlib import Path

        from kb.embedders.onnx_minilm import OnnxMiniLM

        model_file = Path(cfg.model) if cfg.model else None
        if model_file is not None and model_file.is_dir():
            model_file = model_file / "model.onnx"
        tokenizer = (
            model_file.parent / "tokenizer.json"
            if model_file and (model_file.parent / "tokenizer.json").is_file()
            else None
        )
        return OnnxMiniLM(
            model_file, tokenizer, batch_size=cfg.batch_size, max_length=cfg.max_length, threads=cfg.threads
        )
    if cfg.backend is EmbedderBackend.SENTENCE_TRANSFORMERS:
        from kb.embedders.sentence_transformers import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(cfg.model, batch_size=cfg.batch_size, max_length=cfg.max_length)
    if cfg.backend is EmbedderBackend.FLAG:
        from kb.embedders.flag import FlagEmbedder

        return FlagEmbedder(cfg.model, batch_size=cfg.batch_size, max_length=cfg.max_length)
    from kb.embedders.openai_api import OpenAIEmbedder
    from kb.errors import EnvironmentProblem

    if not cfg.base_url or not cfg.model:
        raise EnvironmentProblem("backend openai needs embedder.base_url and embedder.model")
    return OpenAIEmbedder(
        cfg.base_url,
        cfg.model,
        api_key=cfg.api_key.get_secret_value(),
        batch_size=cfg.batch_size,
        dimension=cfg.dimension,
    )
