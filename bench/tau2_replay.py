"""Benchmark: τ² telecom replay throughput (trajectories/s) on the oracle's gold set, from the task folder or, with
``--via-kb``, through a knowledge base the tasks were first ingested into (ingestion time and agreement with the
oracle's rewards reported too).

Run: ``python bench/tau2_replay.py [--tasks DIR] [--trajectories FILE] [--out JSON] [--repeat N] [--via-kb]``.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # before bench/ itself: bench/ingest.py would shadow the `ingest` package

import typer  # noqa: E402

from ingest import ingest_tau2  # noqa: E402
from judge.verifiers.tau2 import Tau2Verifier, load_tasks, read_trajectories  # noqa: E402
from kb import KnowledgeBase, load_settings  # noqa: E402

DEFAULT_DATA = Path(os.environ.get("TELERUBRIC_SHARED_DIR", REPO.parent / "shared")) / "data" / "tau2-telecom"

app = typer.Typer(add_completion=False)


@app.command()
def main(
    tasks: Annotated[Path, typer.Option(help="Folder with tasks.json, db.toml, user_db.toml.")] = DEFAULT_DATA,
    trajectories: Annotated[
        Path | None, typer.Option(help="Trajectories (default: <tasks>/oracle/gold.jsonl.gz).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the JSON.")] = REPO
    / "bench"
    / "results"
    / "tau2_replay.json",
    repeat: Annotated[int, typer.Option(help="Timed passes over the warm verifier.")] = 3,
    via_kb: Annotated[bool, typer.Option(help="Ingest the tasks into a fresh KB and verify through it.")] = False,
) -> None:
    """Time loading, parsing, a cold pass (caches empty) and warm passes of the replay verifier."""
    source = trajectories or tasks / "oracle" / "gold.jsonl.gz"
    extra: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as scratch:
        t0 = time.perf_counter()
        if via_kb:
            kb = KnowledgeBase(load_settings(data_dir=Path(scratch) / "kb"))
            summary = ingest_tau2(kb, tasks)
            verifier = Tau2Verifier.from_kb(kb)
            extra["ingest_s"] = round(summary.seconds, 1)
        else:
            verifier = Tau2Verifier(load_tasks(tasks))
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        trajs = list(read_trajectories(source))
        t_parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        results = list(verifier.verify_many(trajs))
        t_cold = time.perf_counter() - t0
        warm = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            list(verifier.verify_many(trajs))
            warm.append(time.perf_counter() - t0)
        if via_kb:
            kb.close()
    if source.name.endswith(".jsonl.gz") and source.parent.name == "oracle":
        with gzip.open(source, "rt", encoding="utf-8") as fh:
            expected = [json.loads(line)["reward"] for line in fh]
        extra["oracle_reward_agreement"] = sum(r.reward == e for r, e in zip(results, expected, strict=True))
    n = len(trajs)
    report = {
        "trajectories": n,
        "source": str(source),
        "via_kb": via_kb,
        **extra,
        "load_tasks_s": round(t_load, 3),
        "parse_per_s": round(n / t_parse, 1),
        "cold_per_s": round(n / t_cold, 1),
        "warm_per_s": round(n / min(warm), 1) if warm else None,
        "end_to_end_per_s": round(n / (t_parse + t_cold), 1),
        "mean_reward": sum(r.reward or 0.0 for r in results) / n if n else None,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    rows = [
        ("trajectories", f"{n}"),
        ("load tasks (s)" + (", incl. ingestion" if via_kb else ""), f"{t_load:.2f}"),
        *(
            [("agree with oracle reward", f"{extra['oracle_reward_agreement']}")]
            if "oracle_reward_agreement" in extra
            else []
        ),
        ("parse (traj/s)", f"{report['parse_per_s']:.0f}"),
        ("replay, cold caches (traj/s)", f"{report['cold_per_s']:.0f}"),
        ("replay, warm (traj/s)", f"{report['warm_per_s']:.0f}" if warm else "-"),
        ("parse + cold replay (traj/s)", f"{report['end_to_end_per_s']:.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    typer.echo("\n".join(f"{k:<{width}}  {v:>8}" for k, v in rows))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    app()
