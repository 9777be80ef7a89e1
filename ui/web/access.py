"""Who may edit: read-only by setting, edit rights behind a password from the environment (compared in constant time,
never logged or kept in the session), and the editor's name that every revision carries."""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass

import streamlit as st

from kb import Settings

EDITOR = "access_editor"  # session key: the signed-in editor's name


@dataclass(frozen=True)
class Access:
    """What this browser session may do."""

    editor: str | None  # signed in as; None = not signed in
    read_only_reason: str | None  # why edits are off for everyone, or None

    @property
    def can_edit(self) -> bool:
        return self.read_only_reason is None and self.editor is not None


def expected_password(cfg: Settings) -> str | None:
    value = os.environ.get(cfg.ui.password_env, "")
    return value or None


def read_only_reason(cfg: Settings) -> str | None:
    if cfg.ui.read_only:
        return "this page runs read-only (`--read-only` or TELERUBRIC_UI__READ_ONLY)"
    if expected_password(cfg) is None:
        return f"no edit password is set: set {cfg.ui.password_env} in the page's environment to allow edits"
    return None


def password_matches(cfg: Settings, given: str) -> bool:
    """Constant-time comparison with the password from the environment; False when none is set."""
    expected = expected_password(cfg)
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


def current(cfg: Settings) -> Access:
    reason = read_only_reason(cfg)
    return Access(editor=None if reason else st.session_state.get(EDITOR), read_only_reason=reason)


def _sign_in(cfg: Settings) -> None:
    name = str(st.session_state.get("access_name", "")).strip()
    given = str(st.session_state.get("access_password", ""))
    st.session_state["access_password"] = ""  # never kept in the session
    if not name:
        st.session_state["access_flash"] = "enter your name: it goes on every revision you make"
    elif password_matches(cfg, given):
        st.session_state[EDITOR] = name
        st.session_state["access_flash"] = None
    else:
        st.session_state["access_flash"] = "wrong password"


def _sign_out() -> None:
    st.session_state.pop(EDITOR, None)


def sidebar(cfg: Settings) -> Access:
    """The sign-in box in the sidebar; returns this session's access."""
    access = current(cfg)
    with st.sidebar:
        st.subheader("Access")
        if access.read_only_reason:
            st.caption(f"Read-only: {access.read_only_reason}.")
        elif access.editor:
            st.caption(f"Editing as **{access.editor}**")
            st.button("Sign out", key="access_sign_out", on_click=_sign_out)
        else:
            st.text_input("Your name", key="access_name")
            st.text_input("Edit password", key="access_password", type="password")
            st.button("Sign in to edit", key="access_sign_in", on_click=_sign_in, args=(cfg,))
            if flash := st.session_state.get("access_flash"):
                st.error(flash)
    return access
