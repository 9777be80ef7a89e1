"""What every command shares: global options, settings, opening the KB, and one-line errors with exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from pydantic import ValidationError

from kb import BarProgress, InputRejected, Settings, TelerubricError, load_settings


@dataclass
class GlobalOptions:
    data_dir: Path | None = None
    debug: bool = False


STATE = GlobalOptions()


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
        if STATE.debug:
            raise
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        if STATE.debug:
            raise
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        typer.echo(
            f"error: configuration: {where}: {first['msg']}; check TELERUBRIC_* variables and telerubric.toml", err=True
        )
        raise typer.Exit(2) from None


def settings() -> Settings:
    return load_settings(data_dir=STATE.data_dir)


def open_kb(cfg: Settings | None = None, *, progress: bool = True):  # noqa: ANN201 - KnowledgeBase
    from kb import KnowledgeBase

    return KnowledgeBase(cfg or settings(), progress=BarProgress(enabled=progress))
