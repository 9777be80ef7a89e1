"""Leave-one-out retrieval quality on τ²-bench telecom.

For each task of a split (default `test`), with that task's query excluded (`SearchFilter.exclude_ids`, no
re-ingestion), the share of its gold tool-call and env-assertion rubrics found among the rubrics linked to its
top-k retrieved query neighbours. Usage statistics are not recorded.

    python -m bench.retrieval_quality [--data-dir KB] [--tau2 DIR] [--split test] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench.report import write_report
from ingest.tau2 import ingest_tau2, query_id
from kb.search.filters import SearchFilter
from kb.settings import load_settings
from kb.store import KnowledgeBase
from kb.views import RubricView
from retrieval import MMRReranker, Retriever

REPO = Path(__file__).resolve().parents[1]


def is_gold(rubric: RubricView) -> bool:
    """Gold = a tool call or an end-state assertion (the reward-basis rubric is not retrieved knowledge)."""
    return rubric.check is not None and rubric.check.type in {"tool_call", "env_assertion"}


def evaluate(kb: KnowledgeBase, task_ids: list[str], *, k: int, mmr_lambda: float) -> dict[str, object]:
    settings = kb.settings.model_copy(update={"retrieval": kb.settings.retrieval.model_copy(update={"k_queries": k})})
    queries = kb.queries([query_id(t) for t in task_ids])
    missing = [t for t in task_ids if query_id(t) not in queries]
    if missing:
        raise SystemExit(f"{len(missing)} tasks of the split are not in the KB (e.g. {missing[0]}); ingest τ² first")
    rubrics = kb.rubrics([r for q in queries.values() for r in q.rubric_ids])
    qids = [query_id(t) for t in task_ids]
    with Retriever(kb, settings=settings, reranker=MMRReranker(mmr_lambda), record_usage=False) as retriever:
        started = time.perf_counter()
        results = retriever.retrieve_many(
            [queries[q].text for q in qids], filters=[SearchFilter(exclude_ids=[q]) for q in qids]
        )
        seconds = time.perf_counter() - started
    recalls, per_task = [], []
    for task, qid, neighbours in zip(task_ids, qids, results, strict=True):
        gold = {r for r in queries[qid].rubric_ids if r in rubrics and is_gold(rubrics[r])}
        found = {r.id for n in neighbours.queries for r in n.rubrics}
        assert qid not in {n.query.id for n in neighbours.queries}, "leave-out filter leaked the task itself"
        recall = len(gold & found) / len(gold) if gold else 1.0
        recalls.append(recall)
        per_task.append({"task": task, "gold": len(gold), "found": len(gold & found), "recall": recall})
    return {
        "recall": statistics.fmean(recalls),
        "min": min(recalls),
        "perfect": sum(r == 1.0 for r in recalls) / len(recalls),
        "seconds_per_task": seconds / len(task_ids),
        "tasks": per_task,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tau2", type=Path, default=REPO.parent / "shared" / "data" / "tau2-telecom")
    parser.add_argument("--data-dir", type=Path, default=None, help="An existing KB with τ² ingested.")
    parser.add_argument("--split", default="test")
    parser.add_argument("--k", type=int, default=5, help="Query neighbours whose rubrics count.")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "retrieval_quality.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    task_ids = json.loads((args.tau2 / "split_tasks.json").read_text())[args.split]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "kb"
        with KnowledgeBase(load_settings(data_dir=data_dir)) as kb:
            ingest_seconds = None
            if args.data_dir is None:
                started = time.perf_counter()
                ingest_tau2(kb, args.tau2)
                ingest_seconds = time.perf_counter() - started
            stats = kb.stats()
            variants = {
                f"mmr (default, λ={kb.settings.retrieval.mmr_lambda:.2f})": kb.settings.retrieval.mmr_lambda,
                "relevance only (λ=1)": 1.0,
            }
            rows, detail = [], {}
            for name, lam in variants.items():
                result = evaluate(kb, task_ids, k=args.k, mmr_lambda=lam)
                rows.append(
                    {
                        "reranker": name,
                        "split": args.split,
                        "tasks": len(task_ids),
                        "k": args.k,
                        "mean_recall": result["recall"],
                        "min_recall": result["min"],
                        "share_perfect": result["perfect"],
                        "ms_per_task": 1000 * result["seconds_per_task"],
                    }
                )
                detail[name] = result["tasks"]
    write_report(
        "leave-one-out retrieval quality, τ² telecom",
        rows,
        args.out,
        extra={
            "goal_mean_recall": 0.9,
            "kb_queries": stats.collections["query_rubrics"].sql_rows,
            "kb_rubrics": stats.collections["rubrics"].sql_rows,
            "ingest_seconds": ingest_seconds,
            "per_task": detail,
        },
    )


if __name__ == "__main__":
    main()
