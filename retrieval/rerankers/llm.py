"""Listwise LLM reranking (prompt `retrieval/prompts/rerank.listwise.toml`) over the bi-encoder's top items.

An LLM fault (timeout, parse, unavailable, …) or a reply that names no item falls back to the bi-encoder order,
and the `Ranking` says so. Invalid numbers are dropped, repeats ignored, unnamed items keep their bi-encoder order.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from kb import LLMClient, load_prompt
from retrieval.rerankers.base import Ranking, Reranker, RerankItem

logger = logging.getLogger(__name__)


class ListwiseRanking(BaseModel):
    """The model's reply: 1-based item numbers, most useful first."""

    order: list[int] = Field(min_length=1, max_length=50, description="Item numbers, most useful first.")


class LLMReranker:
    """Reorders the top `candidates` items of `base` (the bi-encoder reranker) with one listwise LLM call."""

    needs_text = True

    def __init__(self, client: LLMClient, base: Reranker, *, candidates: int = 8, item_chars: int = 300) -> None:
        self._client = client
        self._base = base
        self._candidates = candidates
        self._item_chars = item_chars
        self._prompt = load_prompt("retrieval", "rerank.listwise")
        self.name = f"llm:{client.model}"

    @property
    def prompt_ref(self) -> str:
        return self._prompt.ref

    def rerank(self, question: str, question_vector: np.ndarray, items: Sequence[RerankItem], k: int) -> Ranking:
        base = self._base.rerank(question, question_vector, items, len(items))
        if len(base.order) < 2 or k <= 0:
            return Ranking(order=base.order[:k], reranker=self.name)
        shortlist = [i for i, _ in base.order[: self._candidates]]
        listing = "\n".join(f"{n}. {_clip(items[i].text, self._item_chars)}" for n, i in enumerate(shortlist, 1))
        reply = self._client.complete(
            self._prompt, ListwiseRanking, {"question": question, "items": listing}, max_tokens=16 + 6 * len(shortlist)
        )
        if reply.value is None:
            assert reply.error is not None
            return self._fallback(base, k, f"{reply.error.kind}: {reply.error.message}")
        named = [n - 1 for n in dict.fromkeys(reply.value.order) if 1 <= n <= len(shortlist)]
        if not named:
            return self._fallback(base, k, f"reply named no item 1..{len(shortlist)}: {reply.value.order}")
        picked = [shortlist[n] for n in named]
        rest = [i for i, _ in base.order if i not in set(picked)]
        order = (picked + rest)[:k]
        total = len(picked) + len(rest)
        return Ranking(order=tuple((i, (total - pos) / total) for pos, i in enumerate(order)), reranker=self.name)

    def _fallback(self, base: Ranking, k: int, why: str) -> Ranking:
        logger.warning("%s failed (%s); using the %s order", self.name, why, base.reranker)
        return Ranking(
            order=base.order[:k],
            reranker=base.reranker,
            fallback=f"{self.name} ({self._prompt.ref}) failed: {why}; {base.reranker} order used"[:500],
        )


def _clip(text: str, chars: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"
