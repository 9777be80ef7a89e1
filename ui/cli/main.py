"""The `telerubric` console script: the composition root that mounts every package's commands."""

from __future__ import annotations

from pathlib import Path

import typer

from ui.cli import ingest_datasets  # noqa: F401 - registers the dataset commands on `ingest`
from ui.cli.analyze_cmd import analyze_command
from ui.cli.baseline_cmd import baseline_app
from ui.cli.common import GlobalOptions, cli_errors, configure_logging, open_kb
from ui.cli.config_cmd import config_app
from ui.cli.demo_cmd import demo_score
from ui.cli.eval_cmd import eval_command
from ui.cli.export_cmd import export_app
from ui.cli.ingest_cmd import ingest_app
from ui.cli.kb_cmd import kb_app
from ui.cli.learn_cmd import learn_app
from ui.cli.llm_cmd import llm_app
from ui.cli.reward_cmd import compare, score, serve_command
from ui.cli.rubrics_cmd import rubrics
from ui.cli.search_cmd import search
from ui.cli.ui_cmd import ui
from ui.cli.verify_cmd import verify_app

app = typer.Typer(
    help="telerubric: a rubric knowledge base that turns telecom expertise into rewards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(ingest_app, name="ingest")
app.add_typer(kb_app, name="kb")
app.add_typer(config_app, name="config")
app.command()(search)
app.command()(rubrics)
app.add_typer(llm_app, name="llm", help="The LLM endpoint: embedded llama.cpp server or any OpenAI-compatible one.")
app.add_typer(verify_app, name="verify", help="Programmatic verifiers (τ²-bench telecom replay).")
app.command()(score)
app.command()(compare)
app.command("serve")(serve_command)
app.command()(ui)
app.command("demo-score")(demo_score)
app.command("eval")(eval_command)
app.command("analyze")(analyze_command)
app.add_typer(learn_app, name="learn")
app.add_typer(export_app, name="export")
app.add_typer(baseline_app, name="baseline")


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None, "--data-dir", envvar="TELERUBRIC_DATA_DIR", help="Knowledge base folder (SQLite + milvus-lite)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks."),
) -> None:
    ctx.obj = GlobalOptions(data_dir=data_dir, debug=debug)
    configure_logging(debug)


@app.command()
def init() -> None:
    """Create the data folder, the SQL schema and both collections."""
    with cli_errors(), open_kb() as kb:
        kb.sync.ensure_collections()
        where = kb.settings.data_dir
    typer.echo(f"knowledge base ready at {where}")


if __name__ == "__main__":
    app()
