"""Curation reads and edits by hand: the paged listing and its filters, queries with their rubrics, history with
diffs, optimistic locking, status transitions, the index after an edit, and usage snapshots — on every backend."""

from __future__ import annotations

import threading

import pytest
from pymilvus.exceptions import MilvusException

from kb.curation import QueryFilter, RubricFilter, RubricSort
from kb.edits import EditConflict, IndexState, RubricChanges, RubricNotFound, StatusTransitionError
from kb.errors import InputRejected
from kb.records import QueryRecord, RubricRecord, RubricStatus
from kb.settings import Settings
from kb.store import KnowledgeBase
from kb.usage import UsageDelta

KINDS = ("principle", "hard_rule", "tool_call")
IMPORTANCES = ("essential", "important", "optional", "pitfall")
TAGS = ("mms", "mobile_data", "roaming", "billing")


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs once per backend (tests/kb/conftest.py)."""
    return backend_settings


def _rubrics(n: int = 24) -> list[RubricRecord]:
    return [
        RubricRecord(
            id=f"c-{i:02d}",
            text=f"The agent handles case {i} about {TAGS[i % 4].replace('_', ' ')}.",
            kind=KINDS[i % 3],
            importance=IMPORTANCES[i % 4],
            tags=[TAGS[i % 4]] + (["3gpp"] if i % 5 == 0 else []),
            theme="Diagnosis" if i % 2 else "Fix",
            status=RubricStatus.APPROVED if i % 3 else RubricStatus.DRAFT,
            source="expert" if i < 20 else "tau2",
        )
        for i in range(n)
    ]


@pytest.fixture
def filled(kb: KnowledgeBase) -> KnowledgeBase:
    kb.apply(_rubrics())
    kb.record_usage(UsageDelta(retrieval_events=10, retrieved={"c-05": 9, "c-07": 4, "c-01": 1}, met={"c-07": 3}))
    return kb


def test_the_listing_filters_in_sql_and_counts_every_match(filled: KnowledgeBase) -> None:
    assert filled.list_rubrics(RubricFilter(kinds=["principle"], statuses=["approved"])).total == 0  # all drafts
    page = filled.list_rubrics(RubricFilter(kinds=["principle"], statuses=["draft"]))
    assert page.total == 8 and {r.id for r in page.rows} == {f"c-{i:02d}" for i in range(0, 24, 3)}
    page = filled.list_rubrics(RubricFilter(kinds=["hard_rule"], importances=["important", "pitfall"]))
    assert {r.id for r in page.rows} == {f"c-{i:02d}" for i in range(24) if i % 3 == 1 and i % 4 in (1, 3)}
    assert page.total == len(page.rows)
    tagged = filled.list_rubrics(RubricFilter(tags_any=["3gpp", "roaming"], limit=100))
    assert {r.id for r in tagged.rows} == {f"c-{i:02d}" for i in range(24) if i % 5 == 0 or i % 4 == 2}
    assert filled.list_rubrics(RubricFilter(tags_any=["mobile%data"])).total == 0  # LIKE wildcards are escaped
    assert filled.list_rubrics(RubricFilter(tags_any=["mobile_dat"])).total == 0  # whole tags only
    assert filled.list_rubrics(RubricFilter(themes=["Fix"], sources=["tau2"])).total == 2  # 20, 22
    assert [r.id for r in filled.list_rubrics(RubricFilter(text_contains="CASE 13 ")).rows] == ["c-13"]
    assert filled.list_rubrics(RubricFilter(text_contains="c-2")).total == 4  # ids too


def test_pages_cover_every_match_once_in_sort_order(filled: KnowledgeBase) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = filled.list_rubrics(RubricFilter(sort=RubricSort.RETRIEVED, offset=offset, limit=5))
        seen += [r.id for r in page.rows]
        if not page.has_next:
            break
        offset += 5
    assert len(seen) == len(set(seen)) == 24 == page.total
    assert seen[:3] == ["c-05", "c-07", "c-01"]  # most retrieved first, the rest by id
    assert seen[3:] == sorted(seen[3:])
    top = filled.list_rubrics(RubricFilter(sort=RubricSort.VERDICTS, limit=1)).rows[0]
    assert (top.id, top.met, top.retrieved) == ("c-07", 3, 4)
    ascending = filled.list_rubrics(RubricFilter(sort=RubricSort.ID, descending=False, limit=2))
    assert [r.id for r in ascending.rows] == ["c-00", "c-01"]


def test_facets_count_each_value(filled: KnowledgeBase) -> None:
    facets = filled.rubric_facets()
    assert facets.total == 24 and facets.kinds == {"hard_rule": 8, "principle": 8, "tool_call": 8}
    assert facets.tags["mms"] == 6 and facets.tags["3gpp"] == 5 and facets.sources == {"expert": 20, "tau2": 4}
    assert set(facets.themes) == {"Diagnosis", "Fix"} and set(facets.statuses) == {"approved", "draft"}


def test_a_query_comes_with_its_rubrics_in_order(kb: KnowledgeBase) -> None:
    rubrics = _rubrics(3)
    kb.apply([QueryRecord(id="q-mms", text="I cannot send MMS", tags=["mms"], rubrics=[rubrics[2], rubrics[0]])])
    kb.apply([QueryRecord(id="q-other", text="Data is slow", rubrics=[rubrics[0]])])
    detail = kb.query_detail("q-mms")
    assert detail is not None and [r.id for r in detail.rubrics] == ["c-02", "c-00"]
    assert kb.query_detail("q-none") is None
    page = kb.list_queries(QueryFilter(text_contains="mms"))
    assert page.total == 1 and page.rows[0].rubrics == 2
    assert kb.list_queries(QueryFilter(tags_any=["mms"])).total == 1
    assert [q.id for q in kb.queries_linking("c-00")] == ["q-mms", "q-other"]


def test_an_edit_is_a_new_version_with_a_revision_a_diff_and_a_fresh_index_row(kb: KnowledgeBase) -> None:
    kb.apply([RubricRecord(id="e-1", text="The agent checks the APN settings.", kind="principle")])
    changes = RubricChanges(text="The agent checks the MMSC URL in the APN settings.", tags=["mms"], theme="APN")
    edit = kb.update_rubric("e-1", changes, expected_version=1, actor="alice", reason="name the field")
    assert edit.changed and edit.rubric.version == 2 and edit.index is IndexState.CURRENT
    assert edit.rubric.text.startswith("The agent checks the MMSC") and edit.rubric.tags == ["mms"]
    history = kb.rubric_history("e-1")
    assert [(h.version, h.action, h.changed_by) for h in history] == [(1, "create", "ingest"), (2, "update", "alice")]
    assert history[1].reason == "name the field" and history[0].reason is None
    assert {c.field for c in history[1].changes} == {"text", "tags", "theme"}
    diff = history[1].diff()
    assert "-text: The agent checks the APN settings." in diff and '+tags: ["mms"]' in diff
    assert diff.splitlines()[0] == "--- v1" and history[0].diff().startswith("--- (none)")
    hits = kb.search("MMSC URL", k=3, filters=None)
    assert hits and hits[0].id == "e-1" and hits[0].text == edit.rubric.text
    assert kb.doctor().clean
    same = kb.update_rubric("e-1", changes, expected_version=2, actor="bob", reason="again")
    assert not same.changed and same.rubric.version == 2 and len(kb.rubric_history("e-1")) == 2


def test_a_stale_version_is_refused_naming_the_current_one_and_nothing_is_written(kb: KnowledgeBase) -> None:
    kb.apply([RubricRecord(id="e-2", text="The agent verifies the customer.", kind="hard_rule")])
    kb.update_rubric("e-2", RubricChanges(text="Alice's text."), expected_version=1, actor="alice", reason="a")
    with pytest.raises(EditConflict) as caught:
        kb.update_rubric("e-2", RubricChanges(text="Bob's text."), expected_version=1, actor="bob", reason="b")
    assert caught.value.current == 2 and caught.value.changed_by == "alice"
    assert (
        "version 2" in str(caught.value) and "alice" in str(caught.value) and "nothing was saved" in str(caught.value)
    )
    assert kb.rubrics(["e-2"])["e-2"].text == "Alice's text." and len(kb.rubric_history("e-2")) == 2
    with pytest.raises(RubricNotFound):
        kb.update_rubric("e-none", RubricChanges(text="x"), expected_version=1, actor="bob", reason="b")


def test_two_saves_at_once_on_one_version_only_one_wins(kb: KnowledgeBase) -> None:
    kb.apply([RubricRecord(id="e-3", text="The agent explains the charge.", kind="principle")])
    barrier, outcomes = threading.Barrier(2), []

    def save(name: str) -> None:
        barrier.wait()
        try:
            kb.update_rubric(
                "e-3", RubricChanges(text=f"{name} wrote this."), expected_version=1, actor=name, reason="r"
            )
            outcomes.append(("saved", name))
        except EditConflict as exc:
            outcomes.append(("refused", exc.changed_by))

    threads = [threading.Thread(target=save, args=(n,)) for n in ("ann", "ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["refused", "saved"]
    winner = next(n for k, n in outcomes if k == "saved")
    assert next(n for k, n in outcomes if k == "refused") == winner  # the refusal names who saved
    assert kb.rubrics(["e-3"])["e-3"].text == f"{winner} wrote this." and len(kb.rubric_history("e-3")) == 2


def test_status_moves_draft_approved_retired_and_back_with_reasons(kb: KnowledgeBase) -> None:
    kb.apply([RubricRecord(id="e-4", text="The agent refuels at most 2 GB.", kind="hard_rule")])
    steps = [(RubricStatus.APPROVED, 1), (RubricStatus.RETIRED, 2), (RubricStatus.DRAFT, 3)]
    for status, version in steps:
        edit = kb.set_status("e-4", status, expected_version=version, actor="lead", reason=f"to {status}")
        assert edit.rubric.status == status and edit.rubric.version == version + 1
    kb.set_status("e-4", RubricStatus.RETIRED, expected_version=4, actor="lead", reason="reject the draft")
    with pytest.raises(StatusTransitionError, match="retired cannot become approved"):
        kb.set_status("e-4", RubricStatus.APPROVED, expected_version=5, actor="lead", reason="skip")
    history = kb.rubric_history("e-4")
    assert [h.action for h in history] == ["create", "status", "status", "status", "status"]
    assert [h.reason for h in history[1:]] == ["to approved", "to retired", "to draft", "reject the draft"]
    hits = kb.search("refuels at most 2 GB", k=5)  # retired rubrics leave retrieval at once
    assert "e-4" not in [h.id for h in hits]


def test_bad_fields_a_missing_reason_or_name_are_refused_with_the_field(kb: KnowledgeBase) -> None:
    kb.apply([RubricRecord(id="e-5", text="The agent checks roaming.", kind="principle", importance="optional")])
    with pytest.raises(InputRejected) as caught:
        kb.update_rubric(
            "e-5", RubricChanges(tags=["Not A Slug"], text="  "), expected_version=1, actor="a", reason="r"
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"tags", "text"}
    with pytest.raises(InputRejected, match="reason"):
        kb.update_rubric("e-5", RubricChanges(text="New."), expected_version=1, actor="a", reason="  ")
    with pytest.raises(InputRejected, match="editor"):
        kb.update_rubric("e-5", RubricChanges(text="New."), expected_version=1, actor="", reason="r")
    assert kb.rubrics(["e-5"])["e-5"].version == 1 and len(kb.rubric_history("e-5")) == 1
    edit = kb.update_rubric("e-5", RubricChanges(importance="essential"), expected_version=1, actor="a", reason="r")
    assert edit.rubric.weight == 1.0  # it had optional's default 0.3: it follows the new importance
    edit = kb.update_rubric("e-5", RubricChanges(weight=2.5), expected_version=2, actor="a", reason="r")
    edit = kb.update_rubric("e-5", RubricChanges(importance="optional"), expected_version=3, actor="a", reason="r")
    assert edit.rubric.weight == 2.5  # a weight set by hand stays


def test_an_unreachable_index_leaves_the_edit_queued_and_says_so(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb.apply([RubricRecord(id="e-6", text="The agent resumes the line.", kind="tool_call")])

    def down(*_a: object, **_k: object) -> None:
        raise MilvusException(message="connection refused")

    monkeypatch.setattr(kb.index, "upsert", down)
    edit = kb.update_rubric("e-6", RubricChanges(text="The agent resumes the suspended line."), expected_version=1,
                            actor="a", reason="r")  # fmt: skip
    assert edit.changed and edit.index is IndexState.QUEUED and "connection refused" in (edit.index_note or "")
    monkeypatch.undo()
    assert not kb.doctor().clean
    assert kb.index_pending() == 1 and kb.doctor().clean
    edit = kb.update_rubric("e-6", RubricChanges(theme="Lines"), expected_version=2, actor="a", reason="r")
    assert edit.index is IndexState.CURRENT  # the index holds no theme: nothing to refresh


def test_usage_snapshots_copy_only_what_changed_and_make_a_series(kb: KnowledgeBase) -> None:
    kb.apply(_rubrics(3))
    assert kb.usage_series("c-00") == []
    kb.record_usage(UsageDelta(retrieval_events=2, retrieved={"c-00": 2}))
    assert kb.snapshot_usage() == 1
    assert kb.snapshot_usage() == 0  # nothing changed since
    assert kb.snapshot_usage(min_interval_s=3600) is None  # too soon
    kb.record_usage(UsageDelta(retrieval_events=1, retrieved={"c-00": 1, "c-01": 1}, met={"c-00": 1}))
    assert kb.snapshot_usage() == 2
    series = kb.usage_series("c-00")
    assert [(p.retrieved, p.met) for p in series] == [(2, 0), (3, 1), (3, 1)]  # two snapshots, then live
    assert series[0].at <= series[1].at <= series[2].at
