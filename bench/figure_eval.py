"""The README's evaluation figure: accuracy (chosen preferred) of each judge on each pair set, from the JSON the
evaluation benches wrote. Ties and errors count as wrong, as in every report.

    .venv/bin/python -m bench.figure_eval \\
        --run "τ² test (160 pairs)=rubric reward, verifiers=bench/results/eval_tau2/report.json#0" \\
        --run "τ² full (13,215 pairs)=rubric reward, verifiers=bench/results/eval_tau2_full/report.json#0" \\
        --run "TeleQnA open, held out=LLM judge, no rubrics=bench/results/eval_teleqna/report.json#0" \\
        --bt bench/results/eval_bt/results.json --out docs/img/eval-comparison.png

`--run SET=JUDGE=FILE#INDEX` takes one report of a `report.json` written by `write_comparison` (a list of reports);
`--bt` adds every evaluation set of `bench.eval_bt`'s results.json as the "BT baseline" judge.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BT_SETS = {
    "teleqna_mcq_held_out": "TeleQnA MCQ, held out",
    "teleqna_open_held_out": "TeleQnA open, held out",
    "tau2_test_512": "τ² test",
}


def _run(spec: str) -> tuple[str, str, float, int]:
    pair_set, judge, where = spec.split("=", 2)
    path, _, index = where.partition("#")
    report = json.loads(Path(path).read_text(encoding="utf-8"))[int(index or 0)]
    return pair_set, judge, report["overall"]["accuracy"], report["overall"]["n"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", default=[], help="SET=JUDGE=report.json#INDEX")
    parser.add_argument("--bt", type=Path, help="bench.eval_bt's results.json")
    parser.add_argument("--out", type=Path, default=Path("docs/img/eval-comparison.png"))
    args = parser.parse_args()
    rows = [_run(spec) for spec in args.run]
    if args.bt:
        evals = json.loads(args.bt.read_text(encoding="utf-8"))["evals"]
        rows += [(label, "BT baseline (MiniLM)", e["accuracy"], e["decisive"]) for key, label in BT_SETS.items()
                 if (e := evals.get(key))]  # fmt: skip
    sets = list(dict.fromkeys(r[0] for r in rows))
    judges = list(dict.fromkeys(r[1] for r in rows))
    width = 0.8 / len(judges)
    fig, ax = plt.subplots(figsize=(9, 4.2))
    legend: dict[str, object] = {}
    for j, judge in enumerate(judges):
        for s, pair_set in enumerate(sets):
            hit = next((r for r in rows if r[0] == pair_set and r[1] == judge), None)
            if hit is None:
                continue
            x = s + (j - (len(judges) - 1) / 2) * width
            legend[judge] = ax.bar(x, hit[2], width, color=f"C{j}")
            ax.text(x, hit[2] + 0.01, f"{hit[2]:.0%}\nn={hit[3]}", ha="center", va="bottom", fontsize=7)
    ax.legend(list(legend.values()), list(legend), fontsize=8, loc="upper center", ncol=4)
    ax.set_xticks(range(len(sets)), sets, fontsize=8)
    ax.set_ylim(0, 1.3)
    ax.axhline(0.5, color="grey", linewidth=0.6, linestyle=":")
    ax.set_ylabel("accuracy (chosen preferred)")
    ax.set_title("Judging preference pairs: verifiers, the local LLM judge, and a BT reward model", fontsize=10)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
