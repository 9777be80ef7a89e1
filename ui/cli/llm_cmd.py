"""`telerubric llm`: serve the embedded model, or report what is configured and whether it answers."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import BaseModel

from kb import (
    EndpointStatus,
    EnvironmentProblem,
    LLMClient,
    LLMSettings,
    ModelFile,
    Settings,
    aping,
    aprobe_endpoint,
    load_settings,
    resolve_model_file,
    server_for,
)

llm_app = typer.Typer(
    help="The LLM endpoint: embedded llama.cpp server or any OpenAI-compatible URL.", no_args_is_help=True
)


class PingResult(BaseModel, frozen=True):
    ok: bool
    latency_s: float | None = None
    output_tokens: int | None = None
    error: str | None = None


class LLMStatus(BaseModel, frozen=True):
    """What `telerubric llm status --json` prints."""

    mode: Literal["endpoint", "embedded"]
    model: str
    base_url: str | None
    model_file: ModelFile | None = None
    model_file_error: str | None = None
    endpoint: EndpointStatus | None = None
    ping: PingResult | None = None


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


@llm_app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1 (default: llm.port; 0 = a free port).")] = None,
    gguf: Annotated[
        Path | None, typer.Option(help="GGUF file to serve (default: llm.gguf_path or the packaged model).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs, including llama.cpp's.")] = False,
) -> None:
    """Run the embedded llama.cpp server in the foreground (loopback only); Ctrl-C stops it."""
    _logging(verbose)
    settings = load_settings()
    llm = settings.llm.model_copy(update={k: v for k, v in {"port": port, "gguf_path": gguf}.items() if v is not None})
    try:
        server = server_for(llm, settings.data_dir)
        url = server.start(llm.startup_timeout_s)
    except EnvironmentProblem as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    # llama.cpp may take SIGINT for itself when its server starts; Ctrl-C must reach Python to stop it cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:  # from here on, Ctrl-C at any point stops the server (one that came during an echo left it running)
        typer.echo(url)
        typer.echo(
            f"serving {server.model.path} as model {llm.model!r} ({server.model.source}); "
            f"use it from other processes with TELERUBRIC_LLM__BASE_URL={url}. Ctrl-C stops.",
            err=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@llm_app.command()
def status(
    json_output: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    start: Annotated[
        bool, typer.Option("--start/--no-start", help="Start the embedded server to check it answers.")
    ] = True,
    ping: Annotated[bool, typer.Option(help="Also make one schema-constrained call (prompt llm.ping).")] = False,
) -> None:
    """Say what is configured, which model file, and whether the endpoint answers (exit 1 if it does not)."""
    if not json_output:
        _logging(False)
    settings = load_settings()
    report = collect_status(settings, start=start, ping=ping)
    if json_output:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print_human(report)
    failed = (
        report.model_file_error
        or (report.endpoint and not report.endpoint.answers)
        or (report.ping and not report.ping.ok)
    )
    raise typer.Exit(1 if failed else 0)


def collect_status(settings: Settings, *, start: bool, ping: bool) -> LLMStatus:
    """Build the `status` report; starts (and stops) the embedded server when `start` is set."""
    llm = settings.llm
    if llm.base_url:
        endpoint = asyncio.run(aprobe_endpoint(llm.base_url, llm.api_key.get_secret_value()))
        pinged = _ping(llm, llm.base_url) if ping and endpoint.answers else None
        return LLMStatus(mode="endpoint", model=llm.model, base_url=llm.base_url, endpoint=endpoint, ping=pinged)
    try:
        model_file = resolve_model_file(llm, settings.data_dir)
    except EnvironmentProblem as exc:
        return LLMStatus(mode="embedded", model=llm.model, base_url=None, model_file_error=str(exc))
    if not start:
        return LLMStatus(mode="embedded", model=llm.model, base_url=None, model_file=model_file)
    try:
        with server_for(llm, settings.data_dir) as server:
            url = server.start(llm.startup_timeout_s)
            endpoint = asyncio.run(aprobe_endpoint(url))
            pinged = _ping(llm, url) if ping else None
    except EnvironmentProblem as exc:
        endpoint, pinged, url = EndpointStatus(base_url="(embedded)", answers=False, error=str(exc)), None, None
    return LLMStatus(
        mode="embedded", model=llm.model, base_url=url, model_file=model_file, endpoint=endpoint, ping=pinged
    )


def _ping(llm: LLMSettings, url: str) -> PingResult:
    client = LLMClient.from_settings(Settings(llm=llm.model_copy(update={"base_url": url})))
    reply = asyncio.run(aping(client))
    if reply.error is not None:
        return PingResult(ok=False, latency_s=reply.latency_s, error=f"{reply.error.kind}: {reply.error.message}")
    return PingResult(
        ok=True, latency_s=reply.latency_s, output_tokens=reply.usage.output_tokens if reply.usage else None
    )


def _print_human(report: LLMStatus) -> None:
    data = json.loads(report.model_dump_json())
    typer.echo(f"mode:       {report.mode}")
    typer.echo(f"model:      {report.model}")
    if report.model_file:
        typer.echo(f"model file: {report.model_file.path} ({report.model_file.size_bytes / 1e6:.0f} MB)")
        typer.echo(f"  source:   {report.model_file.source}")
    if report.model_file_error:
        typer.echo(f"model file: ERROR {report.model_file_error}")
    if report.endpoint:
        state = "answers" if report.endpoint.answers else f"does NOT answer ({report.endpoint.error})"
        typer.echo(f"endpoint:   {report.endpoint.base_url} {state}")
        if report.endpoint.models:
            typer.echo(f"  models:   {', '.join(report.endpoint.models)}")
    elif report.mode == "embedded" and not report.model_file_error:
        typer.echo("endpoint:   embedded server not started (--no-start); commands start it on demand")
    if report.ping:
        typer.echo(f"ping:       {'ok' if data['ping']['ok'] else 'FAILED ' + str(data['ping']['error'])}")
