"""Measured run of the Bradley-Terry reward-model baseline: train on a seeded sample of the TeleQnA MCQ train
categories (the packaged all-MiniLM-L6-v2 + a scalar head, TRL's RewardTrainer, CPU), then score through the
evaluation harness's metrics:

- 200 held-out TeleQnA MCQ pairs (the same pairs, in the same order, as `telerubric eval teleqna:ZIP --held-out
  --limit 200`), split by whether chosen carries TeleQnA's own explanation (rejected never does: a surface cue) or
  both responses use the builder's template sentence (no cue but the option itself) — since the builder gives both
  sides the template, the first subset is empty and stays as a check that the cue does not come back;
- 200 held-out TeleQnA open pairs (free-form answers: another format than trained on);
- τ² gold vs drop-one pairs of the test split, at the checkpoint's token budget and at 512 tokens;
- with --tau2-train, a second model trained on the τ² train split's pairs and scored on the same test pairs.

Writes results.json, results.md, one harness report (HTML, Markdown, JSON) per evaluation set, and the checkpoint
(git-ignored) into --out. Only ids and numbers are printed or written: TeleQnA text never leaves memory.

    .venv/bin/python -m bench.eval_bt --limit 2000 --threads 2
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from judge import (
    BTCard,
    BTRewardModel,
    BTTrainConfig,
    EvalReport,
    PreferencePair,
    evaluate_bt,
    read_card,
    tau2_pairs,
    train_bt,
    write_comparison,
)
from judge.bt import response_text
from kb import BarProgress
from ui.cli.baseline_cmd import TrainingData
from ui.cli.eval_cmd import load_pair_source

SHARED = Path(os.environ.get("TELERUBRIC_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
# The end of the MCQ builder's template explanation (judge/pairs/teleqna.py): on chosen only when TeleQnA has none.
TEMPLATE_END = "is the correct choice here: it is what the relevant 3GPP specification defines for this case."


def _train(pairs: list[PreferencePair], out: Path, config: BTTrainConfig, *, reuse: bool, **card: Any) -> BTCard:
    existing = read_card(out) if reuse else None
    if existing is not None:
        logging.info("reusing the checkpoint in %s", out)
        return existing
    return train_bt(pairs, out, config, progress=BarProgress(), **card)


def _eval(model: BTRewardModel, pairs: list[PreferencePair], source: str, seed: int, out: Path) -> EvalReport:
    report = evaluate_bt(model, pairs, pairs_source=source, seed=seed, progress=BarProgress())
    write_comparison([report], out, title=f"BT baseline ({model.model_id}): {source}")
    return report


def _row(report: EvalReport, pairs: list[PreferencePair]) -> dict[str, Any]:
    o = report.overall
    return {
        "longer_wins": _longer_wins(pairs),
        "pairs": report.pairs,
        "decisive": o.n,
        "accuracy": o.accuracy,
        "roc_auc": o.roc_auc,
        "tie_rate": o.tie_rate,
        "error_rate": o.error_rate,
        "seconds": report.seconds,
        "ms_per_pair": round(1000 * report.seconds / max(1, report.pairs), 1),
    }


def _subset_accuracy(report: EvalReport, ids: set[str]) -> dict[str, Any]:
    chosen = [o for o in report.outcomes if o.pair_id in ids and o.decisive]
    return {"pairs": len(chosen), "accuracy": sum(o.correct for o in chosen) / len(chosen) if chosen else None}


def _longer_wins(pairs: list[PreferencePair]) -> float | None:
    """The reference a BT model must beat: the share of decisive pairs whose chosen response is the longer text."""
    decisive = [p for p in pairs if p.decisive]
    if not decisive:
        return None
    longer = sum(len(response_text(p.chosen)) > len(response_text(p.rejected)) for p in decisive)
    return longer / len(decisive)


def _card_summary(card: BTCard) -> dict[str, Any]:
    return card.model_dump(exclude={"loss_history"})


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teleqna", type=Path, default=SHARED / "data" / "teleqna" / "TeleQnA.zip")
    parser.add_argument("--tau2", type=Path, default=SHARED / "data" / "tau2-telecom")
    parser.add_argument("--out", type=Path, default=Path("bench/results/eval_bt"))
    parser.add_argument("--limit", type=int, default=2000, help="TeleQnA train pairs (seeded sample; 0 = all 5,500)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--eval-pairs", type=int, default=200, help="held-out TeleQnA pairs scored (MCQ and open)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tau2-train", action="store_true", help="also train and score a model on τ² train pairs")
    parser.add_argument("--tau2-epochs", type=float, default=2.0)
    parser.add_argument("--reuse", action="store_true", help="reuse checkpoints already in --out (no training)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    command = "python -m bench.eval_bt " + " ".join(sys.argv[1:])
    started = time.perf_counter()

    spec = f"teleqna:{args.teleqna}"
    data = TrainingData(spec, args.seed)
    train = data.train[: args.limit] if args.limit else data.train
    config = BTTrainConfig(
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
        max_length=args.max_length,
        threads=args.threads,
        eval_pairs=0,  # scored below, through the harness
    )
    checkpoint = args.out / "checkpoint"
    card = _train(
        train,
        checkpoint,
        config,
        reuse=args.reuse,
        data=spec,
        split=data.split + (f", a sample of {args.limit}" if args.limit else ""),
        held_out=data.held_out,
        held_out_categories=data.categories,
    )

    model = BTRewardModel(checkpoint, batch_size=32, threads=args.threads)
    mcq = data.held_out[: args.eval_pairs]
    open_held = load_pair_source(f"teleqna-open:{args.teleqna}", held_out=True, seed=args.seed)[: args.eval_pairs]
    tau2 = tau2_pairs(args.tau2, split="test")
    sets = {
        "teleqna_mcq_held_out": mcq,
        "teleqna_open_held_out": open_held,
        "tau2_test": tau2,
        "tau2_test_512": tau2,
        "tau2_test_tau2_trained": tau2,
    }
    reports: dict[str, EvalReport] = {
        "teleqna_mcq_held_out": _eval(model, mcq, f"TeleQnA MCQ held out ({len(mcq)})", args.seed,
                                      args.out / "teleqna_mcq_held_out"),
        "teleqna_open_held_out": _eval(model, open_held, f"TeleQnA open held out ({len(open_held)})", args.seed,
                                       args.out / "teleqna_open_held_out"),
        "tau2_test": _eval(model, tau2, f"τ² test gold vs drop-one, {card.max_length} tokens", args.seed,
                           args.out / "tau2_test"),
    }  # fmt: skip
    long_model = BTRewardModel(checkpoint, batch_size=16, max_length=512, threads=args.threads)
    reports["tau2_test_512"] = _eval(
        long_model, tau2, "τ² test gold vs drop-one, 512 tokens", args.seed, args.out / "tau2_test_512"
    )
    explained = {p.id for p in mcq if isinstance(p.chosen, str) and not p.chosen.endswith(TEMPLATE_END)}
    cue = {
        "chosen_has_teleqna_explanation": _subset_accuracy(reports["teleqna_mcq_held_out"], explained),
        "both_template": _subset_accuracy(reports["teleqna_mcq_held_out"], {p.id for p in mcq} - explained),
    }

    tau2_card = None
    if args.tau2_train:
        tau2_train = tau2_pairs(args.tau2, split="train")
        tau2_config = config.model_copy(update={"epochs": args.tau2_epochs, "max_length": 512, "batch_size": 8})
        tau2_card = _train(tau2_train, args.out / "checkpoint_tau2", tau2_config, reuse=args.reuse,
                           data=f"tau2:{args.tau2}:train", split="τ² train split (test tasks never seen)")  # fmt: skip
        tau2_model = BTRewardModel(args.out / "checkpoint_tau2", batch_size=16, threads=args.threads)
        reports["tau2_test_tau2_trained"] = _eval(
            tau2_model, tau2, "τ² test gold vs drop-one, model trained on τ² train", args.seed,
            args.out / "tau2_test_tau2_trained",
        )  # fmt: skip

    results = {
        "command": command,
        "cpu_count": os.cpu_count(),
        "card": _card_summary(card),
        "tau2_card": _card_summary(tau2_card) if tau2_card else None,
        "evals": {name: _row(r, sets[name]) for name, r in reports.items()},
        "teleqna_mcq_cue": cue,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [
        "# BT reward-model baseline",
        "",
        f"Command: `{command}`",
        "",
        f"Trained on {card.pairs_train} TeleQnA MCQ pairs ({card.split}): {card.steps} steps, batch {card.batch_size}, "
        f"max length {card.max_length}, {card.train_seconds:.0f} s wall / {card.train_cpu_seconds:.0f} s CPU on "
        f"{card.threads} threads; loss {card.first_loss:.3f} → {card.final_loss:.3f}; checkpoint "
        f"{card.checkpoint_bytes / 1e6:.1f} MB.",
        "",
        "| evaluation set | pairs | decisive | accuracy | ROC-AUC | ties | errors | longer wins | ms / pair |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in reports.items():
        row = _row(r, sets[name])
        auc = "—" if row["roc_auc"] is None else f"{row['roc_auc']:.3f}"
        lines.append(
            f"| {name} | {row['pairs']} | {row['decisive']} | {_pct(row['accuracy'])} | {auc} | "
            f"{_pct(row['tie_rate'])} | {_pct(row['error_rate'])} | {_pct(row['longer_wins'])} | {row['ms_per_pair']} |"
        )
    lines += [
        "",
        "'longer wins': accuracy of preferring the longer response (the length cue a BT model can learn instead).",
        "",
        "TeleQnA MCQ held out, by surface cue: chosen carries TeleQnA's explanation "
        f"{_pct(cue['chosen_has_teleqna_explanation']['accuracy'])} "
        f"({cue['chosen_has_teleqna_explanation']['pairs']} pairs); both use the template "
        f"{_pct(cue['both_template']['accuracy'])} ({cue['both_template']['pairs']} pairs).",
    ]
    if tau2_card is not None:
        lines += [
            "",
            f"τ²-trained model: {tau2_card.pairs_train} pairs, {tau2_card.steps} steps, "
            f"{tau2_card.train_seconds:.0f} s wall; loss {tau2_card.first_loss:.3f} → {tau2_card.final_loss:.3f}.",
        ]
    (args.out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    model.close()
    long_model.close()


if __name__ == "__main__":
    main()
