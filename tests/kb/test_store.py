"""The store on each backend (SQLite + milvus-lite, PostgreSQL, a Milvus URI) with the packaged embedder: round
trip, idempotence, revisions."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ingest.expert.job import ingest_expert_files
from kb.errors import InputRejected
from kb.records import QueryRecord, RubricRecord
from kb.search.filters import Scope, SearchFilter
from kb.settings import Settings
from kb.store import KnowledgeBase
from kb.tables import Revision, Rubric, utcnow


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs once per backend (tests/kb/conftest.py)."""
    return backend_settings


def test_paraphrase_of_an_ingested_query_is_found_first(kb: KnowledgeBase, examples_dir: Path) -> None:
    ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"])
    hits = kb.search(
        "There's no signal on my cell phone since early today, calls don't go through", k=3, scope=Scope.QUERIES
    )
    assert hits[0].id == "ex-q-service-1"
    mms = kb.search("my pictures won't go out as messages, but SMS is fine", k=3, scope=Scope.QUERIES)
    assert mms[0].id == "ex-q-mms-1"


def test_reingest_is_a_no_op(kb: KnowledgeBase, examples_dir: Path) -> None:
    files = sorted(examples_dir.glob("expert_rubrics.*"))
    first = ingest_expert_files(kb, files)
    version = kb.version()
    again = ingest_expert_files(kb, files)
    assert first.rubrics.added > 0 and first.queries.added > 0
    assert (again.rubrics.added, again.rubrics.updated) == (0, 0)
    assert (again.queries.added, again.queries.updated) == (0, 0)
    assert again.kb_version is None and kb.version() == version


def test_changed_rubric_becomes_a_new_version_with_a_revision(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "r1", "text": "The agent checks the APN.", "kind": "principle"}\n')
    ingest_expert_files(kb, [path])
    path.write_text('{"id": "r1", "text": "The agent checks the APN and MMSC URL.", "kind": "principle"}\n')
    summary = ingest_expert_files(kb, [path])
    assert summary.rubrics.updated == 1
    with Session(kb.engine) as session:
        rubric = session.get(Rubric, "r1")
        revisions = session.exec(select(Revision).where(Revision.entity_id == "r1").order_by(Revision.version)).all()
    assert rubric is not None and rubric.version == 2 and rubric.text.endswith("MMSC URL.")
    assert [r.action for r in revisions] == ["create", "update"]
    assert revisions[1].before["text"] == "The agent checks the APN." and revisions[1].after["text"] == rubric.text
    hits = kb.search("APN and MMSC URL", k=1, scope=Scope.RUBRICS)
    assert hits[0].id == "r1" and hits[0].text == rubric.text  # the index followed the change


def test_recurring_rubric_is_one_row_linked_to_many_queries(kb: KnowledgeBase) -> None:
    shared = RubricRecord(text="The agent transfers to a human agent.", kind="tool_call")
    kb.apply(
        [
            QueryRecord(text="Phone is broken", rubrics=[shared]),
            QueryRecord(text="Phone still broken after reset", rubrics=[shared]),
        ]
    )
    stats = kb.stats()
    assert stats.collections["rubrics"].sql_rows == 1 and stats.links == 2


def test_filters_use_typed_fields(kb: KnowledgeBase, examples_dir: Path) -> None:
    ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"])
    hits = kb.search(
        "customer identity and account",
        k=20,
        scope=Scope.RUBRICS,
        filters=SearchFilter(statuses=["approved"], kinds=["hard_rule"]),
    )
    assert hits and all(h.status == "approved" and h.kind == "hard_rule" for h in hits)
    tagged = kb.search("data", k=20, scope=Scope.QUERIES, filters=SearchFilter(tags_any=["roaming"]))
    assert [h.id for h in tagged] == ["ex-q-data-1"]
    excluded = kb.search("no service", k=20, scope=Scope.QUERIES, filters=SearchFilter(exclude_ids=["ex-q-service-1"]))
    assert "ex-q-service-1" not in {h.id for h in excluded}


def test_a_nul_character_is_refused_alike_on_every_backend(kb: KnowledgeBase) -> None:
    """PostgreSQL text cannot hold NUL; SQLite could: the store refuses it everywhere, before writing anything."""
    where = {"file": "r.jsonl", "line": 3}
    bad = RubricRecord(text="The agent checks\x00 the APN.", kind="principle", provenance=where)
    with pytest.raises(InputRejected, match=r"r\.jsonl:3: text: contains a NUL character"):
        kb.apply([QueryRecord(text="MMS fails", rubrics=[bad])])
    assert kb.version() == 0 and kb.stats().collections["rubrics"].sql_rows == 0
    kb.apply([RubricRecord(id="r-tips", text="The agent checks the APN.", kind="principle", tips=["a\x00b"])])
    assert kb.rubrics(["r-tips"])["r-tips"].tips == ["a\x00b"]  # JSON columns store it escaped


def test_cache_entries_are_replaced_in_place(kb: KnowledgeBase) -> None:
    assert kb.cache_get("k") is None
    kb.cache_put("k", "rubric_set", '{"v": 1}')
    kb.cache_put("k", "rubric_set", '{"v": 2}')
    assert kb.cache_get("k") == '{"v": 2}'


def test_timestamps_read_back_as_the_utc_instant_written(kb: KnowledgeBase) -> None:
    """The test PostgreSQL runs in a non-UTC zone (tests/kb/conftest.py): stored instants must not shift."""
    before = utcnow()
    kb.apply([RubricRecord(id="r-time", text="The agent checks the APN.", kind="principle")])
    with Session(kb.engine) as session:
        rubric = session.get(Rubric, "r-time")
    assert rubric is not None
    stamp = rubric.created_at if rubric.created_at.tzinfo else rubric.created_at.replace(tzinfo=UTC)  # SQLite: naive
    assert before - timedelta(seconds=5) <= stamp <= utcnow() + timedelta(seconds=5)
