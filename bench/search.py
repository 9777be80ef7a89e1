"""Search latency at 10k and 100k rubrics of the one search engine: `KnowledgeBase.search` (fused order),
`Retriever.search` (what `telerubric search` calls) and `Retriever.retrieve` (in-process copy and Milvus-only),
against numpy brute force over the same vectors and the Milvus hybrid request kept as a test oracle.

Rows are synthetic (generated texts, unit vectors scattered around real embeddings of a few anchor texts) and go
straight into SQL (bulk insert) and Milvus (`VectorIndex.upsert`); only the questions are embedded for real.

    python -m bench.search [--sizes 10000 100000] [--repeats 3] [--out bench/results/search.json]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session

from bench.report import write_report
from kb import KnowledgeBase, Scope, load_settings
from kb.tables import Query, QueryRubricLink, Rubric, UsageCounters
from kb.vectors import Collection, IndexRow
from retrieval import Retriever

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "I can't send picture messages from my phone",
    "My mobile data is very slow abroad",
    "No signal since this morning, calls fail",
    "Why was I charged twice on my bill?",
    "How do I enable roaming before my trip to France?",
    "My phone says SIM not provisioned",
    "Data stopped working after I changed the APN",
    "Wi-Fi calling drops every call",
    "I want to refuel 2 GB of data on my line",
    "My line was suspended for an unpaid bill",
    "The speed test shows poor internet speed",
    "MMS fails but SMS works on my Android phone",
    "Airplane mode seems stuck and I have no service",
    "Can you resume my suspended line?",
    "I need a payment request for my overdue bill",
    "VPN makes my mobile data slow",
    "Data saver mode is on and apps do not load",
    "My network mode is 2G only",
    "The messaging app has no storage permission",
    "I was told to reseat my SIM card",
]
ANCHORS = QUESTIONS + [
    "The agent checks the APN settings",
    "The agent verifies the customer's identity",
    "The agent explains roaming charges",
    "The agent transfers the customer to a human agent",
]
WORDS = (
    "agent user phone line data roaming apn mms sms sim bill payment speed signal network mode wifi calling "
    "airplane vpn permission storage refuel plan customer account suspend resume reboot reset toggle check "
    "verify explain transfer overdue charge abroad device settings messaging app status test"
).split()


def build(kb: KnowledgeBase, n_rubrics: int, seed: int) -> dict[Collection, np.ndarray]:
    """Write `n_rubrics` standalone rubrics and n/10 queries (3 links each) to SQL and Milvus; return the vectors."""
    rng = np.random.default_rng(seed)
    kb.sync.ensure_collections()
    anchors = kb.embedder.embed(ANCHORS)
    n_queries = max(1, n_rubrics // 10)
    vectors: dict[Collection, np.ndarray] = {}
    for collection, n in ((Collection.RUBRICS, n_rubrics), (Collection.QUERIES, n_queries)):
        base = anchors[rng.integers(0, len(anchors), n)]
        noisy = base + rng.normal(scale=0.05, size=base.shape).astype(np.float32)
        vectors[collection] = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    vocab = np.asarray(WORDS + [f"t{i}" for i in range(5000)])  # Zipf-like: telecom words at the head
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    texts = {
        c: [" ".join(words) for words in rng.choice(vocab, (len(v), 12), p=weights / weights.sum())]
        for c, v in vectors.items()
    }
    now = time.time()
    statuses = np.where(rng.random(n_rubrics) < 0.05, "retired", "approved")
    rubric_rows = [
        {
            "id": f"r{i}",
            "text": "The agent " + t,
            "kind": ("principle", "tool_call", "hard_rule")[i % 3],
            "importance": "important",
            "weight": 0.6,
            "tips": [],
            "tags": [WORDS[i % len(WORDS)]],
            "check": None,
            "status": str(statuses[i]),
            "source": "bench",
            "standalone": True,
            "provenance": {},
            "content_hash": "h",
            "index_hash": "h",
            "indexed_hash": "h",
        }
        for i, t in enumerate(texts[Collection.RUBRICS])
    ]
    query_rows = [
        {
            "id": f"q{i}",
            "text": t,
            "tags": [WORDS[i % len(WORDS)]],
            "source": "bench",
            "provenance": {},
            "content_hash": "h",
            "index_hash": "h",
            "indexed_hash": "h",
        }
        for i, t in enumerate(texts[Collection.QUERIES])
    ]
    links = [
        {"query_id": f"q{i}", "rubric_id": f"r{int(r)}", "position": p}
        for i in range(n_queries)
        for p, r in enumerate(rng.choice(n_rubrics, 3, replace=False))
    ]
    with Session(kb.engine) as session:
        session.execute(insert(Rubric), rubric_rows)
        session.execute(insert(UsageCounters), [{"rubric_id": r["id"]} for r in rubric_rows])
        session.execute(insert(Query), query_rows)
        session.execute(insert(QueryRubricLink), links)
        session.commit()
    for collection, rows in ((Collection.RUBRICS, rubric_rows), (Collection.QUERIES, query_rows)):
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            kb.index.upsert(
                collection,
                [
                    IndexRow(
                        id=r["id"],
                        text=r["text"],
                        index_hash="h",
                        tags=tuple(r["tags"]),
                        source="bench",
                        kind=r.get("kind", ""),
                        status=r.get("status", ""),
                        standalone=True,
                    )
                    for r in chunk
                ],
                vectors[collection][start : start + 5000],
            )
        kb.index.flush(collection)  # as a bulk sync does: sealed segments are searched through their indexes
    logging.getLogger(__name__).info("built %d rubrics, %d queries in %.0f s", n_rubrics, n_queries, time.time() - now)
    return vectors


def timed(fn: Callable[[str], object], repeats: int) -> list[float]:
    fn(QUESTIONS[0])  # warm-up (loads, first-request setup)
    out = []
    for _ in range(repeats):
        for q in QUESTIONS:
            started = time.perf_counter()
            fn(q)
            out.append(1000 * (time.perf_counter() - started))
    return out


def brute_force(matrices: list[np.ndarray], vector: np.ndarray, k: int) -> list[np.ndarray]:
    """Exact top-k per collection: one matrix-vector product and a partial sort each."""
    out = []
    for m in matrices:
        sims = m @ vector
        top = np.argpartition(-sims, k)[:k]
        out.append(top[np.argsort(-sims[top])])
    return out


def run_size(n: int, repeats: int, seed: int) -> tuple[list[dict[str, object]], dict[str, float]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "kb", retrieval={"record_usage": False})
        with KnowledgeBase(settings) as kb:
            started = time.perf_counter()
            vectors = build(kb, n, seed)
            setup = {"build_s": time.perf_counter() - started}
            embedder = kb.embedder
            matrices = [vectors[Collection.QUERIES], vectors[Collection.RUBRICS]]
            k = settings.retrieval.candidates
            embedded = {q: embedder.embed([q])[0] for q in QUESTIONS}
            cases: dict[str, Callable[[str], object]] = {
                "embed question": lambda q: embedder.embed([q]),
                "numpy brute force (vector given)": lambda q: brute_force(matrices, embedded[q], k),
                "numpy brute force + embed": lambda q: brute_force(matrices, embedder.embed([q])[0], k),
                "KnowledgeBase.search (one engine, fused, both)": lambda q: kb.search(q, k=10, scope=Scope.BOTH),
                "Milvus hybrid_search oracle (both)": lambda q: [
                    kb.index.hybrid_search(c, embedder.embed([q]), [q], limit=10) for c in Collection
                ],
            }
            exact = Retriever(kb)
            remote = Retriever(
                kb,
                settings=settings.model_copy(
                    update={"retrieval": settings.retrieval.model_copy(update={"exact_max_rows": 0})}
                ),
            )
            started = time.perf_counter()
            exact.retrieve(QUESTIONS[0])
            setup["exact_copy_load_s"] = time.perf_counter() - started
            cases["Retriever.search = `telerubric search` (both)"] = exact.search
            cases["retrieve() in-process copy (dense + BM25)"] = exact.retrieve
            cases["retrieve() Milvus (HNSW + BM25 requests)"] = remote.retrieve
            results = {name: timed(fn, repeats) for name, fn in cases.items()}
            batched = []
            for _ in range(repeats):
                started = time.perf_counter()
                exact.retrieve_many(QUESTIONS)
                batched.append(1000 * (time.perf_counter() - started) / len(QUESTIONS))
            results["retrieve_many(20), per question, in-process copy"] = batched
            exact.close()
            remote.close()
    bf = statistics.median(results["numpy brute force (vector given)"])
    bf_embed = statistics.median(results["numpy brute force + embed"])
    for name, samples in results.items():
        p50 = statistics.median(samples)
        p95 = float(np.percentile(samples, 95))
        rows.append(
            {
                "rubrics": n,
                "case": name,
                "p50_ms": p50,
                "p95_ms": p95,
                "x_brute_force": p50 / bf,
                "x_brute_force+embed": p50 / bf_embed,
            }
        )
    return rows, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3, help="Passes over the 20 questions per case.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "search.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rows, setups = [], {}
    for n in args.sizes:
        size_rows, setup = run_size(n, args.repeats, args.seed)
        rows += size_rows
        setups[str(n)] = setup
    write_report(
        "search latency (ms; medians over questions x repeats)",
        rows,
        args.out,
        extra={
            "setup": setups,
            "queries_per_size": "rubrics / 10",
            "candidates": 30,
            "goal": "telerubric search's library call (Retriever.search) and KnowledgeBase.search p50 <= 2x numpy "
            "brute force + embedding at 100k",
        },
    )


if __name__ == "__main__":
    main()
