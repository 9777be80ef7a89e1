"""Bench: full ingestion time of τ² telecom, TeleQnA and TeleMath, and its throughput relative to the raw embedder.

ratio = (texts/s of end-to-end ingestion) ÷ (texts/s of `embedder.embed` alone on the same texts, same batch size);
goal ≥ 0.8. The embedder is loaded before timing, so model start-up counts in neither.

    PYTHONPATH=. .venv/bin/python bench/ingest_datasets.py               # full load (~12.3k queries, ~14k rubrics)
    PYTHONPATH=. .venv/bin/python bench/ingest_datasets.py --sample 300  # a seeded, balanced sample of each source
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/ itself: bench/ingest.py would shadow the `ingest` package

from sqlmodel import Session, select  # noqa: E402

from ingest.tau2 import ingest_tau2  # noqa: E402
from ingest.telemath import ingest_telemath  # noqa: E402
from ingest.teleqna import ingest_teleqna, query_id  # noqa: E402
from kb.index_sync import BATCH  # noqa: E402
from kb.search.filters import Scope, SearchFilter  # noqa: E402
from kb.settings import load_settings  # noqa: E402
from kb.store import KnowledgeBase  # noqa: E402
from kb.tables import Query, Rubric  # noqa: E402

SHARED = Path(os.environ.get("TELERUBRIC_SHARED_DIR", REPO.parent / "shared"))
PARAPHRASES = REPO / "tests" / "ingest" / "fixtures" / "qna_paraphrases.jsonl"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tau2", type=Path, default=SHARED / "data" / "tau2-telecom")
    parser.add_argument("--teleqna", type=Path, default=SHARED / "data" / "teleqna" / "TeleQnA.zip")
    parser.add_argument(
        "--telemath", type=Path, default=REPO / "tests" / "ingest" / "fixtures" / "telemath_sample.jsonl"
    )
    parser.add_argument("--sample", type=int, default=None, help="Seeded sample of N items per source (default: all).")
    parser.add_argument("--data-dir", type=Path, default=None, help="KB folder (default: a fresh temporary one).")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "ingest_datasets.json")
    return parser.parse_args()


def changed(summary) -> int:  # noqa: ANN001 - IngestSummary
    return sum(c.added + c.updated for c in (summary.rubrics, summary.queries))


def run(args: argparse.Namespace, data_dir: Path) -> dict:
    settings = load_settings(data_dir=data_dir)
    with KnowledgeBase(settings) as kb:
        kb.embedder.embed(["warm-up"])
        jobs = [
            ("tau2", lambda: ingest_tau2(kb, args.tau2, sample=args.sample)),
            ("teleqna", lambda: ingest_teleqna(kb, args.teleqna, sample=args.sample)),
            ("telemath", lambda: ingest_telemath(kb, args.telemath, sample=args.sample)),
        ]
        sources = []
        for name, job in jobs:
            started = time.perf_counter()
            summary = job()
            seconds = time.perf_counter() - started
            sources.append(
                {
                    "source": name,
                    "queries": summary.queries.added + summary.queries.updated,
                    "rubrics": summary.rubrics.added + summary.rubrics.updated,
                    "texts": changed(summary),
                    "seconds": round(seconds, 2),
                    "texts_per_s": round(changed(summary) / seconds, 1),
                }
            )
        with Session(kb.engine) as session:  # the same texts, in the order the index sync embeds them
            texts = list(session.exec(select(Query.text)).all()) + list(session.exec(select(Rubric.text)).all())
        started = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            kb.embedder.embed(texts[i : i + BATCH])
        embed_seconds = time.perf_counter() - started
        doctor_clean = kb.doctor().clean
        paraphrases = paraphrase_hits(kb)
        stats = kb.stats()
    total_texts = sum(s["texts"] for s in sources)
    total_seconds = sum(s["seconds"] for s in sources)
    ingest_rate = total_texts / total_seconds
    embed_rate = len(texts) / embed_seconds
    return {
        "sample": args.sample,
        "sources": sources,
        "total": {"texts": total_texts, "seconds": round(total_seconds, 2), "texts_per_s": round(ingest_rate, 1)},
        "embedder_only": {
            "texts": len(texts),
            "seconds": round(embed_seconds, 2),
            "texts_per_s": round(embed_rate, 1),
            "model": settings.embedder.backend.value,
            "batch": BATCH,
        },
        "throughput_ratio": round(ingest_rate / embed_rate, 3),
        "goal": 0.8,
        "doctor_clean": doctor_clean,
        "teleqna_paraphrases": paraphrases,
        "queries_by_source": stats.queries_by_source,
        "rubrics_by_kind": stats.rubrics_by_kind,
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
        },
    }


def paraphrase_hits(kb: KnowledgeBase) -> dict:
    """Hit@1 / hit@3 of the 50 hand-written TeleQnA paraphrases (targets missing from a sample count as misses)."""
    rows = [json.loads(line) for line in PARAPHRASES.read_text().splitlines()]
    found = kb.search_many(
        [r["paraphrase"] for r in rows], k=3, scope=Scope.QUERIES, filters=SearchFilter(sources=["teleqna"])
    )
    ranks = [
        [h.id for h in hits].index(query_id(r["question_id"]))
        if query_id(r["question_id"]) in [h.id for h in hits]
        else None
        for r, hits in zip(rows, found, strict=True)
    ]
    return {
        "n": len(rows),
        "hit_at_1": sum(r == 0 for r in ranks) / len(rows),
        "hit_at_3": sum(r is not None for r in ranks) / len(rows),
    }


def print_table(result: dict) -> None:
    print(f"{'source':10s} {'queries':>8s} {'rubrics':>8s} {'texts':>8s} {'seconds':>9s} {'texts/s':>8s}")
    for s in result["sources"]:
        print(
            f"{s['source']:10s} {s['queries']:8d} {s['rubrics']:8d} {s['texts']:8d} {s['seconds']:9.1f} "
            f"{s['texts_per_s']:8.1f}"
        )
    t, e = result["total"], result["embedder_only"]
    print(f"{'total':10s} {'':8s} {'':8s} {t['texts']:8d} {t['seconds']:9.1f} {t['texts_per_s']:8.1f}")
    print(f"{'embed only':10s} {'':8s} {'':8s} {e['texts']:8d} {e['seconds']:9.1f} {e['texts_per_s']:8.1f}")
    doctor = "clean" if result["doctor_clean"] else "DRIFT"
    print(
        f"throughput ratio {result['throughput_ratio']:.3f} (goal ≥ {result['goal']}); doctor {doctor}; "
        f"load avg {result['machine']['load_avg_1m_at_end']}"
    )
    p = result["teleqna_paraphrases"]
    print(f"TeleQnA paraphrases: hit@1 {p['hit_at_1']:.2f}, hit@3 {p['hit_at_3']:.2f} (n={p['n']})")


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    args = parse_args()
    if args.data_dir is not None:
        result = run(args, args.data_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="telerubric-bench-") as tmp:
            result = run(args, Path(tmp))
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
