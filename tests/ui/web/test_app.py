"""The page driven by Streamlit's AppTest: browse and filter, open a rubric, edit and save (a revision appears), a
conflicting save refused with the editor's text kept, approve, retire, add through the form, a bad upload refused
with line-numbered errors and the KB unchanged, read-only mode, search, the query view and the try-it panel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kb import (
    KnowledgeBase,
    RubricChanges,
    RubricRecord,
    RubricStatus,
    Settings,
    StoreServer,
    UsageDelta,
    load_settings,
)
from tests.ui.web.conftest import APP, PASSWORD, RUBRICS, no_exception, sign_in
from ui.web import resources

Page = Callable[..., AppTest]


def _go(at: AppTest, view: str) -> AppTest:
    return no_exception(at.sidebar.radio(key="view").set_value(view).run())


def _table_ids(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["id"])


def _open(at: AppTest, rubric_id: str) -> AppTest:
    at.text_input(key="rubric_id").input(rubric_id)
    return no_exception(_go(at, "Rubric"))


def _save(at: AppTest, reason: str, **fields: object) -> AppTest:
    for name, value in fields.items():
        widget = {"text": at.text_area, "tips": at.text_area}.get(name)
        if widget is not None:
            widget(key=f"ed_{name}").input(str(value))
        elif name in ("kind", "importance", "status"):
            at.selectbox(key=f"ed_{name}").set_value(value)
        elif name == "weight":
            at.number_input(key="ed_weight").set_value(value)
        else:
            at.text_input(key=f"ed_{name}").input(str(value))
    at.text_input(key="ed_reason").input(reason)
    return no_exception(at.button(key="ed_save").click().run())


def _messages(at: AppTest, kind: str) -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def test_browse_filters_sorts_and_opens_a_rubric(page: Page, page_kb: KnowledgeBase) -> None:
    at = no_exception(page())
    assert set(_table_ids(at)) == {"w-apn", "w-wifi", "w-identify", "w-refuel"}
    assert "of 4" in _messages(at, "caption")
    at.multiselect(key="b_kinds").set_value(["principle"]).run()
    assert set(_table_ids(at)) == {"w-apn", "w-wifi"}
    at.multiselect(key="b_statuses").set_value(["approved"]).run()
    assert _table_ids(at) == ["w-wifi"] and "of 1" in _messages(at, "caption")
    at.multiselect(key="b_kinds").set_value([]).run()
    at.multiselect(key="b_statuses").set_value([]).run()
    at.multiselect(key="b_tags").set_value(["mobile_data"]).run()
    assert _table_ids(at) == ["w-refuel"]
    at.multiselect(key="b_tags").set_value([]).run()
    at.text_input(key="b_text").input("wi-fi").run()
    assert _table_ids(at) == ["w-wifi"]
    at.text_input(key="b_text").input("").run()
    page_kb.record_usage(_usage({"w-identify": 7, "w-refuel": 2}))
    at.selectbox(key="b_sort").set_value("Most retrieved").run()
    assert _table_ids(at)[:2] == ["w-identify", "w-refuel"]
    at.selectbox(key="b_size").set_value(10).run()
    at.selectbox(key="b_pick").set_value("w-refuel").run()
    no_exception(at.button(key="b_open").click().run())
    assert at.sidebar.radio(key="view").value == "Rubric"
    assert "The agent refuels at most 2 GB of data." in _messages(at, "markdown")


def _usage(retrieved: dict[str, int]) -> UsageDelta:
    return UsageDelta(retrieval_events=10, retrieved=retrieved)


def test_filters_and_the_open_rubric_survive_a_visit_to_another_view(page: Page) -> None:
    at = page()
    at.multiselect(key="b_kinds").set_value(["principle"]).run()
    at.selectbox(key="b_pick").set_value("w-wifi").run()
    no_exception(at.button(key="b_open").click().run())
    at = _go(_go(at, "Search"), "Browse")
    assert at.multiselect(key="b_kinds").value == ["principle"] and set(_table_ids(at)) == {"w-apn", "w-wifi"}
    at = _go(at, "Rubric")
    assert at.text_input(key="rubric_id").value == "w-wifi"


def test_paging_walks_the_listing(page: Page, page_kb: KnowledgeBase) -> None:
    page_kb.apply([RubricRecord(id=f"w-many-{i:02d}", text=f"The agent does step {i}.", kind="principle")
                   for i in range(30)])  # fmt: skip
    at = page()
    at.selectbox(key="b_sort").set_value("Id").run()
    at.selectbox(key="b_size").set_value(10).run()
    first = _table_ids(at)
    at.number_input(key="b_page").set_value(4).run()
    last = _table_ids(at)
    assert len(first) == 10 and len(last) == 4 and not set(first) & set(last)
    assert "rubrics 31–34 of 34" in _messages(at, "caption")


def test_a_rubric_shows_provenance_pruning_usage_and_linked_queries(page: Page, page_kb: KnowledgeBase) -> None:
    page_kb.record_usage(_usage({"w-apn": 9}))
    page_kb.record_usage(_usage({"w-apn": 10}))
    page_kb.snapshot_usage()
    page_kb.record_usage(_usage({"w-apn": 10}))  # 29 of 30 retrievals: too common
    at = no_exception(page(view="rubric", id="w-apn"))
    assert at.sidebar.radio(key="view").value == "Rubric"
    assert "The agent checks the APN settings for an MMSC URL." in _messages(at, "markdown")
    assert "Pruning would drop it: **too_common**" in _messages(at, "warning")
    assert len(at.image) == 2  # usage over time and verdicts (matplotlib)
    assert list(at.dataframe[0].value["id"]) == ["w-q-mms"]  # the query linking it
    assert "v1 · create · ingest" in " ".join(e.label for e in at.expander)
    at = no_exception(page(view="rubric", id="w-none"))
    assert "No rubric has id 'w-none'" in _messages(at, "warning")


def test_edit_and_save_makes_a_version_and_a_revision_with_the_editors_name(page: Page, page_kb: KnowledgeBase) -> None:
    at = sign_in(page(view="rubric", id="w-apn"))
    assert at.session_state["access_editor"] == "alice"
    at = _save(at, "name the MMSC field", text="The agent checks the APN's MMSC URL field.", tags="mms, apn, 3gpp")
    assert "Saved version 2" in _messages(at, "success")
    stored = page_kb.rubrics(["w-apn"])["w-apn"]
    assert stored.version == 2 and stored.text == "The agent checks the APN's MMSC URL field." and "3gpp" in stored.tags
    history = page_kb.rubric_history("w-apn")
    assert (history[-1].changed_by, history[-1].reason, history[-1].action) == (
        "alice",
        "name the MMSC field",
        "update",
    )
    labels = " ".join(e.label for e in at.expander)
    assert "v2 · update · alice" in labels and "name the MMSC field" in labels
    assert any("+text: The agent checks the APN's MMSC URL field." in c.value for c in at.code)  # the diff
    at = _save(at, "", text="Another text.")  # a reason is required
    assert "reason" in _messages(at, "error") and page_kb.rubrics(["w-apn"])["w-apn"].version == 2


def test_a_conflicting_save_is_refused_and_the_text_stays(page: Page, page_kb: KnowledgeBase) -> None:
    at = sign_in(page(view="rubric", id="w-wifi"))
    page_kb.update_rubric("w-wifi", RubricChanges(text="Bob's version of the Wi-Fi rubric."), expected_version=1,
                          actor="bob", reason="bob was faster")  # fmt: skip
    mine = "Alice's version: the agent has the user turn Wi-Fi calling off, then retry MMS."
    at = _save(at, "alice's rewrite", text=mine)
    error = _messages(at, "error")
    assert "Not saved" in error and "version 2" in error and "bob" in error
    assert at.text_area(key="ed_text").value == mine  # her text is still on screen
    assert page_kb.rubrics(["w-wifi"])["w-wifi"].text == "Bob's version of the Wi-Fi rubric."
    assert any("-Bob's version" in c.value and "+Alice's version" in c.value for c in at.code)  # what differs
    at = no_exception(at.button(key="ed_over").click().run())  # keep mine, apply it to version 2
    assert at.text_area(key="ed_text").value == mine
    at = _save(at, "alice's rewrite, over bob's")
    assert "Saved version 3" in _messages(at, "success")
    assert page_kb.rubrics(["w-wifi"])["w-wifi"].text == mine


def test_approve_then_retire_with_reasons(page: Page, page_kb: KnowledgeBase) -> None:
    at = sign_in(page(view="rubric", id="w-apn"))
    assert at.selectbox(key="ed_status").options == ["draft", "approved", "retired"]
    at = _save(at, "reviewed with the MMS team", status="approved")
    assert page_kb.rubrics(["w-apn"])["w-apn"].status == RubricStatus.APPROVED
    assert at.selectbox(key="ed_status").options == ["approved", "draft", "retired"]
    at = _save(at, "superseded by the 3GPP rubric", status="retired")
    assert page_kb.rubrics(["w-apn"])["w-apn"].status == RubricStatus.RETIRED
    assert at.selectbox(key="ed_status").options == ["retired", "draft"]  # retired → approved is not offered
    history = page_kb.rubric_history("w-apn")
    assert [(h.action, h.reason) for h in history[1:]] == [
        ("status", "reviewed with the MMS team"),
        ("status", "superseded by the 3GPP rubric"),
    ]


def test_add_a_standalone_rubric_and_a_query_pair_through_the_form(page: Page, page_kb: KnowledgeBase) -> None:
    at = sign_in(_go(page(), "Add"))
    at.text_area(key="add_text").input("The agent confirms the customer's roaming zone before enabling roaming.")
    at.selectbox(key="add_kind").set_value("hard_rule")
    at.text_input(key="add_tags").input("roaming, billing")
    at.text_input(key="add_id").input("w-new-roaming")
    at = no_exception(at.button(key="add_submit").click().run())
    assert "Added from the form: rubrics +1 new" in _messages(at, "success")
    added = page_kb.rubrics(["w-new-roaming"])["w-new-roaming"]
    assert added.kind == "hard_rule" and added.tags == ["roaming", "billing"] and added.provenance["line"] == 1
    assert page_kb.rubric_history("w-new-roaming")[0].changed_by == "alice"
    at = no_exception(at.button(key="add_submit").click().run())  # the same id again: refused, not overwritten
    assert "form:1: id: rubric w-new-roaming exists" in "\n".join(c.value for c in at.code)
    at.radio(key="add_what").set_value("Query with a rubric").run()
    at.text_area(key="add_query").input("My MMS fails abroad")
    at.text_area(key="add_text").input("The agent checks that roaming is on for MMS abroad.")
    at.text_input(key="add_id").input("")
    at = no_exception(at.button(key="add_submit").click().run())
    assert "queries +1 new" in _messages(at, "success")
    assert page_kb.list_queries().total == 2


def test_the_form_reports_field_errors_and_writes_nothing(page: Page, page_kb: KnowledgeBase) -> None:
    at = sign_in(_go(page(), "Add"))
    version = page_kb.version()
    at.text_area(key="add_text").input("   ")
    at.text_input(key="add_tags").input("Not A Slug")
    at = no_exception(at.button(key="add_submit").click().run())
    assert "nothing was written" in _messages(at, "error")
    report = "\n".join(c.value for c in at.code)
    assert "form:1: text: must not be empty" in report and "form:1: tags: tag 'Not A Slug'" in report
    assert page_kb.version() == version


BAD_FILE = (
    b'{"id": "w-up-1", "text": "The agent checks the SIM.", "kind": "principle"}\n'
    b'{"id": "w-up-2", "text": "The agent reseats the SIM.", "kind": "hardrule"}\n'
    b"not json\n"
    b'{"query": "No service", "rubrics": []}\n'
)


def test_a_bad_upload_shows_line_numbered_errors_and_leaves_the_kb_unchanged(
    page: Page, page_kb: KnowledgeBase
) -> None:
    at = sign_in(_go(page(), "Add"))
    before = (page_kb.version(), page_kb.stats().rubrics_by_status)
    at.file_uploader(key="add_file").upload("bad_rubrics.jsonl", BAD_FILE, "application/jsonl").run()
    at = no_exception(at.button(key="add_ingest").click().run())
    assert "3 problem(s); nothing was written" in _messages(at, "error")
    report = "\n".join(c.value for c in at.code)
    assert "bad_rubrics.jsonl:2: kind:" in report and "bad_rubrics.jsonl:3:" in report
    assert "bad_rubrics.jsonl:4: rubrics" in report
    assert (page_kb.version(), page_kb.stats().rubrics_by_status) == before
    assert not page_kb.rubrics(["w-up-1"])  # the good line was not written either
    assert not list((page_kb.settings.data_dir / "uploads").glob("*bad_rubrics*"))  # the rejected file is not kept
    good = b'{"id": "w-up-1", "text": "The agent checks the SIM.", "kind": "principle"}\n'
    at.file_uploader(key="add_file").upload("good.jsonl", good, "application/jsonl").run()
    at = no_exception(at.button(key="add_ingest").click().run())
    assert "rubrics +1 new" in _messages(at, "success")
    assert page_kb.rubrics(["w-up-1"])["w-up-1"].provenance["file"].endswith("good.jsonl")


def test_read_only_mode_refuses_edits(page: Page, page_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_UI__READ_ONLY", "true")
    at = no_exception(page(view="rubric", id="w-apn"))
    assert "Read-only" in _messages(at, "caption")
    assert not [t for t in at.sidebar.text_input if t.key == "access_password"]  # no way to sign in
    assert "Editing is off" in _messages(at, "info") and not [b for b in at.button if b.key == "ed_save"]
    at = _go(at, "Add")
    assert "Adding is off" in _messages(at, "info") and not [b for b in at.button if b.key == "add_submit"]
    assert page_kb.rubrics(["w-apn"])["w-apn"].version == 1
    page_kb.record_usage(_usage({"w-apn": 1}))
    no_exception(page())  # a new session of a read-only page takes no usage snapshot either
    assert page_kb.snapshot_usage(min_interval_s=3600) == 1


def test_without_a_password_set_the_page_is_read_only_and_a_wrong_password_is_refused(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = sign_in(page(view="rubric", id="w-apn"), password="wrong " + PASSWORD)
    assert "wrong password" in _messages(at, "error") and "access_editor" not in at.session_state
    assert not [b for b in at.button if b.key == "ed_save"]
    assert at.sidebar.text_input(key="access_password").value == ""  # never kept in the session
    monkeypatch.delenv("TELERUBRIC_UI_PASSWORD")
    at = no_exception(page(view="rubric", id="w-apn"))
    assert "TELERUBRIC_UI_PASSWORD" in _messages(at, "caption")
    assert not [b for b in at.button if b.key == "ed_save"]


def test_search_shows_scores_and_why_each_matched(page: Page) -> None:
    at = _go(page(), "Search")
    at.text_input(key="search_text").input("MMS picture messages fail").run()
    table = at.dataframe[0].value
    assert {"score", "dense rank", "BM25 rank", "why"} <= set(table.columns)
    assert "w-q-mms" in set(table["id"])
    assert any("dense #" in w or "BM25 #" in w for w in table["why"])
    no_exception(at.button(key="search_open").click().run())


def test_the_query_view_lists_its_linked_rubrics(page: Page) -> None:
    at = no_exception(page(view="query", id="w-q-mms"))
    assert at.sidebar.radio(key="view").value == "Queries"
    assert list(at.dataframe[-1].value["id"]) == ["w-apn", "w-wifi"]
    at = no_exception(at.button(key="q_open_rubric").click().run())
    assert at.sidebar.radio(key="view").value == "Rubric" and at.text_input(key="rubric_id").value == "w-apn"


def test_try_it_shows_neighbours_the_rubric_set_and_the_llm_failure_as_a_value(page: Page) -> None:
    at = _go(page(), "Try it")
    at.text_area(key="try_question").input("I cannot send picture messages")
    at.text_area(key="try_response").input("Turn Wi-Fi calling off and retry.")
    at = no_exception(at.button(key="try_run").click().run())
    errors = _messages(at, "error")
    assert "Synthesis failed" in errors and "score: None" in errors and "unavailable" in errors
    assert "w-q-mms" in set(at.dataframe[0].value["id"])  # the similar query
    assert "The agent asks the user to turn off Wi-Fi calling when MMS fails." in _messages(at, "markdown")
    at.file_uploader(key="try_trajectory").upload("t.json", b"{not json", "application/json")
    at = no_exception(at.button(key="try_run").click().run())
    assert "t.json: not JSON" in _messages(at, "error")


def test_the_page_works_through_kb_serve(page_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process holds the embedded KB and shares it (`telerubric kb serve`): the page goes through its URI."""
    served = tmp_path / "served"
    server = StoreServer(load_settings(data_dir=served))
    uri = server.start()
    try:
        monkeypatch.setenv("TELERUBRIC_DATA_DIR", str(served))
        monkeypatch.setenv("TELERUBRIC_MILVUS_URI", uri)
        kb = resources.knowledge_base(resources.page_settings())
        kb.apply(RUBRICS)
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params["view"], at.query_params["id"] = "rubric", "w-apn"
        at = sign_in(no_exception(at.run()))
        assert uri in _messages(at, "caption")
        at = _save(at, "through the served store", text="The agent reads the MMSC URL from the APN settings.")
        assert "search sees it now" in _messages(at, "success")
        at = _go(at, "Search")
        at.text_input(key="search_text").input("MMSC URL from the APN").run()
        hits = at.dataframe[0].value
        assert hits["id"].iloc[0] == "w-apn" and hits["text"].iloc[0].startswith("The agent reads the MMSC URL")
    finally:
        resources.close_all()
        server.stop()
