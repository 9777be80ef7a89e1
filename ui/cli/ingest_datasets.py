"""`telerubric ingest tau2|teleqna|telemath`: the dataset jobs (registered on the `ingest` group)."""

from __future__ import annotations

from pathlib import Path

import typer

from kb import BarProgress
from ui.cli.common import cli_errors, open_kb
from ui.cli.ingest_cmd import ingest_app, render_summary

_DRY_RUN = typer.Option(False, "--dry-run", help="Validate only; write nothing.")
_JSON = typer.Option(False, "--json", help="Print the IngestSummary JSON document.")
_LIMIT = typer.Option(None, "--limit", min=0, help="Only the first N items (file order).")
_SAMPLE = typer.Option(
    None, "--sample", min=1, help="A seeded sample of N items, balanced over issue families / categories."
)
_SEED = typer.Option(None, "--seed", help="Sample seed; default: the `seed` setting.")


@ingest_app.command()
def tau2(
    path: Path = typer.Argument(..., help="The τ² telecom folder (holding tasks.json) or a tasks JSON file."),
    splits: Path | None = typer.Option(None, "--splits", help="split_tasks.json; default: next to tasks.json."),
    db: Path | None = typer.Option(None, "--db", help="The agent-side base DB (db.toml); default: next to tasks.json."),
    user_db: Path | None = typer.Option(
        None, "--user-db", help="The user-side base DB (user_db.toml); default: next to tasks.json."
    ),
    dry_run: bool = _DRY_RUN,
    limit: int | None = _LIMIT,
    sample: int | None = _SAMPLE,
    seed: int | None = _SEED,
    as_json: bool = _JSON,
) -> None:
    """Ingest τ²-bench telecom tasks: one query per task; gold actions, end-state assertions and reward basis."""
    from ingest import ingest_tau2

    with cli_errors(), open_kb(progress=not as_json) as kb:
        summary = ingest_tau2(
            kb, path, splits=splits, dry_run=dry_run, limit=limit, sample=sample, seed=seed, db=db, user_db=user_db
        )
    render_summary(summary, as_json)


@ingest_app.command()
def teleqna(
    path: Path = typer.Argument(..., help="The upstream AES-encrypted TeleQnA.zip (decrypted in memory only)."),
    password: str = typer.Option("teleqnadataset", "--password", help="Zip password (upstream publishes the default)."),
    dry_run: bool = _DRY_RUN,
    limit: int | None = _LIMIT,
    sample: int | None = _SAMPLE,
    seed: int | None = _SEED,
    as_json: bool = _JSON,
) -> None:
    """Ingest TeleQnA: one query per question with a "selects option K" check and a reasoning principle."""
    from ingest import ingest_teleqna

    bar = BarProgress(enabled=not as_json)
    with cli_errors(), open_kb(progress=not as_json) as kb:
        summary = ingest_teleqna(
            kb, path, password=password, dry_run=dry_run, limit=limit, sample=sample, seed=seed, progress=bar
        )
    render_summary(summary, as_json)


@ingest_app.command()
def telemath(
    path: Path = typer.Argument(..., help="A TeleMath export: .jsonl, or .parquet (needs pyarrow)."),
    rel_tol: float = typer.Option(1e-2, "--rel-tol", min=0.0, help="Relative tolerance of the numeric check."),
    dry_run: bool = _DRY_RUN,
    limit: int | None = _LIMIT,
    sample: int | None = _SAMPLE,
    seed: int | None = _SEED,
    as_json: bool = _JSON,
) -> None:
    """Ingest TeleMath: one query per problem with a numeric-answer check and a derivation principle."""
    from ingest import ingest_telemath

    bar = BarProgress(enabled=not as_json)
    with cli_errors(), open_kb(progress=not as_json) as kb:
        summary = ingest_telemath(
            kb, path, rel_tol=rel_tol, dry_run=dry_run, limit=limit, sample=sample, seed=seed, progress=bar
        )
    render_summary(summary, as_json)
