"""Raw embedder throughput vs end-to-end expert-file ingestion on generated rubrics (goal: ratio ≥ 0.8)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import write_report  # noqa: E402
from ingest.expert.job import ingest_expert_files  # noqa: E402
from kb.embedders import load_embedder  # noqa: E402
from kb.settings import EmbedderSettings, load_settings  # noqa: E402
from kb.store import KnowledgeBase  # noqa: E402

TOPICS = [
    "APN settings",
    "MMS over Wi-Fi calling",
    "roaming on the line",
    "data refuel limit",
    "airplane mode",
    "SIM card seating",
    "network mode preference",
    "VPN slowing data",
    "overdue bill payment",
    "line suspension",
]


def generate(path: Path, n: int) -> list[str]:
    texts = []
    with path.open("w") as fh:
        for i in range(n):
            text = (
                f"The agent checks the {TOPICS[i % len(TOPICS)]} for case {i} and tells the user step "
                f"{i % 13 + 1} before moving on to the next check number {i // 7}."
            )
            texts.append(text)
            fh.write(json.dumps({"id": f"bench-{i}", "text": text, "kind": "principle", "tags": ["bench"]}) + "\n")
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000, help="Generated rubrics (≥ 5,000 for the issue's goal).")
    parser.add_argument("--out", type=Path, default=Path("bench/results/ingest.json"))
    args = parser.parse_args()
    embedder = load_embedder(EmbedderSettings())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rubrics.jsonl"
        texts = generate(path, args.n)
        embedder.embed(texts[:64])  # warm-up
        started = time.perf_counter()
        embedder.embed(texts)
        raw_s = time.perf_counter() - started
        with KnowledgeBase(load_settings(data_dir=Path(tmp) / "kb"), embedder=embedder) as kb:
            started = time.perf_counter()
            summary = ingest_expert_files(kb, [path])
            ingest_s = time.perf_counter() - started
            assert summary.rubrics.added == args.n
    raw_rate, ingest_rate = args.n / raw_s, args.n / ingest_s
    rows = [
        {"stage": "raw embedder", "texts": args.n, "seconds": raw_s, "texts_per_s": raw_rate},
        {
            "stage": "ingest expert (validate+SQL+embed+Milvus)",
            "texts": args.n,
            "seconds": ingest_s,
            "texts_per_s": ingest_rate,
        },
    ]
    write_report(
        "ingest throughput",
        rows,
        args.out,
        {"ratio": ingest_rate / raw_rate, "goal_ratio": 0.8, "embedder": embedder.model_id},
    )
    print(f"ratio ingest/raw = {ingest_rate / raw_rate:.3f} (goal ≥ 0.8)")


if __name__ == "__main__":
    main()
