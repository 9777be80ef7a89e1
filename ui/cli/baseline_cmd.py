"""`telerubric baseline …`: a Bradley-Terry reward-model baseline (TRL's RewardTrainer) to measure the rubric reward
against: `train` on preference pairs (TeleQnA: its train categories only), `score` one response with a checkpoint."""

from __future__ import annotations

from pathlib import Path

import typer

from judge import (
    BTRewardModel,
    BTTrainConfig,
    PreferencePair,
    RewardResult,
    logit_of,
    train_bt,
)
from kb import BarProgress
from ui.cli.common import cli_errors, settings
from ui.cli.eval_cmd import PAIRS_HELP, load_pair_source
from ui.cli.reward_cmd import ENVIRONMENT_KINDS, render_result

baseline_app = typer.Typer(
    help="A Bradley-Terry reward-model baseline (TRL RewardTrainer) to compare the rubric reward with.",
    no_args_is_help=True,
)

HELD_OUT_BUILDERS = ("teleqna", "teleqna-open")  # builders whose held-out categories are kept out of training


class TrainingData:
    """The pairs to train on (a builder's training part, as `learn pairs` reads it: TeleQnA's train categories, τ²'s
    `train` split unless the spec names one; a file's every pair), the held-out pairs (in `telerubric eval
    --held-out` order) and how they were split."""

    def __init__(self, spec: str, seed: int) -> None:
        kind, _, rest = spec.partition(":")
        self.train: list[PreferencePair] = load_pair_source(spec, train=True, seed=seed)
        self.held_out: list[PreferencePair] = []
        self.categories: tuple[str, ...] = ()
        self.split = "all pairs"
        if kind in HELD_OUT_BUILDERS:
            # the same pairs in the same order as `telerubric eval SPEC --held-out --limit N` judges them
            self.held_out = load_pair_source(spec, held_out=True, seed=seed)
            self.categories = tuple(sorted({p.category or "" for p in self.held_out}))
            self.split = f"train categories (held out, seed {seed}: {', '.join(self.categories)})"
        elif kind == "tau2" and rest:
            self.split = f"τ² {rest.partition(':')[2] or 'train'} split"


@baseline_app.command("train")
def train(
    pairs: str = typer.Argument(..., help=PAIRS_HELP),
    out: Path = typer.Option(..., "--out", help="Checkpoint folder (model, tokenizer, README.md, card.json)."),
    model: str | None = typer.Option(
        None, "--model", help="HF model name (already cached) or local path; default: the packaged all-MiniLM-L6-v2."
    ),
    epochs: float = typer.Option(1.0, "--epochs", min=0.01, help="Passes over the training pairs."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Stop after N steps (wins over --epochs)."),
    batch_size: int = typer.Option(16, "--batch-size", min=1, help="Pairs per step."),
    lr: float = typer.Option(5e-5, "--lr", min=1e-12, help="Learning rate (AdamW, linear decay)."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the sample, split and training (default: settings)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Train on a seeded sample of N pairs."),
    max_length: int = typer.Option(256, "--max-length", min=16, help="Tokens per (request, response)."),
    eval_pairs: int = typer.Option(200, "--eval-pairs", min=0, help="Held-out pairs scored after training (TeleQnA)."),
    threads: int | None = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: torch's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the model card (card.json) on stdout."),
) -> None:
    """Train a BT reward model on PAIRS and write the checkpoint and its model card into OUT."""
    with cli_errors():
        cfg = settings()
        chosen_seed = cfg.seed if seed is None else seed
        data = TrainingData(pairs, chosen_seed)
        train_pairs = data.train[:limit] if limit else data.train
        config = BTTrainConfig(
            model=model,
            epochs=epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            learning_rate=lr,
            seed=chosen_seed,
            max_length=max_length,
            threads=threads,
            eval_pairs=eval_pairs,
        )
        card = train_bt(
            train_pairs,
            out,
            config,
            data=pairs,
            split=data.split + (f", a sample of {limit}" if limit else ""),
            held_out=data.held_out,
            held_out_categories=data.categories,
            progress=BarProgress(enabled=not as_json),
        )
    if as_json:
        typer.echo(card.model_dump_json())
        return
    accuracy = "" if card.held_out_accuracy is None else (
        f", held-out accuracy {100 * card.held_out_accuracy:.1f}% ({card.held_out_pairs_scored} pairs)"
    )  # fmt: skip
    typer.echo(
        f"trained on {card.pairs_train} pairs: {card.steps} steps in {card.train_seconds:.1f} s, loss "
        f"{card.first_loss:.4f} → {card.final_loss:.4f}{accuracy}; {card.checkpoint_bytes / 1e6:.1f} MB in {out}"
        if card.first_loss is not None and card.final_loss is not None
        else f"trained on {card.pairs_train} pairs: {card.steps} steps; checkpoint in {out}"
    )


@baseline_app.command("score")
def score(
    model: Path = typer.Option(..., "--model", help="Checkpoint folder (`telerubric baseline train --out`)."),
    question: str = typer.Option(..., "--question", help="The customer's request."),
    response: str = typer.Option(..., "--response", help="The response to score (text)."),
    as_json: bool = typer.Option(False, "--json", help="Print the RewardResult as one JSON document."),
) -> None:
    """Score one response to QUESTION with a BT checkpoint: σ(logit) in [0, 1], and the logit."""
    with cli_errors(), BTRewardModel(model) as bt:
        result: RewardResult = bt.score(question, response)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(render_result(result))
        logit = logit_of(result)
        if logit is not None:
            typer.echo(f"logit: {logit:.4f}   model: {model}")
    if result.error is not None:
        e = result.error
        typer.echo(f"error: {e.kind} at {e.stage}: {e.message}", err=True)
        raise typer.Exit(3 if e.kind in ENVIRONMENT_KINDS else 1)
