"""`telerubric ingest …`: expert files (datasets are added by their jobs)."""

from __future__ import annotations

from pathlib import Path

import typer

from kb import BarProgress, RubricStatus
from ui.cli.common import cli_errors, open_kb

ingest_app = typer.Typer(help="Ingest expert rubrics and telecom datasets.", no_args_is_help=True)


def render_summary(summary, as_json: bool) -> None:  # noqa: ANN001 - IngestSummary
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
        return
    verb = "would write" if summary.dry_run else "wrote"
    typer.echo(
        f"{summary.job}: {summary.records} records from {len(summary.files)} file(s), {verb} in {summary.seconds:.1f}s"
    )
    for label, c in (("rubrics", summary.rubrics), ("queries", summary.queries)):
        typer.echo(f"  {label:8s} added {c.added:6d}  updated {c.updated:6d}  unchanged {c.unchanged:6d}")
    typer.echo(f"  rejected {len(summary.rejected)}")
    for note in summary.notes:
        typer.echo(f"  note: {note}")


@ingest_app.command()
def expert(
    files: list[Path] = typer.Argument(..., help="JSONL, CSV or YAML files (docs/expert-rubric-format.md)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; write nothing."),
    status: RubricStatus = typer.Option(RubricStatus.DRAFT, help="Status for rubrics that do not set one."),
    source: str = typer.Option("expert", help="Source for records that do not set one."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ingest expert rubric files: all or nothing, idempotent, every problem reported as file:line: field."""
    from ingest import ingest_expert_files

    bar = BarProgress(enabled=not as_json)
    with cli_errors(), open_kb(progress=not as_json) as kb:
        summary = ingest_expert_files(kb, files, dry_run=dry_run, status=status, source=source, progress=bar)
    render_summary(summary, as_json)
