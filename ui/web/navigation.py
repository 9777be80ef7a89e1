"""Which view shows, and links into views: `?view=rubric&id=…`, `?view=query&id=…`,
`?view=try&q=<question>&response=<response>&run=1` (run: answer at once)."""

from __future__ import annotations

from typing import Any

import streamlit as st

VIEW = "view"  # session key of the sidebar radio
RUBRIC_ID = "rubric_id"  # the rubric the Rubric view shows
QUERY_ID = "query_id"  # the query the Queries view shows
VIEWS = ("Browse", "Queries", "Rubric", "Search", "Try it", "Add")
# Widget values that survive a visit to another view (Streamlit drops the state of widgets a run does not draw).
KEPT = (
    "b_kinds", "b_statuses", "b_importances", "b_sources", "b_tags", "b_themes", "b_text", "b_sort", "b_size",
    "b_page", "b_pick", "q_text", "q_page", RUBRIC_ID, "search_text", "search_scope", "search_kinds",
    "search_statuses", "search_tags", "try_question", "try_response", "try_task_id",
    "ed_text", "ed_kind", "ed_importance", "ed_weight", "ed_theme", "ed_tips", "ed_tags", "ed_condition",
    "ed_status", "ed_reason",
)  # fmt: skip
_FROM_URL = {"browse": "Browse", "queries": "Queries", "query": "Queries", "rubric": "Rubric", "search": "Search",
             "try": "Try it", "add": "Add"}  # fmt: skip


def go(view: str, **state: Any) -> None:
    """A button callback: switch to `view` and set session values (e.g. `rubric_id`) before the rerun."""
    st.session_state[VIEW] = view
    for key, value in state.items():
        st.session_state[key] = value


def open_rubric(rubric_id: str) -> None:
    go("Rubric", **{RUBRIC_ID: rubric_id})


def open_query(query_id: str) -> None:
    go("Queries", **{QUERY_ID: query_id})


def keep_widget_state() -> None:
    """Re-assign the kept values at the start of each run, which keeps Streamlit from dropping them."""
    for key in KEPT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def take_url_parameters() -> None:
    """On a session's first run, follow a link's query parameters (later runs keep the session's own state)."""
    if st.session_state.get("_url_taken"):
        return
    st.session_state["_url_taken"] = True
    params = st.query_params
    view = _FROM_URL.get(str(params.get("view", "")).lower())
    if view:
        st.session_state[VIEW] = view
    if "id" in params and view == "Rubric":
        st.session_state[RUBRIC_ID] = params["id"]
    if "id" in params and view == "Queries":
        st.session_state[QUERY_ID] = params["id"]
    if "q" in params:
        st.session_state["try_question"] = params["q"]
        st.session_state["search_text"] = params["q"]
    if "response" in params:
        st.session_state["try_response"] = params["response"]
    if params.get("run") == "1" and view == "Try it":
        st.session_state["try_autorun"] = True


def sidebar() -> str:
    with st.sidebar:
        return str(st.radio("View", VIEWS, key=VIEW))
