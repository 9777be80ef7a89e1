"""`telerubric kb …`: stats, rebuild, doctor."""

from __future__ import annotations

import typer

from ui.cli.common import cli_errors, open_kb

kb_app = typer.Typer(help="Inspect and maintain the knowledge base.", no_args_is_help=True)


@kb_app.command()
def stats(as_json: bool = typer.Option(False, "--json", help="Print the KBStats JSON document.")) -> None:
    """Counts per collection, kind, status and source."""
    with cli_errors(), open_kb(progress=False) as kb:
        result = kb.stats()
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo(f"schema v{result.schema_version}, kb version {result.kb_version}")
    for name, c in result.collections.items():
        typer.echo(f"  {name:14s} sql {c.sql_rows:7d}  index {c.index_rows:7d}  embedder {c.embedder}")
    for label, counts in (
        ("kind", result.rubrics_by_kind),
        ("status", result.rubrics_by_status),
        ("source", result.rubrics_by_source),
        ("queries", result.queries_by_source),
    ):
        typer.echo(
            f"  rubrics by {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            if label != "queries"
            else "  queries by source: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    typer.echo(f"  links {result.links}, revisions {result.revisions}")


@kb_app.command()
def rebuild() -> None:
    """Drop both collections and re-index every SQL row (after changing the embedder, or to start clean)."""
    with cli_errors(), open_kb() as kb:
        n = kb.rebuild()
    typer.echo(f"rebuilt: {n} rows indexed")


@kb_app.command()
def doctor(
    fix: bool = typer.Option(False, "--repair", help="Re-index missing and stale rows, delete extra ones."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compare SQL with both collections (missing, extra, stale rows by content hash). Exit 1 on drift."""
    with cli_errors(), open_kb() as kb:
        report = kb.doctor(fix=fix)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        for c in report.collections:
            state = "clean" if c.clean else f"missing {len(c.missing)}, extra {len(c.extra)}, stale {len(c.stale)}"
            typer.echo(f"{c.collection:14s} sql {c.sql_rows:7d}  index {c.index_rows:7d}  {state}")
            for label, ids in (("missing", c.missing), ("extra", c.extra), ("stale", c.stale)):
                if ids:
                    typer.echo(f"  {label}: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}")
        typer.echo(
            "repaired"
            if report.repaired
            else ("consistent" if report.clean else "drift found: run `telerubric kb doctor --repair`")
        )
    raise typer.Exit(0 if report.clean else 1)


@kb_app.command()
def serve(
    port: int = typer.Option(19530, help="Loopback port (0 = any free port)."),
    host: str = typer.Option("127.0.0.1", help="Bind address; keep loopback unless you mean to expose it."),
) -> None:
    """Share the embedded store: run milvus-lite's server over it until Ctrl-C.

    Other processes (the UI, reward workers, the CLI) then set TELERUBRIC_MILVUS_URI to the printed URI and use
    the same data dir; SQLite is shared safely, the vector store goes through the server.
    """
    from kb import StoreServer
    from ui.cli.common import settings

    with cli_errors():
        server = StoreServer(settings(), host=host, port=port)
        uri = server.start()
    typer.echo(
        f"serving {server.settings.data_dir} at {uri}\n"
        f"  in other shells: export TELERUBRIC_MILVUS_URI={uri} "
        f"TELERUBRIC_DATA_DIR={server.settings.data_dir}",
        err=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
