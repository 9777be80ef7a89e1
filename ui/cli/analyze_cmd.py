"""`telerubric analyze PAIRS --out DIR`: per-rubric coverage, precision and contribution over a labelled pair set."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from judge import (
    RubricSource,
    aanalyse_rubrics,
    criteria_of_learned,
    load_learned,
    record_analysis,
    write_analysis,
)
from kb import BarProgress
from ui.cli.common import cli_errors, open_kb, settings
from ui.cli.eval_cmd import PAIRS_HELP, load_pair_source, seen_held_out

ANALYSED = (RubricSource.RETRIEVED, RubricSource.SYNTHESISED, RubricSource.PRUNED, RubricSource.LEARNED)


def analyze_command(
    pairs: str = typer.Argument(..., help=PAIRS_HELP),
    out: Path = typer.Option(..., "--out", help="Folder for analysis.json, analysis.md, analysis.html and plots."),
    rubrics: RubricSource = typer.Option(
        RubricSource.RETRIEVED, "--rubrics", help="retrieved | synthesised | pruned | learned (not none)."
    ),
    learned: Path | None = typer.Option(None, "--learned", help="learned.json (or its folder) for --rubrics learned."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Judge only the first N pairs."),
    granularity: str | None = typer.Option(None, "--granularity", help="response | criterion (default: settings)."),
    held_out: bool = typer.Option(False, "--held-out", help="TeleQnA builders: only the held-out categories."),
    record: bool = typer.Option(
        True, "--record/--no-record", help="Store the analysis in the KB, where pruning and the UI read it."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the analysis as JSON on stdout."),
) -> None:
    """Judge each pair pointwise with per-criterion verdicts, then analyse every rubric: coverage (pairs it
    decides), precision (decisions agreeing with the label), contribution (accuracy drop without it, from the same
    verdicts) and its KB usage statistics. Writes analysis.json / .md / .html and plots into OUT."""
    if rubrics not in ANALYSED:
        raise typer.BadParameter("choose retrieved, synthesised, pruned or learned", param_hint="--rubrics")
    if rubrics is RubricSource.LEARNED and learned is None:
        raise typer.BadParameter("--rubrics learned needs --learned FILE (telerubric learn pairs writes it)")
    with cli_errors():
        cfg = settings()
        chosen = load_pair_source(pairs, held_out=held_out, seed=cfg.seed)
        criteria = criteria_of_learned(load_learned(learned)) if learned else []
        with open_kb(cfg, progress=not as_json) as kb:  # rubric text and usage statistics come from the KB
            if held_out and rubrics is not RubricSource.LEARNED and (warning := seen_held_out(kb, chosen)):
                typer.echo(warning, err=True)
            report = asyncio.run(
                aanalyse_rubrics(
                    chosen,
                    cfg,
                    rubrics=rubrics,
                    kb=kb,
                    learned=criteria,
                    granularity=granularity,
                    limit=limit,
                    progress=BarProgress(enabled=not as_json),
                    pairs_source=pairs,
                )
            )
            command = "telerubric analyze " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else None
            paths = write_analysis(report, out, command=command)
            stored = record_analysis(kb, report, paths["json"]) if record else 0
    if as_json:
        typer.echo(report.model_dump_json())
        return
    decided = sum(r.n_decided > 0 for r in report.rubrics)
    typer.echo(
        f"{len(report.rubrics)} rubrics over {report.pairs} pairs ({report.judged} judged): {decided} decide at least "
        f"one pair; accuracy {report.accuracy}; {stored} stored in the KB; report: {paths['html']}"
    )
