"""Browse: rubrics in a table with filters, sorting and paging (all done in SQL by `KnowledgeBase.list_rubrics`)."""

from __future__ import annotations

import time

import streamlit as st

from kb import KnowledgeBase, RubricFacets, RubricFilter, RubricPage, RubricSort
from ui.web.navigation import open_rubric

SORTS = {
    "Recently updated": (RubricSort.UPDATED, True),
    "Oldest update": (RubricSort.UPDATED, False),
    "Recently created": (RubricSort.CREATED, True),
    "Most retrieved": (RubricSort.RETRIEVED, True),
    "Least retrieved": (RubricSort.RETRIEVED, False),
    "Most used in rubric sets": (RubricSort.USED, True),
    "Most verdicts": (RubricSort.VERDICTS, True),
    "Most met": (RubricSort.MET, True),
    "Most not met": (RubricSort.NOT_MET, True),
    "Most not applicable": (RubricSort.NOT_APPLICABLE, True),
    "Id": (RubricSort.ID, False),
}


def facets(kb: KnowledgeBase, kb_version: int) -> RubricFacets:
    """The filter choices, recomputed only when the KB version changes (a few GROUP BYs)."""
    cache = st.session_state.setdefault("_facets", {})
    if kb_version not in cache:
        cache.clear()
        cache[kb_version] = kb.rubric_facets()
    return cache[kb_version]


def _first_page() -> None:
    st.session_state["b_page"] = 1


def _labelled(counts: dict[str, int]) -> dict[str, str]:
    return {value: f"{value} ({n})" for value, n in counts.items()}


def _multiselect(label: str, key: str, counts: dict[str, int]) -> list[str]:
    labels = _labelled(counts)
    options = list(dict.fromkeys([*counts, *st.session_state.get(key, [])]))
    return st.multiselect(label, options, key=key, format_func=lambda v: labels.get(v, v), on_change=_first_page)


def filter_from_widgets(kb: KnowledgeBase, page_size: int) -> RubricFilter:
    found = facets(kb, kb.version())
    top = st.columns(3)
    with top[0]:
        kinds = _multiselect("Kind", "b_kinds", found.kinds)
    with top[1]:
        statuses = _multiselect("Status", "b_statuses", found.statuses)
    with top[2]:
        importances = _multiselect("Importance", "b_importances", found.importances)
    middle = st.columns(3)
    with middle[0]:
        sources = _multiselect("Source", "b_sources", found.sources)
    with middle[1]:
        tags = _multiselect("Tags (any)", "b_tags", found.tags)
    with middle[2]:
        themes = _multiselect("Theme", "b_themes", found.themes)
    bottom = st.columns([3, 2, 1])
    with bottom[0]:
        text = st.text_input("Text or id contains", key="b_text", on_change=_first_page)
    with bottom[1]:
        sort_label = st.selectbox("Sort", list(SORTS), key="b_sort", on_change=_first_page)
    with bottom[2]:
        st.session_state.setdefault("b_size", page_size)
        size = st.selectbox("Per page", sorted({10, 25, 50, 100, 200, page_size}), key="b_size", on_change=_first_page)
    sort, descending = SORTS[sort_label]
    page = max(1, int(st.session_state.get("b_page", 1)))
    return RubricFilter(
        kinds=kinds,
        statuses=statuses,
        importances=importances,
        sources=sources,
        tags_any=tags,
        themes=themes,
        text_contains=text or None,
        sort=sort,
        descending=descending,
        offset=(page - 1) * size,
        limit=size,
    )


def table(page: RubricPage) -> None:
    rows = [
        {
            "id": r.id,
            "text": r.text,
            "kind": r.kind,
            "importance": r.importance,
            "weight": r.weight,
            "status": r.status,
            "source": r.source,
            "tags": ", ".join(r.tags),
            "theme": r.theme or "",
            "v": r.version,
            "updated (UTC)": r.updated_at.strftime("%Y-%m-%d %H:%M"),
            "by": r.updated_by,
            "retrieved": r.retrieved,
            "used": r.used,
            "met": r.met,
            "not met": r.not_met,
            "n/a": r.not_applicable,
        }
        for r in page.rows
    ]
    wide = {"text": st.column_config.TextColumn(width="large")}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=wide)


def render(kb: KnowledgeBase, page_size: int) -> None:
    st.header("Browse rubrics")
    f = filter_from_widgets(kb, page_size)
    started = time.perf_counter()
    page = kb.list_rubrics(f)
    if page.total and f.offset >= page.total:  # the filter shrank under the page: back to the last page
        st.session_state["b_page"] = pages = -(-page.total // f.limit)
        page = kb.list_rubrics(f.model_copy(update={"offset": (pages - 1) * f.limit}))
    took_ms = (time.perf_counter() - started) * 1000
    pages = max(1, -(-page.total // f.limit))
    first = page.offset + 1 if page.rows else 0
    st.caption(f"rubrics {first}–{page.offset + len(page.rows)} of {page.total:,} · page of {len(page.rows)} listed "
               f"in {took_ms:.0f} ms")  # fmt: skip
    if not page.rows:
        st.info("No rubric matches these filters.")
        return
    table(page)
    nav = st.columns([1, 2, 3])
    with nav[0]:
        st.number_input("Page", min_value=1, max_value=pages, step=1, key="b_page")
    with nav[1]:
        choice = st.selectbox(
            "Rubric",
            [r.id for r in page.rows],
            key="b_pick",
            format_func=lambda rid: f"{rid} — {next(r.text for r in page.rows if r.id == rid)[:70]}",
        )
    with nav[2]:
        st.write("")
        st.button("Open rubric", key="b_open", on_click=open_rubric, args=(choice,))
    picked = next((r for r in page.rows if r.id == choice), None)
    if picked is not None:
        st.caption(f"**{picked.id}** · {picked.kind} · {picked.status} — {picked.text}")
