"""Benchmark: τ² telecom replay throughput (trajectories/s) on the oracle's gold set.

Run: ``python bench/tau2_replay.py [--tasks DIR] [--trajectories FILE] [--out JSON] [--repeat N]``.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Annotated

import typer

from judge.verifiers.tau2 import Tau2Verifier, load_tasks, read_trajectories

REPO = Path(__file__).resolve().parents[1]
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
) -> None:
    """Time loading, parsing, a cold pass (caches empty) and warm passes of the replay verifier."""
    source = trajectories or tasks / "oracle" / "gold.jsonl.gz"
    t0 = time.perf_counter()
    task_set = load_tasks(tasks)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    trajs = list(read_trajectories(source))
    t_parse = time.perf_counter() - t0
    verifier = Tau2Verifier(task_set)
    t0 = time.perf_counter()
    results = list(verifier.verify_many(trajs))
    t_cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        list(verifier.verify_many(trajs))
        warm.append(time.perf_counter() - t0)
    n = len(trajs)
    report = {
        "trajectories": n,
        "source": str(source),
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
        ("load tasks (s)", f"{t_load:.2f}"),
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
