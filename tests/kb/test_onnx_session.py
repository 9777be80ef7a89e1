"""The packaged ONNX embedder's session options."""

from __future__ import annotations

from kb.embedders.onnx_minilm import OnnxMiniLM


def test_idle_pool_threads_sleep_instead_of_spinning() -> None:
    """Spinning threads burnt ~2.5x the CPU of a single-query embed, on cores the reward workers share."""
    options = OnnxMiniLM(threads=2)._session.get_session_options()
    for pool in ("intra_op", "inter_op"):
        assert options.get_session_config_entry(f"session.{pool}.allow_spinning") == "0"
