"""The edit form of one rubric: fields, status with a required reason, optimistic locking on the version.

The form remembers the version (and values) it was loaded from. A save sends the fields changed since then with
that version; when someone else saved in between, `KnowledgeBase.update_rubric` refuses, the page says who and
which version, and the editor's text stays in the form until they reload or choose to save over it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from kb import (
    TRANSITIONS,
    EditConflict,
    Importance,
    IndexState,
    InputRejected,
    KnowledgeBase,
    RubricChanges,
    RubricKind,
    RubricStatus,
    RubricView,
    Settings,
    TelerubricError,
    text_diff,
)
from ui.web import access

BASE = "ed_base"  # {"id", "version", "values"}: what the form was loaded from
FLASH = "ed_flash"  # (level, message) shown above the form after a save
CONFLICT = "ed_conflict"  # the current version when a save was refused


def _values(view: RubricView) -> dict[str, Any]:
    """The form's widget values for a stored rubric."""
    return {
        "text": view.text,
        "kind": view.kind,
        "importance": view.importance,
        "weight": float(view.weight),
        "theme": view.theme or "",
        "tips": "\n".join(view.tips),
        "tags": ", ".join(view.tags),
        "condition": view.condition or "",
        "status": view.status,
    }


def load(view: RubricView) -> None:
    """Fill the form from `view` and remember its version (only from callbacks or before the form is drawn)."""
    values = _values(view)
    for name, value in values.items():
        st.session_state[f"ed_{name}"] = value
    st.session_state[BASE] = {"id": view.id, "version": view.version, "values": values}
    st.session_state[CONFLICT] = None


def _parsed(name: str, value: Any) -> Any:
    if name == "tags":
        return [t.strip() for t in str(value).replace(";", ",").split(",") if t.strip()]
    if name == "tips":
        return [t.strip() for t in str(value).splitlines() if t.strip()]
    if name in ("theme", "condition"):
        return str(value).strip() or None
    return value


def form_changes() -> dict[str, Any]:
    """The fields the editor changed since the form was loaded, as `RubricChanges` fields."""
    base = st.session_state[BASE]["values"]
    changed: dict[str, Any] = {}
    for name, before in base.items():
        now = st.session_state.get(f"ed_{name}", before)
        if now != before:
            changed[name] = _parsed(name, now)
    return changed


def _save(kb: KnowledgeBase, cfg: Settings) -> None:
    who = access.current(cfg)
    if not who.can_edit or who.editor is None:  # checked again here: the form is not the only way to call this
        st.session_state[FLASH] = ("error", "you may not edit: " + (who.read_only_reason or "sign in first"))
        return
    base = st.session_state[BASE]
    changes = form_changes()
    if not changes:
        st.session_state[FLASH] = ("info", "Nothing changed: no new version.")
        return
    try:
        edit = kb.update_rubric(
            base["id"],
            RubricChanges(**changes),
            expected_version=base["version"],
            actor=who.editor,
            reason=str(st.session_state.get("ed_reason", "")),
        )
    except EditConflict as exc:
        st.session_state[CONFLICT] = exc.current
        st.session_state[FLASH] = ("error", f"Not saved: {exc}. Your edits are still in the form.")
        return
    except InputRejected as exc:
        lines = "\n".join(f"- {p.field or 'rubric'}: {p.message}" for p in exc.problems)
        st.session_state[FLASH] = ("error", f"Not saved, fix these fields:\n{lines}")
        return
    except TelerubricError as exc:
        st.session_state[FLASH] = ("error", f"Not saved: {exc}")
        return
    load(edit.rubric)
    st.session_state["ed_reason"] = ""
    if not edit.changed:
        st.session_state[FLASH] = ("info", "Nothing changed: no new version.")
    elif edit.index is IndexState.QUEUED:
        message = f"Saved version {edit.rubric.version}; the search index update is queued ({edit.index_note})."
        st.session_state[FLASH] = ("warning", message)
    else:
        st.session_state[FLASH] = ("success", f"Saved version {edit.rubric.version}; search sees it now.")


def _reload(view: RubricView) -> None:
    load(view)
    st.session_state[FLASH] = ("info", f"Reloaded version {view.version}; your edits were discarded.")


def _save_over(current: int) -> None:
    st.session_state[BASE] = {**st.session_state[BASE], "version": current}
    st.session_state[CONFLICT] = None
    st.session_state[FLASH] = ("info", f"Your edits now apply to version {current}: check them, then save.")


def _conflict_box(view: RubricView) -> None:
    mine = str(st.session_state.get("ed_text", ""))
    with st.container(border=True):
        st.markdown(f"**Version {view.version} is stored now.** Its text against yours:")
        diff = text_diff(view.text, mine, before_label=f"stored v{view.version}", after_label="your text")
        st.code(diff or "(the texts are the same; other fields changed)", language="diff")
        left, right = st.columns(2)
        left.button("Reload stored version (discard mine)", key="ed_reload", on_click=_reload, args=(view,))
        right.button(f"Keep mine, save over v{view.version}", key="ed_over", on_click=_save_over, args=(view.version,))


def render(kb: KnowledgeBase, cfg: Settings, view: RubricView, who: access.Access) -> None:
    if not who.can_edit:
        st.info("Editing is off: " + (who.read_only_reason or "sign in (sidebar) to edit") + ".")
        return
    base = st.session_state.get(BASE)
    if base is None or base["id"] != view.id:
        load(view)
        base = st.session_state[BASE]
    elif any(f"ed_{name}" not in st.session_state for name in base["values"]):
        # Streamlit forgets a widget's value when another view ran: restore the values the form was loaded with
        for name, value in base["values"].items():
            st.session_state.setdefault(f"ed_{name}", value)
    if flash := st.session_state.pop(FLASH, None):
        getattr(st, flash[0])(flash[1])
    if st.session_state.get(CONFLICT) is not None:
        _conflict_box(view)
    status = RubricStatus(base["values"]["status"])
    statuses = [status.value, *sorted(s.value for s in TRANSITIONS[status])]
    with st.form("ed_form"):
        st.caption(f"Editing version {base['version']} as {who.editor}")
        st.text_area("Text", key="ed_text", height=120)
        cols = st.columns(4)
        cols[0].selectbox("Kind", [k.value for k in RubricKind], key="ed_kind")
        cols[1].selectbox("Importance", [i.value for i in Importance], key="ed_importance")
        cols[2].number_input("Weight", min_value=0.0, max_value=10.0, step=0.1, key="ed_weight")
        cols[3].selectbox("Status", statuses, key="ed_status")
        cols = st.columns(2)
        cols[0].text_input("Tags (comma-separated)", key="ed_tags")
        cols[1].text_input("Theme", key="ed_theme")
        st.text_area("Tips (one per line)", key="ed_tips", height=80)
        st.text_input("Condition (when it applies; empty = always)", key="ed_condition")
        st.text_input("Reason for this change (required)", key="ed_reason", max_chars=500)
        st.form_submit_button("Save", key="ed_save", on_click=_save, args=(kb, cfg), type="primary")
