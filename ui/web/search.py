"""Search: the reward's own retrieval (`Retriever.search`) over both collections, with scores and why each matched."""

from __future__ import annotations

import streamlit as st

from kb import RubricKind, RubricStatus, Scope, SearchFilter, Settings
from ui.web import resources
from ui.web.navigation import open_query, open_rubric


def why(dense_rank: int | None, bm25_rank: int | None, similarity: float | None) -> str:
    """Which sub-request found a hit: its dense rank (with the cosine) and/or its BM25 rank."""
    parts = []
    if dense_rank is not None:
        cosine = f", cos {similarity:.2f}" if similarity is not None else ""
        parts.append(f"dense #{dense_rank}{cosine}")
    if bm25_rank is not None:
        parts.append(f"BM25 #{bm25_rank}")
    return " + ".join(parts) or "reranker only"


def render(cfg: Settings) -> None:
    st.header("Search")
    st.caption("The retrieval a reward runs: dense + BM25 per collection, fused by RRF, then the configured reranker "
               f"({cfg.retrieval.reranker}); retired rubrics are never returned.")  # fmt: skip
    text = st.text_input("Search text (a request, or words of a rubric)", key="search_text")
    cols = st.columns(4)
    st.session_state.setdefault("search_scope", Scope.BOTH.value)
    scope = cols[0].selectbox("Collections", [s.value for s in Scope], key="search_scope")
    kinds = cols[1].multiselect("Kinds", [k.value for k in RubricKind], key="search_kinds")
    statuses = cols[2].multiselect(
        "Statuses (empty = the retrieval default)",
        [s.value for s in RubricStatus if s is not RubricStatus.RETIRED],
        key="search_statuses",
    )
    tags = cols[3].text_input("Tags, any of (comma-separated)", key="search_tags")
    if not text.strip():
        return
    filters = SearchFilter(kinds=kinds, statuses=statuses, tags_any=[t.strip() for t in tags.split(",") if t.strip()])
    hits = resources.retriever(cfg).search(text, scope=Scope(scope), filters=filters)
    if not hits:
        st.info("Nothing found.")
        return
    st.dataframe(
        [
            {
                "collection": h.collection.value,
                "id": h.id,
                "text": h.text,
                "score": round(h.score, 4),
                "cosine": None if h.similarity is None else round(h.similarity, 3),
                "dense rank": h.dense_rank,
                "BM25 rank": h.bm25_rank,
                "why": why(h.dense_rank, h.bm25_rank, h.similarity),
                "kind": h.kind or "",
                "status": h.status or "",
                "tags": ", ".join(h.tags),
            }
            for h in hits
        ],
        hide_index=True,
        width="stretch",
    )
    pick = st.selectbox("Result", range(len(hits)), format_func=lambda i: f"{hits[i].collection.value}: {hits[i].id}",
                        key="search_pick")  # fmt: skip
    hit = hits[pick]
    if hit.collection is Scope.RUBRICS:
        st.button("Open rubric", key="search_open", on_click=open_rubric, args=(hit.id,))
    else:
        st.button("Show query", key="search_open", on_click=open_query, args=(hit.id,))
