"""`KnowledgeBase`: the store API. SQL first, then Milvus; one process at a time on an embedded store."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import TracebackType

from sqlmodel import Session

from kb.cache import CacheItem, cache_get, cache_get_many, cache_put, cache_put_many
from kb.curation import (
    QueryDetail,
    QueryFilter,
    QueryPage,
    QueryRow,
    RubricFacets,
    RubricFilter,
    RubricPage,
    list_queries,
    list_rubrics,
    queries_linking,
    query_detail,
    rubric_facets,
)
from kb.digest import content_digest
from kb.edits import RubricChanges, RubricEdit, refresh_index, save_rubric
from kb.embedders import Embedder, load_embedder
from kb.index_sync import DoctorReport, IndexSync, diagnose, repair
from kb.lock import ProcessLock
from kb.progress import NoProgress, Progress
from kb.records import QueryRecord, RubricRecord, RubricStatus
from kb.revisions import RevisionView, rubric_history
from kb.rubric_evidence import RubricEvidence, rubric_evidence
from kb.search import CollectionRequest, Scope, SearchEngine, SearchFilter, SearchHit, hydrate
from kb.settings import Settings
from kb.sql import kb_changes_committed_here, kb_version, open_engine
from kb.stats import KBStats, collect_stats
from kb.tau2_store import read_task as read_tau2_task
from kb.tau2_tasks import Tau2VerifiableTask
from kb.usage import RubricUsage, UsageDelta, add_usage, usage_of
from kb.usage_history import UsagePoint, snapshot_usage, usage_series
from kb.vectors import Collection, VectorIndex
from kb.views import QueryView, RubricView, find_query_ids, list_query_ids, queries_by_ids, rubrics_by_ids
from kb.writer import ApplyReport, apply_records

logger = logging.getLogger(__name__)


class KnowledgeBase:
    """Rubrics and queries in SQL, indexed in two Milvus collections. Use as a context manager."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, progress: Progress | None = None):
        self.settings = settings
        self._embedder = embedder
        self._progress = progress or NoProgress()
        self._lock: ProcessLock | None = None
        self._search_engine: SearchEngine | None = None
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.embedded_milvus:
            self._lock = ProcessLock(settings.data_dir / "kb.lock")
            self._lock.acquire()
        try:
            self.engine = open_engine(settings.resolved_sql_url)
            self.index = VectorIndex(
                settings.resolved_milvus_uri,
                settings.milvus_token.get_secret_value(),
                settings.collection_prefix,
                {Collection.QUERIES: settings.vector_index.queries, Collection.RUBRICS: settings.vector_index.rubrics},
            )
        except BaseException:
            self.close()
            raise

    @staticmethod
    def ensure_free(settings: Settings) -> None:
        """Raise `KBLocked` (naming the holder) when another process holds this embedded KB; opens nothing, so the
        caller can hand the KB to a child process."""
        if settings.embedded_milvus:
            with ProcessLock(settings.data_dir / "kb.lock"):
                pass

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    @property
    def sync(self) -> IndexSync:
        return IndexSync(self.engine, self.index, self.embedder, self._progress)

    @property
    def search_engine(self) -> SearchEngine:
        """The one search engine over this KB (exact in-process copies stay warm between calls)."""
        if self._search_engine is None:
            self._search_engine = SearchEngine(self.index, self.sync.check_embedder, self.settings.retrieval)
        return self._search_engine

    def close(self) -> None:
        if self._search_engine is not None:
            self._search_engine.close()
            self._search_engine = None
        index = getattr(self, "index", None)
        if index is not None:
            index.close()
            self.index = None  # type: ignore[assignment]
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.dispose()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # writes ---------------------------------------------------------------------------------------------------
    def apply(
        self, records: Sequence[QueryRecord | RubricRecord], *, actor: str = "ingest", dry_run: bool = False
    ) -> ApplyReport:
        """Write validated records in one SQL transaction, then index what changed (or lags) in Milvus."""
        with Session(self.engine) as session:
            report = apply_records(session, records, actor=actor)
            if dry_run:
                session.rollback()
                return report
            session.commit()
        self.sync.sync_pending()
        return report

    def index_pending(self) -> int:
        """Index rows that SQL holds but Milvus lags (e.g. after an interrupted ingestion)."""
        return self.sync.sync_pending()

    def rebuild(self) -> int:
        return self.sync.rebuild()

    # reads ----------------------------------------------------------------------------------------------------
    def version(self) -> int:
        with Session(self.engine) as session:
            return kb_version(session)

    @staticmethod
    def changes_committed_here() -> int:
        """KB-version changes committed by this process (cheap: no query). When it moves, `version()` has moved."""
        return kb_changes_committed_here()

    def stats(self) -> KBStats:
        return collect_stats(self.engine, self.index)

    def content_digest(self, *, pruning_inputs: bool = False) -> str:
        """sha256 of the rubrics, queries and links (with `pruning_inputs`, also usage and analyses): `kb.digest`."""
        return content_digest(self.engine, pruning_inputs=pruning_inputs)

    def doctor(self, *, fix: bool = False) -> DoctorReport:
        report = diagnose(self.engine, self.index)
        if fix and not report.clean:
            report = repair(self.sync, report)
        return report

    def search(
        self, text: str, *, k: int = 10, scope: Scope = Scope.BOTH, filters: SearchFilter | None = None
    ) -> list[SearchHit]:
        """Dense + BM25 search fused by RRF (the engine `retrieve()` uses, in fused order, without reranking).

        Filters get the retrieval defaults (`SearchFilter.with_defaults`); `both` merges the collections by score.
        """
        return self.search_many([text], k=k, scope=scope, filters=filters)[0]

    def search_many(
        self, texts: Sequence[str], *, k: int = 10, scope: Scope = Scope.BOTH, filters: SearchFilter | None = None
    ) -> list[list[SearchHit]]:
        """`search` for many texts in one embedding pass and one sub-request per collection."""
        if not texts:
            return []
        effective = (filters or SearchFilter()).with_defaults(self.settings.retrieval)
        vectors = self.embedder.embed(list(texts))
        requests = [CollectionRequest(c, effective, k) for c in scope.collections()]
        found = self.search_engine.search(list(texts), vectors, requests, kb_version=self.version())
        merged: list[list[SearchHit]] = [[] for _ in texts]
        for collection, per_text in found.items():
            for i, candidates in enumerate(per_text):
                merged[i].extend(hydrate(self.engine, collection, candidates))
        return [sorted(hits, key=lambda h: (-h.score, h.id))[:k] for hits in merged]

    def rubrics(self, ids: Sequence[str]) -> dict[str, RubricView]:
        """Rubrics by id (missing ids are absent from the result)."""
        return rubrics_by_ids(self.engine, ids)

    def find_queries(self, *, dataset_id: str | None = None, text: str | None = None) -> dict[str, QueryView]:
        """Queries with this dataset id (task id, question number) and/or exactly this text."""
        return queries_by_ids(self.engine, find_query_ids(self.engine, dataset_id=dataset_id, text=text))

    def query_ids(self, *, source: str | None = None, limit: int = 100) -> list[str]:
        """Up to `limit` query ids, optionally of one source (tau2, teleqna, expert, …), in id order."""
        return list_query_ids(self.engine, source=source, limit=limit)

    def queries(self, ids: Sequence[str]) -> dict[str, QueryView]:
        """Queries by id, each with its linked rubric ids in order."""
        return queries_by_ids(self.engine, ids)

    def tau2_task(self, task_id: str) -> Tau2VerifiableTask | None:
        """The τ² task with this upstream id, as the replay verifier needs it (initial state, criteria from the
        linked rubrics' checks in link order, base DBs); None when no query of the KB holds that task.

        Raises:
            ValueError: the task's linked checks do not make criteria (e.g. its reward-basis rubric was unlinked).
        """
        return read_tau2_task(self.engine, task_id=task_id)

    def tau2_task_of_query(self, query_id: str) -> Tau2VerifiableTask | None:
        """`tau2_task` by the KB query id; None when that query holds no τ² task."""
        return read_tau2_task(self.engine, query_id=query_id)

    # usage statistics and cache ---------------------------------------------------------------------------------
    def record_usage(self, delta: UsageDelta) -> None:
        """Add retrieval / use / verdict counts in one batched write."""
        add_usage(self.engine, delta)

    def usage_of(self, ids: Sequence[str]) -> Mapping[str, RubricUsage]:
        return usage_of(self.engine, ids)

    def evidence_of(self, ids: Sequence[str]) -> Mapping[str, RubricEvidence]:
        """The last recorded analysis on labelled pairs of each rubric in `ids` that has one."""
        return rubric_evidence(self.engine, ids)

    def cache_get(self, key: str) -> str | None:
        return cache_get(self.engine, key)

    def cache_put(self, key: str, namespace: str, value: str) -> None:
        cache_put(self.engine, key, namespace, value, self.version())

    def cache_get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """`cache_get` for many keys in one read; keys without an entry are absent from the result."""
        return cache_get_many(self.engine, keys)

    def cache_put_many(self, items: Sequence[CacheItem]) -> None:
        """`cache_put` for many `(key, namespace, value)` items in one transaction (a repeated key keeps its last)."""
        cache_put_many(self.engine, items)

    # curation: listing, history and edits by hand (the UI) ---------------------------------------------------------
    def list_rubrics(self, f: RubricFilter | None = None) -> RubricPage:
        """One page of rubrics, filtered, sorted and paged in SQL, with the total number of matches."""
        return list_rubrics(self.engine, f or RubricFilter())

    def rubric_facets(self) -> RubricFacets:
        """The values each listing filter can take (kinds, statuses, sources, importances, themes, tags), counted."""
        return rubric_facets(self.engine)

    def list_queries(self, f: QueryFilter | None = None) -> QueryPage:
        return list_queries(self.engine, f or QueryFilter())

    def query_detail(self, query_id: str) -> QueryDetail | None:
        """A query with its linked rubrics in order; None when there is no such query."""
        return query_detail(self.engine, query_id)

    def queries_linking(self, rubric_id: str, *, limit: int = 100) -> list[QueryRow]:
        return queries_linking(self.engine, rubric_id, limit=limit)

    def rubric_history(self, rubric_id: str) -> list[RevisionView]:
        """Every revision of the rubric, oldest first; `RevisionView.diff()` renders one as a unified diff."""
        return rubric_history(self.engine, rubric_id)

    def update_rubric(
        self, rubric_id: str, changes: RubricChanges, *, expected_version: int, actor: str, reason: str
    ) -> RubricEdit:
        """Save an edit made on `expected_version`: a new version and a Revision naming `actor` and `reason`, then
        the row re-indexed at once (or left queued, as `RubricEdit.index` says).

        Raises:
            EditConflict: the rubric is no longer at `expected_version` (names the current one and its editor);
                nothing was written.
            StatusTransitionError, RubricNotFound, InputRejected: see `kb.edits.save_rubric`.
        """
        edit, reindex = save_rubric(
            self.engine, rubric_id, changes, expected_version=expected_version, actor=actor, reason=reason
        )
        if not reindex:
            return edit
        state, note = refresh_index(self.sync, rubric_id)
        return edit.model_copy(update={"index": state, "index_note": note})

    def set_status(
        self, rubric_id: str, status: RubricStatus, *, expected_version: int, actor: str, reason: str
    ) -> RubricEdit:
        """Approve, retire or return a rubric to draft (`kb.edits.TRANSITIONS`), with a reason."""
        changes = RubricChanges(status=status)
        return self.update_rubric(rubric_id, changes, expected_version=expected_version, actor=actor, reason=reason)

    def snapshot_usage(self, *, min_interval_s: float = 0.0) -> int | None:
        """Append the usage counters that changed since the last snapshot (the usage-over-time series)."""
        return snapshot_usage(self.engine, min_interval_s=min_interval_s)

    def usage_series(self, rubric_id: str) -> list[UsagePoint]:
        return usage_series(self.engine, rubric_id)
