"""The result cache's batched reads and writes on each backend (SQLite, PostgreSQL, a Milvus URI)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, col, select

from kb.cache import CHUNK
from kb.records import RubricRecord
from kb.settings import Settings
from kb.store import KnowledgeBase
from kb.tables import CachedResult


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs once per backend (tests/kb/conftest.py)."""
    return backend_settings


def stored(kb: KnowledgeBase, keys: list[str]) -> dict[str, tuple[str, str, int]]:
    with Session(kb.engine) as session:
        rows = session.exec(select(CachedResult).where(col(CachedResult.key).in_(keys))).all()
        return {r.key: (r.namespace, r.value, r.kb_version) for r in rows}


def test_many_entries_round_trip_and_missing_keys_are_absent(kb: KnowledgeBase) -> None:
    assert kb.cache_get_many([]) == {} and kb.cache_get_many(["k1"]) == {}
    kb.cache_put_many([])
    kb.cache_put_many([("k1", "judge.verdicts", '{"v": 1}'), ("k2", "rubric_set", '{"v": 2}')])
    assert kb.cache_get_many(["k2", "k3", "k1", "k2"]) == {"k1": '{"v": 1}', "k2": '{"v": 2}'}
    assert kb.cache_get("k1") == '{"v": 1}'  # the same rows the one-key calls read


def test_a_batch_replaces_in_place_and_its_last_duplicate_wins(kb: KnowledgeBase) -> None:
    kb.cache_put("k1", "judge.verdicts", "old")
    kb.apply([RubricRecord(id="r-apn", text="The agent checks the APN settings.", kind="principle")])
    version = kb.version()
    assert version > 0
    kb.cache_put_many([("k1", "judge.verdicts", "new"), ("k2", "judge.verdicts", "a"), ("k2", "judge.verdicts", "b")])
    assert stored(kb, ["k1", "k2"]) == {
        "k1": ("judge.verdicts", "new", version),  # stored under the KB version current at the write
        "k2": ("judge.verdicts", "b", version),
    }


def test_batches_larger_than_one_statement(kb: KnowledgeBase) -> None:
    keys = [f"k{i:05d}" for i in range(2 * CHUNK + 7)]
    kb.cache_put_many([(k, "test", k.upper()) for k in keys])
    assert kb.cache_get_many(keys) == {k: k.upper() for k in keys}


def test_concurrent_batches_of_overlapping_keys_all_land(kb: KnowledgeBase) -> None:
    """Writers of the same keys at once neither collide on the primary key nor deadlock (PostgreSQL)."""
    keys = [f"shared-{i}" for i in range(16)]

    def write(worker: int) -> None:
        for round_ in range(10):
            order = keys if worker % 2 else keys[::-1]  # opposite orders: a deadlock if rows locked as given
            kb.cache_put_many([(k, "test", f"{worker}:{round_}") for k in order])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    found = kb.cache_get_many(keys)
    assert set(found) == set(keys) and all(v.endswith(":9") for v in found.values())
