"""`telerubric config show`."""

from __future__ import annotations

import json

import typer

from ui.cli.common import cli_errors, settings

config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@config_app.command()
def show(as_json: bool = typer.Option(False, "--json")) -> None:
    """Print the effective settings (env, TOML file, defaults) with secrets masked."""
    with cli_errors():
        cfg = settings()
    data = cfg.masked()
    data["resolved"] = {"sql_url": cfg.resolved_sql_url, "milvus_uri": cfg.resolved_milvus_uri}
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    for key, value in _flatten(data):
        typer.echo(f"{key} = {value}")


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out
