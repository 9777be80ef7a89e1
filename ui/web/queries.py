"""Queries: a paged list of queries, and one query with its linked rubrics in the expert's order."""

from __future__ import annotations

import streamlit as st

from kb import KnowledgeBase, QueryFilter, QueryPage
from ui.web.navigation import QUERY_ID, open_query, open_rubric


def _first_page() -> None:
    st.session_state["q_page"] = 1


def detail(kb: KnowledgeBase, query_id: str) -> None:
    found = kb.query_detail(query_id)
    if found is None:
        st.warning(f"No query has id {query_id!r}.")
        return
    q = found.query
    st.subheader(f"Query {q.id}")
    with st.container(border=True):
        st.markdown(q.text)
    st.caption(f"source {q.source} · tags {', '.join(q.tags) or '—'} · {len(found.rubrics)} linked rubrics")
    if q.provenance:
        st.json(q.provenance, expanded=False)
    if not found.rubrics:
        return
    st.dataframe(
        [
            {"#": i + 1, "id": r.id, "text": r.text, "kind": r.kind, "importance": r.importance, "status": r.status}
            for i, r in enumerate(found.rubrics)
        ],
        hide_index=True,
        width="stretch",
    )
    pick = st.selectbox("Linked rubric", [r.id for r in found.rubrics], key="q_rubric_pick")
    st.button("Open linked rubric", key="q_open_rubric", on_click=open_rubric, args=(pick,))


def render(kb: KnowledgeBase, page_size: int) -> None:
    st.header("Queries")
    cols = st.columns([3, 1])
    with cols[0]:
        text = st.text_input("Text or id contains", key="q_text", on_change=_first_page)
    page_no = max(1, int(st.session_state.get("q_page", 1)))

    def listing(number: int) -> QueryPage:
        return kb.list_queries(
            QueryFilter(text_contains=text or None, offset=(number - 1) * page_size, limit=page_size)
        )

    page = listing(page_no)
    pages = max(1, -(-page.total // page_size))
    if page_no > pages:  # the list shrank under the page: show its last page
        st.session_state["q_page"] = page_no = pages
        page = listing(page_no)
    with cols[1]:
        st.number_input("Page", min_value=1, max_value=pages, step=1, key="q_page")
    st.caption(f"{page.total:,} queries")
    if page.rows:
        st.dataframe(
            [{"id": r.id, "text": r.text, "tags": ", ".join(r.tags), "source": r.source, "rubrics": r.rubrics}
             for r in page.rows],
            hide_index=True,
            width="stretch",
        )  # fmt: skip
        pick = st.selectbox("Query", [r.id for r in page.rows], key="q_pick")
        st.button("Show query", key="q_open", on_click=open_query, args=(pick,))
    query_id = st.session_state.get(QUERY_ID)
    if query_id:
        st.divider()
        detail(kb, str(query_id))
