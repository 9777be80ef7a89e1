"""Usage statistics: counts and rates on every backend, older databases upgraded, and processes sharing one
database at once: creating its schema together, counting together without losing an increment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from kb.embedders import Embedder
from kb.records import RubricRecord
from kb.settings import Settings, load_settings
from kb.sql import COUNTERS, KB_VERSION_KEY, RETRIEVAL_EVENTS, SCHEMA_VERSION_KEY, get_meta, set_meta
from kb.store import KnowledgeBase
from kb.tables import SCHEMA_VERSION
from kb.usage import UsageDelta

LEGACY_RETRIEVALS_KEY = COUNTERS[RETRIEVAL_EVENTS]  # the Meta key schema 1 and 2 counted retrievals under

REPO = Path(__file__).resolve().parents[2]
RUBRICS = [
    RubricRecord(id="u-apn", text="The agent checks the APN settings.", kind="principle"),
    RubricRecord(id="u-roaming", text="The agent checks that roaming is enabled abroad.", kind="principle"),
    RubricRecord(id="u-shared", text="The agent confirms the fix with the user.", kind="principle"),
]


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """Every single-process test here runs once per backend (tests/kb/conftest.py)."""
    return backend_settings


def test_counts_add_up_and_give_the_rates_pruning_reads(kb: KnowledgeBase) -> None:
    kb.apply(RUBRICS[:2])
    kb.record_usage(UsageDelta())  # empty: no write
    kb.record_usage(UsageDelta(retrieval_events=3, retrieved={"u-apn": 3, "u-roaming": 1}, used={"u-apn": 2}))
    kb.record_usage(UsageDelta(retrieval_events=1, met={"u-apn": 3}, not_met={"u-apn": 1}, not_applicable={"u-apn": 2}))
    kb.record_usage(UsageDelta(retrieval_events=1, retrieved={"no-such-rubric": 5}))  # unknown ids count nothing
    usage = kb.usage_of(["u-apn", "u-roaming", "no-such-rubric"])
    assert set(usage) == {"u-apn", "u-roaming"}
    apn = usage["u-apn"]
    assert (apn.retrieved, apn.used, apn.met, apn.not_met, apn.not_applicable) == (3, 2, 3, 1, 2)
    assert apn.retrieval_events == 5 and apn.retrieval_rate == pytest.approx(0.6) and apn.met_rate == 0.75
    assert usage["u-roaming"].retrieval_rate == pytest.approx(0.2) and usage["u-roaming"].met_rate is None


def test_an_older_database_is_upgraded_and_keeps_its_counters(settings: Settings, embedder: Embedder) -> None:
    with KnowledgeBase(settings, embedder=embedder) as store:
        store.apply(RUBRICS[:1])
        store.record_usage(UsageDelta(retrieval_events=2, retrieved={"u-apn": 2}))
        with store.engine.begin() as conn:  # turn it back into what schema 1 and 2 wrote: counters in Meta
            conn.execute(text("DROP TABLE counter"))
        with Session(store.engine) as session:
            set_meta(session, SCHEMA_VERSION_KEY, "1")
            set_meta(session, KB_VERSION_KEY, "7")
            set_meta(session, LEGACY_RETRIEVALS_KEY, "41")
            session.commit()
    with KnowledgeBase(settings, embedder=embedder) as store:
        assert store.version() == 7
        assert store.usage_of(["u-apn"])["u-apn"].retrieval_events == 41
        store.record_usage(UsageDelta(retrieval_events=1, retrieved={"u-apn": 1}))
        assert store.usage_of(["u-apn"])["u-apn"].retrieval_events == 42
        assert store.usage_of(["u-apn"])["u-apn"].retrieved == 3
        assert store.stats().schema_version == SCHEMA_VERSION == 3
        with Session(store.engine) as session:  # the old keys are gone: nothing can read a stale copy
            assert get_meta(session, LEGACY_RETRIEVALS_KEY) is None and get_meta(session, KB_VERSION_KEY) is None


# Two processes ------------------------------------------------------------------------------------------------
#
# Each process opens a full `KnowledgeBase` and calls `record_usage`, the path a reward worker takes. An embedded
# milvus-lite store admits one process (kb/lock.py), so several processes sharing a KB reach Milvus by URI
# (`kb serve`, here the session's milvus-lite server): that is the supported multi-process set-up, not a way
# around the lock. The counters under test live in SQL: one SQLite file (WAL) or one PostgreSQL database.

CALLS = 400
WORKER = "import sys; from tests.kb.test_usage import hammer; hammer(int(sys.argv[1]), sys.argv[2])"


def planned_delta(i: int, own: str) -> UsageDelta:
    """Call i of a worker: always a retrieval event; its own rubric, the shared one every other call, and every
    fourth call retrieves nothing (an event with no rubric rows to lock)."""
    if i % 4 == 3:
        return UsageDelta(retrieval_events=1)
    if i % 2 == 0:
        return UsageDelta(retrieval_events=1, retrieved={own: 1, "u-shared": 1}, used={own: 1}, met={"u-shared": 1})
    return UsageDelta(retrieval_events=1, retrieved={own: 1}, used={own: 1})


def hammer(calls: int, own: str) -> None:
    """The worker process: open the KB named by the environment, say ready, wait for `go`, count `calls` times."""
    with KnowledgeBase(load_settings()) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(calls):
            store.record_usage(planned_delta(i, own))
            if i % 10 == 9:  # workers also cache results under one key (same request, same response)
                store.cache_put("shared-key", "test", str(i))


@pytest.fixture(params=["sqlite", "postgres"])
def shared_settings(request: pytest.FixtureRequest, tmp_path: Path, milvus_server: str, milvus_prefix: str) -> Settings:
    """One KB for several processes: SQL in a shared SQLite file or a PostgreSQL database, Milvus by URI."""
    sql_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return load_settings(
        data_dir=tmp_path / "kb", sql_url=sql_url, milvus_uri=milvus_server, collection_prefix=milvus_prefix
    )


def _env(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "TELERUBRIC_DATA_DIR": str(settings.data_dir)}
    env["TELERUBRIC_MILVUS_URI"] = str(settings.milvus_uri)
    env["TELERUBRIC_COLLECTION_PREFIX"] = settings.collection_prefix
    if settings.sql_url:
        env["TELERUBRIC_SQL_URL"] = settings.sql_url
    return env


@pytest.fixture
def shared_kb(shared_settings: Settings, embedder: Embedder) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(shared_settings, embedder=embedder) as store:
        store.apply(RUBRICS)
        yield store


def test_two_processes_counting_at_once_lose_nothing(shared_kb: KnowledgeBase) -> None:
    owns = ["u-apn", "u-roaming"]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(CALLS), own],
            cwd=REPO,
            env=_env(shared_kb.settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for own in owns
    ]
    try:
        for w in workers:
            assert w.stdout is not None and w.stdout.readline().strip() == "ready", w.stderr.read() if w.stderr else ""
        for w in workers:  # both start counting together
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        for w in workers:
            _, err = w.communicate(timeout=300)
            assert w.returncode == 0, err
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    expected: dict[str, dict[str, int]] = {}
    events = 0
    for own in owns:
        for i in range(CALLS):
            delta = planned_delta(i, own)
            events += delta.retrieval_events
            for column in ("retrieved", "used", "met"):
                for rid, n in getattr(delta, column).items():
                    expected.setdefault(rid, {}).setdefault(column, 0)
                    expected[rid][column] += n
    assert shared_kb.cache_get("shared-key") == str(CALLS - 1)
    usage = shared_kb.usage_of([r.rubric_id for r in RUBRICS])
    assert {rid: u.retrieval_events for rid, u in usage.items()} == dict.fromkeys(usage, events)
    assert events == 2 * CALLS
    for rid, counts in expected.items():
        assert {c: getattr(usage[rid], c) for c in counts} == counts, rid


OPEN_WORKER = "import sys; from kb.sql import open_engine; sys.stdin.readline(); open_engine(sys.argv[1]).dispose()"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_processes_opening_a_fresh_database_at_once_all_succeed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Reward workers start together against an empty database: creating the schema must not race."""
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else f"sqlite:///{tmp_path / 'kb.sqlite'}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_WORKER, url],
            env=env,
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for p in procs:  # all imports done: release them together
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0] * 4, [err[-2000:] for _, err in results if err]
