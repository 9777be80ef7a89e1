"""Embedders: the packaged ONNX default, its agreement with sentence-transformers, the OpenAI endpoint client."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from kb.checksums import verify_sha256
from kb.embedders import Embedder
from kb.embedders.onnx_minilm import MODEL_ID, OnnxMiniLM, packaged_model_file
from kb.embedders.openai_api import OpenAIEmbedder
from kb.errors import EnvironmentProblem, ModelFileError

TEXTS = [
    "My phone says no service since this morning.",
    "The agent must verify the customer's identity before changing any line.",
    "MMS fails while Wi-Fi calling is on.",
    "What is the maximum bandwidth of a 5G NR carrier in FR1?",
    "Refuel 2 GB of data on line L1002.",
]


def test_default_embedder_gives_unit_vectors_and_meaningful_similarity(embedder: Embedder) -> None:
    vectors = embedder.embed(TEXTS)
    assert embedder.model_id == MODEL_ID and vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    near = embedder.embed(["There is no signal on my mobile since today"])[0]
    sims = vectors @ near
    assert int(np.argmax(sims)) == 0


def test_batching_and_ordering_do_not_change_vectors(embedder: Embedder) -> None:
    together = embedder.embed(TEXTS)
    alone = np.vstack([embedder.embed([t]) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-4)


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(packaged_model_file().read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="sha256"):
        verify_sha256(bad, "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6", "reinstall")
    with pytest.raises(ModelFileError, match="no such model file"):
        OnnxMiniLM(tmp_path / "missing.onnx", tmp_path / "tokenizer.json")


def test_sentence_transformers_agrees_with_the_onnx_default(embedder: Embedder) -> None:
    from kb.embedders.sentence_transformers import SentenceTransformerEmbedder

    full = SentenceTransformerEmbedder()
    cosines = np.sum(full.embed(TEXTS) * embedder.embed(TEXTS), axis=1)
    assert full.dimension == 384
    assert float(cosines.min()) >= 0.99, cosines


def _fake_server(dim: int, calls: list[dict]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        calls.append(body)
        if request.url.path != "/v1/embeddings":
            return httpx.Response(404)
        data = [
            {"index": i, "embedding": [float(len(t)), 1.0] + [0.0] * (dim - 2)} for i, t in enumerate(body["input"])
        ]
        return httpx.Response(200, json={"data": list(reversed(data))})  # out of order on purpose

    return httpx.MockTransport(handle)


def test_openai_embedder_batches_orders_and_normalises() -> None:
    calls: list[dict] = []
    emb = OpenAIEmbedder("http://embed.local/v1", "bge-m3", batch_size=2, dimension=4, transport=_fake_server(4, calls))
    vectors = emb.embed(["a", "bbb", "cc"])
    assert [len(c["input"]) for c in calls] == [2, 1] and calls[0]["model"] == "bge-m3"
    expected = np.array([[1, 1, 0, 0], [3, 1, 0, 0], [2, 1, 0, 0]], dtype=np.float32)
    assert np.allclose(vectors, expected / np.linalg.norm(expected, axis=1, keepdims=True))
    assert emb.model_id == "openai:bge-m3"


def test_openai_embedder_reports_an_unreachable_endpoint() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    emb = OpenAIEmbedder("http://embed.local/v1", "m", dimension=4, transport=httpx.MockTransport(refuse))
    with pytest.raises(EnvironmentProblem, match="embedding endpoint"):
        emb.embed(["x"])
