"""`telerubric learn pairs FILE`: learn draft rubrics from preference pairs (resumable)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from judge import alearn_from_pairs
from kb import BarProgress, LLMClient
from ui.cli.common import cli_errors, open_kb, settings
from ui.cli.eval_cmd import PAIRS_HELP, load_pair_source

learn_app = typer.Typer(help="Learn rubrics from preference pairs (OpenRubrics + Auto-Rubric).", no_args_is_help=True)


@learn_app.command("pairs")
def learn_pairs(
    file: str = typer.Argument(..., help=PAIRS_HELP),
    rounds: int = typer.Option(3, "--rounds", min=1, max=10, help="Propose–evaluate–revise rounds per pair."),
    batch: int = typer.Option(4, "--batch", min=1, help="Coding-rate selection batch size."),
    patience: int = typer.Option(2, "--patience", min=1, help="Low-gain batches before selection stops."),
    min_gain: float = typer.Option(0.5, "--min-gain", min=0.0, help="Gain (nats) a batch needs to count."),
    min_support: int = typer.Option(
        3,
        "--min-support",
        min=0,
        help="A rubric quoting its own pair is dropped unless this many pairs contain the phrase; 0 = keep all.",
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Learn from the first N pairs only."),
    out: Path | None = typer.Option(None, "--out", help="Checkpoint and learned.json folder (default: DATA/learn)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do not write drafts to the KB."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Learn validated rubric sets pair by pair (checkpointed), aggregate them, and add them to the KB as drafts.

    Builders learn from their training part only, so `telerubric eval SPEC --held-out` stays held out: TeleQnA from
    the train categories, τ² from the train split unless the spec names one. Interrupt it any time: a rerun with
    the same FILE and --out skips finished pairs and adds no duplicates."""
    with cli_errors():
        cfg = settings()
        pairs = load_pair_source(file, train=True, seed=cfg.seed)[:limit]
        folder = out or cfg.data_dir / "learn"
        client = LLMClient.from_settings(cfg)
        with open_kb(cfg, progress=not as_json) as kb:
            report = asyncio.run(
                alearn_from_pairs(
                    pairs,
                    client,
                    kb,
                    folder,
                    rounds=rounds,
                    batch=batch,
                    patience=patience,
                    min_gain=min_gain,
                    min_support=min_support,
                    seed=cfg.seed,
                    progress=BarProgress(enabled=not as_json),
                    source_file=file,
                    write=not dry_run,
                )
            )
    if as_json:
        typer.echo(report.model_dump_json())
        return
    typer.echo(
        f"{report.pairs} pairs ({report.resumed} from the checkpoint, {report.failed} failed): {report.converged} "
        f"converged; kept {len(report.learned.rubrics)} of {report.learned.pool} rubrics "
        f"({len(report.learned.pair_specific)} quoting their own pair dropped) in "
        f"{len(report.learned.themes)} themes; {report.written} drafts written; {report.output}"
    )
