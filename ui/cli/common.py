"""What every command shares: global options, settings, opening the KB, and one-line errors with exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import typer
from pydantic import ValidationError

from kb import BarProgress, InputRejected, Settings, TelerubricError, load_settings


@dataclass(frozen=True)
class GlobalOptions:
    """The root command's options, carried in typer's context object (`ctx.obj`), not in module state."""

    data_dir: Path | None = None
    debug: bool = False


def global_options() -> GlobalOptions:
    """The options of the running command's root context (defaults outside a command, e.g. in library tests)."""
    ctx = _current_context()
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, GlobalOptions) else GlobalOptions()


def _current_context() -> Any:
    """The running command's context. typer ≥ 0.17 runs commands on its own copy of click, whose context stack is
    not click's; read whichever stack holds the command."""
    try:
        from typer._click.globals import get_current_context  # noqa: PLC0415 - typer's vendored click
    except ImportError:
        get_current_context = click.get_current_context
    return get_current_context(silent=True) or click.get_current_context(silent=True)


def configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn `TelerubricError` into one stderr line and its exit code; a traceback only with --debug."""
    try:
        yield
    except InputRejected as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(f"error: {len(exc.problems)} problem(s); nothing was written. Fix them and run again.", err=True)
        raise typer.Exit(exc.exit_code) from None
    except TelerubricError as exc:
        if global_options().debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        if global_options().debug:
            raise
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        typer.echo(
            f"error: configuration: {where}: {first['msg']}; check TELERUBRIC_* variables and telerubric.toml", err=True
        )
        raise typer.Exit(2) from None


def settings() -> Settings:
    return load_settings(data_dir=global_options().data_dir)


def open_kb(cfg: Settings | None = None, *, progress: bool = True):  # noqa: ANN201 - KnowledgeBase
    from kb import KnowledgeBase

    return KnowledgeBase(cfg or settings(), progress=BarProgress(enabled=progress))
