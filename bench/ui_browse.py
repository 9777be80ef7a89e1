"""Browse / filter latency of the page's listing call (`KnowledgeBase.list_rubrics`, plus the filter facets and the
query list) at 20,000+ rubrics: what one page of the browse table costs.

Rows are synthetic and go straight into SQL by bulk insert (as bench/search.py builds its KB): kinds, statuses,
sources, importances, 1–3 of 40 tags, 30 themes, usage counters and update times spread over a year. The listing
reads SQL only, so nothing is indexed in Milvus.

    python -m bench.ui_browse [--sizes 20000 100000] [--repeats 20] [--sql-url URL] [--out bench/results/ui_browse.json]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session

from bench.report import write_report
from kb import KnowledgeBase, QueryFilter, RubricFilter, RubricSort, load_settings
from kb.tables import Query, QueryRubricLink, Rubric, UsageCounters

REPO = Path(__file__).resolve().parents[1]
KINDS = ("principle", "hard_rule", "tool_call")
STATUSES = ("approved", "draft", "retired")
IMPORTANCES = ("essential", "important", "optional", "pitfall")
SOURCES = ("expert", "tau2", "teleqna", "telemath", "policy")
TAGS = [f"tag{i}" for i in range(34)] + ["mms", "mobile_data", "roaming", "billing", "service", "3gpp"]
THEMES = [f"Theme {i}" for i in range(30)]
WORDS = "agent user phone line data roaming apn mms sms sim bill payment speed signal network airplane refuel".split()


def build(kb: KnowledgeBase, n: int, seed: int) -> None:
    """Bulk-insert `n` rubrics with usage counters and n/10 queries (3 links each)."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    tag_p = 1.0 / np.arange(1, len(TAGS) + 1)
    tag_p /= tag_p.sum()
    rubrics, counters = [], []
    for i in range(n):
        tags = list(dict.fromkeys(rng.choice(TAGS, int(rng.integers(1, 4)), p=tag_p).tolist()))
        updated = now - timedelta(minutes=int(rng.integers(0, 525_600)))
        rubrics.append(
            {
                "id": f"r{i:06d}",
                "text": "The agent " + " ".join(rng.choice(WORDS, 12).tolist()) + f" (case {i}).",
                "kind": KINDS[int(rng.integers(0, 3))],
                "importance": IMPORTANCES[int(rng.integers(0, 4))],
                "weight": 0.6,
                "theme": THEMES[int(rng.integers(0, len(THEMES)))] if rng.random() < 0.7 else None,
                "tips": [],
                "tags": tags,
                "check": None,
                "status": STATUSES[int(rng.choice(3, p=[0.6, 0.35, 0.05]))],
                "source": SOURCES[int(rng.integers(0, len(SOURCES)))],
                "standalone": bool(rng.random() < 0.5),
                "provenance": {"file": "bench.jsonl", "line": i + 1},
                "content_hash": "h",
                "index_hash": "h",
                "indexed_hash": "h",
                "created_at": updated - timedelta(days=1),
                "updated_at": updated,
                "created_by": "bench",
                "updated_by": "bench",
            }
        )
        retrieved = int(rng.poisson(20))
        met, not_met = int(rng.binomial(retrieved, 0.5)), int(rng.binomial(retrieved, 0.2))
        counters.append({"rubric_id": f"r{i:06d}", "retrieved": retrieved, "used": retrieved // 2, "met": met,
                         "not_met": not_met, "not_applicable": int(rng.poisson(1)), "updated_at": updated})  # fmt: skip
    n_queries = max(1, n // 10)
    queries = [
        {"id": f"q{i:06d}", "text": f"Customer question {i} about " + " ".join(rng.choice(WORDS, 6).tolist()),
         "tags": [TAGS[i % len(TAGS)]], "source": "bench", "provenance": {}, "content_hash": "h",
         "index_hash": "h", "indexed_hash": "h"}
        for i in range(n_queries)
    ]  # fmt: skip
    links = [
        {"query_id": f"q{i:06d}", "rubric_id": f"r{int(r):06d}", "position": p}
        for i in range(n_queries)
        for p, r in enumerate(rng.choice(n, 3, replace=False))
    ]
    with Session(kb.engine) as session:
        for start in range(0, n, 5000):
            session.execute(insert(Rubric), rubrics[start : start + 5000])
            session.execute(insert(UsageCounters), counters[start : start + 5000])
        session.execute(insert(Query), queries)
        session.execute(insert(QueryRubricLink), links)
        session.commit()


def cases(n: int) -> dict[str, Callable[[KnowledgeBase], Any]]:
    """What the browse view asks for, one call each (page size 50)."""
    deep = max(0, n - 50)
    return {
        "first page, recently updated": lambda kb: kb.list_rubrics(RubricFilter()),
        "kind + status": lambda kb: kb.list_rubrics(RubricFilter(kinds=["hard_rule"], statuses=["approved"])),
        "source + importance": lambda kb: kb.list_rubrics(RubricFilter(sources=["tau2"], importances=["essential"])),
        "tags any of 2": lambda kb: kb.list_rubrics(RubricFilter(tags_any=["mms", "roaming"])),
        "theme": lambda kb: kb.list_rubrics(RubricFilter(themes=["Theme 7"])),
        "text contains": lambda kb: kb.list_rubrics(RubricFilter(text_contains="refuel apn")),
        "sort most retrieved": lambda kb: kb.list_rubrics(RubricFilter(sort=RubricSort.RETRIEVED)),
        "sort verdicts + 3 filters": lambda kb: kb.list_rubrics(
            RubricFilter(sort=RubricSort.VERDICTS, kinds=["principle"], statuses=["approved"], tags_any=["mms"])
        ),
        "last page (offset n-50)": lambda kb: kb.list_rubrics(RubricFilter(offset=deep)),
        "facets (filter choices)": lambda kb: kb.rubric_facets(),
        "queries, first page": lambda kb: kb.list_queries(QueryFilter()),
        "one query with its rubrics": lambda kb: kb.query_detail("q000007"),
    }


def run(n: int, repeats: int, seed: int, sql_url: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "kb", sql_url=sql_url)
        with KnowledgeBase(settings) as kb:
            started = time.perf_counter()
            build(kb, n, seed)
            built_s = time.perf_counter() - started
            for name, call in cases(n).items():
                result = call(kb)  # warm: the first call pays for statement compilation
                times = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    result = call(kb)
                    times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                rows.append(
                    {
                        "rubrics": n,
                        "sql": kb.engine.dialect.name,
                        "case": name,
                        "matches": getattr(result, "total", None) if result is not None else None,
                        "p50_ms": statistics.median(times),
                        "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
                        "max_ms": times[-1],
                    }
                )
            logging.getLogger(__name__).info("built %d rubrics in %.1fs", n, built_s)
            rows.append(
                {"rubrics": n, "sql": kb.engine.dialect.name, "case": "(bulk insert)", "p50_ms": built_s * 1000}
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    parser.add_argument("--repeats", type=int, default=20, help="Timed calls per case (after one warm-up call).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sql-url", default=None, help="An empty database to fill (default: SQLite in a temp dir).")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ui_browse.json")
    args = parser.parse_args()
    rows = [row for n in args.sizes for row in run(n, args.repeats, args.seed, args.sql_url)]
    write_report("ui browse: listing latency (ms) per call, page size 50", rows, args.out,
                 {"repeats": args.repeats, "seed": args.seed})  # fmt: skip


if __name__ == "__main__":
    main()
