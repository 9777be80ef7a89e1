"""An OpenAI-compatible `/embeddings` endpoint (vLLM, llama.cpp server, OpenAI)."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np

from kb.embedders.base import normalise_rows
from kb.errors import EnvironmentProblem


class OpenAIEmbedder:
    """POST {base_url}/embeddings in batches; the model name is sent as given."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        batch_size: int = 64,
        dimension: int | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s, transport=transport
        )
        self._model = model
        self._batch_size = batch_size
        self._dim = dimension or int(self.embed(["dimension probe"]).shape[1])

    @property
    def model_id(self) -> str:
        return f"openai:{self._model}"

    @property
    def dimension(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            try:
                reply = self._client.post("/embeddings", json={"model": self._model, "input": batch})
                reply.raise_for_status()
            except httpx.HTTPError as exc:
                raise EnvironmentProblem(f"embedding endpoint {self._client.base_url} failed: {exc}") from exc
            data = sorted(reply.json()["data"], key=lambda d: d["index"])
            rows.extend(d["embedding"] for d in data)
        vectors = normalise_rows(np.array(rows, dtype=np.float32).reshape(len(rows), -1))
        if hasattr(self, "_dim") and vectors.shape[1] != self._dim:
            raise EnvironmentProblem(f"endpoint returned {vectors.shape[1]}-d vectors, expected {self._dim}")
        return vectors
