"""The page under `streamlit.testing.v1.AppTest`, in this process, on a fresh embedded KB of a few rubrics.

The page opens its KB through `ui.web.resources`; a test seeds the same open KB there (an embedded KB admits one
opener) and closes everything afterwards. The LLM endpoint is a dead port: nothing here needs a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb import KnowledgeBase, QueryRecord, RubricRecord, Settings
from ui.web import resources

APP = Path(__file__).resolve().parents[3] / "ui" / "web" / "app.py"
PASSWORD = "correct horse battery staple"
RUBRICS = [
    RubricRecord(id="w-apn", text="The agent checks the APN settings for an MMSC URL.", kind="principle",
                 importance="essential", tags=["mms", "apn"], theme="APN"),
    RubricRecord(id="w-wifi", text="The agent asks the user to turn off Wi-Fi calling when MMS fails.",
                 kind="principle", tags=["mms"], status="approved"),
    RubricRecord(id="w-identify", text="The agent identifies the customer before any account change.",
                 kind="hard_rule", tags=["billing"], status="approved"),
    RubricRecord(id="w-refuel", text="The agent refuels at most 2 GB of data.", kind="tool_call",
                 importance="important", tags=["mobile_data"]),
]  # fmt: skip
QUERY = QueryRecord(id="w-q-mms", text="I cannot send picture messages", tags=["mms"], rubrics=[RUBRICS[0], RUBRICS[1]])


@pytest.fixture
def page_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The page's environment: its own data dir, an edit password, a dead LLM, no TOML file."""
    monkeypatch.setenv("TELERUBRIC_DATA_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("TELERUBRIC_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TELERUBRIC_UI_PASSWORD", PASSWORD)
    monkeypatch.setenv("TELERUBRIC_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("TELERUBRIC_LLM__MAX_RETRIES", "0")
    for name in ("TELERUBRIC_MILVUS_URI", "TELERUBRIC_SQL_URL", "TELERUBRIC_UI__READ_ONLY"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield resources.page_settings()
    finally:
        resources.close_all()


@pytest.fixture
def page_kb(page_env: Settings) -> KnowledgeBase:
    """The KB the page opens, holding RUBRICS (w-apn and w-wifi linked to one query)."""
    kb = resources.knowledge_base(page_env)
    kb.apply([*RUBRICS, QUERY])
    return kb


@pytest.fixture
def page(page_kb: KnowledgeBase) -> Callable[..., AppTest]:
    """A factory: a fresh page (one browser session), run once, optionally opened at URL query parameters."""

    def make(**query: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        return at.run()

    return make


def sign_in(at: AppTest, name: str = "alice", password: str = PASSWORD) -> AppTest:
    at.sidebar.text_input(key="access_name").input(name)
    at.sidebar.text_input(key="access_password").input(password)
    return at.sidebar.button(key="access_sign_in").click().run()


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, "\n".join(e.message + "\n" + "\n".join(e.stack_trace) for e in at.exception)
    return at
