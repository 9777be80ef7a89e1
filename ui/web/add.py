"""Add: a standalone rubric or a query–rubric pair through a form, or an expert file upload; both go through
ingestion's validation, and a rejected input leaves the KB unchanged with the line-numbered report shown here."""

from __future__ import annotations

from typing import Any

import streamlit as st

from kb import Importance, KnowledgeBase, RubricKind, RubricStatus
from ui.web import uploads
from ui.web.access import Access
from ui.web.navigation import open_rubric

STANDALONE, PAIR = "Standalone rubric", "Query with a rubric"


def _split(value: str, sep: str = ",") -> list[str]:
    return [v.strip() for v in value.replace(";", sep).split(sep) if v.strip()]


def entry_from_form() -> dict[str, Any]:
    """The form's values as one record of the expert file format (docs/expert-rubric-format.md)."""
    s = st.session_state
    rubric: dict[str, Any] = {"text": s.get("add_text", ""), "kind": s.get("add_kind"),
                              "importance": s.get("add_importance"), "status": s.get("add_status")}  # fmt: skip
    optional = {
        "id": str(s.get("add_id", "")).strip(),
        "theme": str(s.get("add_theme", "")).strip(),
        "section": str(s.get("add_section", "")).strip(),
        "tags": _split(str(s.get("add_tags", ""))),
        "tips": [t.strip() for t in str(s.get("add_tips", "")).splitlines() if t.strip()],
    }
    rubric.update({k: v for k, v in optional.items() if v})
    if s.get("add_weight") is not None:
        rubric["weight"] = s["add_weight"]
    if s.get("add_what") != PAIR:
        return rubric
    query: dict[str, Any] = {"query": s.get("add_query", ""), "rubrics": [rubric]}
    if tags := _split(str(s.get("add_query_tags", ""))):
        query["tags"] = tags
    if query_id := str(s.get("add_query_id", "")).strip():
        query["id"] = query_id
    return query


def _show(outcome: uploads.Outcome, what: str) -> None:
    if outcome.problems:
        st.error(f"{len(outcome.problems)} problem(s); nothing was written. Fix them and try again.")
        st.code("\n".join(outcome.problems), language="text")
        return
    summary = outcome.summary
    assert summary is not None
    r, q = summary.rubrics, summary.queries
    verb = "Checked (dry run)" if summary.dry_run else "Added"
    st.success(f"{verb} {what}: rubrics +{r.added} new, {r.updated} updated, {r.unchanged} unchanged; "
               f"queries +{q.added} new, {q.updated} updated.")  # fmt: skip


def _form(kb: KnowledgeBase, who: Access) -> None:
    what = st.radio("What to add", [STANDALONE, PAIR], key="add_what", horizontal=True)
    with st.form("add_form", clear_on_submit=False):
        if what == PAIR:
            st.text_area("Query (the request as the agent receives it)", key="add_query", height=80)
            cols = st.columns(2)
            cols[0].text_input("Query tags (comma-separated)", key="add_query_tags")
            cols[1].text_input("Query id (optional; derived from the text)", key="add_query_id")
        st.text_area('Rubric text ("The agent …" / "The response …")', key="add_text", height=100)
        cols = st.columns(4)
        cols[0].selectbox("Kind", [k.value for k in RubricKind], key="add_kind")
        cols[1].selectbox("Importance", [i.value for i in Importance], index=1, key="add_importance")
        cols[2].number_input("Weight (empty = importance default)", min_value=0.0, max_value=10.0, value=None,
                             step=0.1, key="add_weight")  # fmt: skip
        cols[3].selectbox("Status", [s.value for s in RubricStatus], key="add_status")
        cols = st.columns(3)
        cols[0].text_input("Tags (comma-separated)", key="add_tags")
        cols[1].text_input("Theme", key="add_theme")
        cols[2].text_input("Rubric id (optional; derived from kind and text)", key="add_id")
        st.text_area("Tips (one per line)", key="add_tips", height=68)
        st.text_input("Policy section it cites (optional)", key="add_section")
        submitted = st.form_submit_button("Add", key="add_submit", type="primary")
    if submitted and who.editor is not None:
        outcome = uploads.add_entry(kb, entry_from_form(), actor=who.editor)
        _show(outcome, "from the form")
        if outcome.rubric_ids:
            rid = outcome.rubric_ids[0]
            st.button(f"Open rubric {rid}", key="add_open", on_click=open_rubric, args=(rid,))


def _upload(kb: KnowledgeBase, who: Access) -> None:
    st.subheader("Upload an expert file")
    st.caption("JSONL, CSV or YAML as in docs/expert-rubric-format.md. The whole file is validated first: any "
               "problem rejects all of it and nothing is written.")  # fmt: skip
    file = st.file_uploader("Expert file", type=[s.lstrip(".") for s in uploads.SUFFIXES], key="add_file")
    dry_run = st.checkbox("Validate only (dry run)", key="add_dry_run")
    if st.button("Ingest file", key="add_ingest", disabled=file is None) and file is not None and who.editor:
        _show(uploads.ingest_upload(kb, file.name, file.getvalue(), actor=who.editor, dry_run=dry_run), file.name)


def render(kb: KnowledgeBase, who: Access) -> None:
    st.header("Add rubrics")
    if not who.can_edit:
        st.info("Adding is off: " + (who.read_only_reason or "sign in (sidebar) to add rubrics") + ".")
        return
    _form(kb, who)
    st.divider()
    _upload(kb, who)
