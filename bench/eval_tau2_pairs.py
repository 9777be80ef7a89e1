"""Measured run: τ² gold vs drop-one pairs of the `test` split through the reward with verifiers (a KB holding the
test-split tasks, `judge.use_llm=false`), and the LLM-only ablation (`--rubrics none`) on a small subset.

    .venv/bin/python -m bench.eval_tau2_pairs --out bench/results/eval_tau2 --llm-pairs 20
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
from pathlib import Path

from ingest import ingest_tau2
from judge import evaluate, split_task_ids, tau2_pairs, write_comparison
from kb import KnowledgeBase, load_settings

TAU2 = Path("/work/shared/data/tau2-telecom")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tau2", type=Path, default=TAU2)
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, default=Path("bench/results/eval_tau2"))
    parser.add_argument("--llm-pairs", type=int, default=20, help="pairs for the LLM-only ablation (0 = skip)")
    parser.add_argument("--mode", default="pairwise", help="mode of the LLM-only ablation")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    pairs = tau2_pairs(args.tau2, split=args.split)
    ids = set(split_task_ids(args.tau2, args.split))
    work = Path(tempfile.mkdtemp(prefix="eval-tau2-"))
    try:
        subset = work / "tau2"
        subset.mkdir()
        tasks = json.loads((args.tau2 / "tasks.json").read_text(encoding="utf-8"))
        (subset / "tasks.json").write_text(json.dumps([t for t in tasks if t["id"] in ids]), encoding="utf-8")
        for name in ("db.toml", "user_db.toml"):
            shutil.copy(args.tau2 / name, subset / name)
        settings = load_settings(data_dir=work / "kb", judge={"use_llm": False, "record_usage": False})
        reports = []
        with KnowledgeBase(settings) as kb:
            ingest_tau2(kb, subset)
            reports.append(
                evaluate(
                    pairs,
                    settings,
                    kb=kb,
                    mode="pointwise",
                    rubrics="pruned",
                    pairs_source=f"tau2 {args.split}: gold vs drop-one",
                )
            )
        if args.llm_pairs:
            llm_settings = load_settings(data_dir=work / "kb")
            decisive = [p for p in pairs if p.decisive][: args.llm_pairs]
            reports.append(
                evaluate(
                    decisive,
                    llm_settings,
                    mode=args.mode,
                    rubrics="none",
                    pairs_source=f"tau2 {args.split}: first {len(decisive)} decisive pairs",
                )
            )
        command = "python -m bench.eval_tau2_pairs " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "tau2"
        )
        paths = write_comparison(reports, args.out, title="τ² pairs: verifiers vs LLM-only", command=command)
        for r in reports:
            o = r.overall
            print(
                f"{r.config.mode}/{r.config.rubrics} use_llm={r.config.use_llm}: pairs={r.pairs} decisive={o.n} "
                f"accuracy={o.accuracy} ties={o.tie_rate} errors={o.error_rate} auc={o.roc_auc} "
                f"consistency={o.swap_consistency} time={r.seconds}s tokens={r.input_tokens}/{r.output_tokens}"
            )
        print("report:", paths["html"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
