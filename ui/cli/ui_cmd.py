"""`telerubric ui`: serve the Streamlit page for engineers (`python -m streamlit run ui/web/app.py`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from kb import KnowledgeBase, Settings, load_settings
from ui.cli.common import GlobalOptions, cli_errors

APP = Path(__file__).resolve().parents[1] / "web" / "app.py"


def streamlit_command(host: str, port: int) -> list[str]:
    """The command line that serves the page: headless, bound to `host`, no file watcher, no usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def _settings(ctx: typer.Context) -> Settings:
    """Settings with the root command's `--data-dir`, read from this command's own context."""
    options = ctx.find_root().obj
    return load_settings(data_dir=options.data_dir if isinstance(options, GlobalOptions) else None)


def ui(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address (loopback unless you mean it)."),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port of the page."),
    read_only: bool = typer.Option(False, "--read-only", help="Browse, search and try only; refuse every edit."),
) -> None:
    """Serve the page for engineers: browse, search, edit, approve, add rubrics, and try the reward.

    The page opens the KB itself, so an embedded KB must not be held by another process: share it with
    `telerubric kb serve` and TELERUBRIC_MILVUS_URI, or use a Milvus server. Edits need the password in
    TELERUBRIC_UI_PASSWORD (the name is setting ui.password_env); without it the page is read-only.
    """
    with cli_errors():
        cfg = _settings(ctx)
        KnowledgeBase.ensure_free(cfg)  # fail now, naming the holder, rather than on the page
    env = dict(os.environ, TELERUBRIC_DATA_DIR=str(cfg.data_dir))
    if read_only:
        env["TELERUBRIC_UI__READ_ONLY"] = "true"
    mode = "read-only" if read_only or cfg.ui.read_only else "edits need the password"
    typer.echo(f"telerubric ui at http://{host}:{port} (knowledge base {cfg.data_dir}; {mode}); Ctrl-C stops", err=True)
    process = subprocess.Popen(streamlit_command(host, port), env=env)
    signal.signal(signal.SIGTERM, lambda signum, _frame: process.send_signal(signum))  # stopping us stops the page
    try:
        code = process.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the page too (same process group): let it finish
        code = process.wait()
    raise typer.Exit(code)
