"""`telerubric score`, `telerubric compare`, `telerubric serve`: one reward, one pairwise judgement, the server.

With `judge.remote_url` set, `score` and `compare` ask that running `telerubric serve` (which holds the KB);
otherwise they open the KB themselves. An error result exits 1 (3 when the LLM cannot be started or reached) with
one stderr line `error: <kind> at <stage>: <message>`; `--json` still prints the full result on stdout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

from judge import COMPONENTS, JudgeErrorKind, PairResult, RemoteRewardModel, RewardBackend, RewardModel, RewardResult
from kb import InputProblem, InputRejected, Settings
from ui.cli.common import cli_errors, settings

T = TypeVar("T")
ENVIRONMENT_KINDS = frozenset({JudgeErrorKind.CONFIG, JudgeErrorKind.UNAVAILABLE})  # exit 3: fix the setup


def _backend(cfg: Settings) -> RewardBackend:
    if cfg.judge.remote_url:
        return RemoteRewardModel(cfg.judge.remote_url, timeout_s=cfg.serve.request_timeout_s)
    return RewardModel(cfg)


def _run(cfg: Settings, call: Callable[[Any], Awaitable[T]]) -> T:
    """Open the backend, run one async call on it, close it."""
    backend = _backend(cfg)

    async def run() -> T:
        try:
            return await call(backend)
        finally:
            aclose = getattr(backend, "aclose", None)
            if aclose is not None:
                await aclose()

    try:
        return asyncio.run(run())
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()


def _read_trajectory(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected([InputProblem(str(path), None, None, f"cannot read the trajectory ({exc})")]) from exc
    except json.JSONDecodeError as exc:
        raise InputRejected([InputProblem(str(path), exc.lineno, None, f"not valid JSON ({exc.msg})")]) from exc
    if not isinstance(data, dict):
        raise InputRejected([InputProblem(str(path), None, None, "expected a JSON object (a τ² trajectory)")])
    return data


def _fail_on_error(result: RewardResult) -> None:
    if result.error is None:
        return
    e = result.error
    typer.echo(f"error: {e.kind} at {e.stage}: {e.message}", err=True)
    raise typer.Exit(3 if e.kind in ENVIRONMENT_KINDS else 1)


def score(
    question: str = typer.Option(..., "--question", help="The customer's request."),
    response: str | None = typer.Option(None, "--response", help="The response to score (text)."),
    trajectory: Path | None = typer.Option(
        None, "--trajectory", exists=True, dir_okay=False, help="A τ²-bench trajectory (JSON) instead of --response."
    ),
    task_id: str | None = typer.Option(None, "--task-id", help="τ² task id of the trajectory."),
    reference: str | None = typer.Option(None, "--reference", help="Expected answer, shown to the judge."),
    as_json: bool = typer.Option(False, "--json", help="Print the RewardResult as one JSON document."),
    explain: bool = typer.Option(False, "--explain", help="Also show every verdict: who decided, and why."),
) -> None:
    """Score one response (or τ² trajectory) to QUESTION: the reward, its components and, with --explain, why."""
    if (response is None) == (trajectory is None):
        raise typer.BadParameter("give --response TEXT, or --trajectory FILE (with --task-id)")
    with cli_errors():
        cfg = settings()
        trajectory_data = _read_trajectory(trajectory) if trajectory is not None else None
        result: RewardResult = _run(
            cfg,
            lambda backend: backend.ascore(
                question, response, trajectory=trajectory_data, task_id=task_id, reference=reference
            ),
        )
    typer.echo(result.model_dump_json(indent=2) if as_json else render_result(result, explain=explain))
    _fail_on_error(result)


def render_result(result: RewardResult, *, explain: bool = False) -> str:
    """Plain-text view: score, capped?, each component; with `explain` each verdict."""
    if result.score is None:
        lines = ["score: none (the reward failed; see the error below)"]
    else:
        lines = [f"score: {result.score:.3f}   capped: {'yes' if result.capped else 'no'}   {result.latency_s:.2f} s"]
    lines.append("components:")
    for key in COMPONENTS:
        value = result.components.get(key)
        lines.append(f"  {key:<11} {'n/a' if value is None else f'{value:.3f}'}")
    if explain:
        lines.append(f"verdicts ({len(result.verdicts)}):")
        for v in result.verdicts:
            who = f"{v.decided_by.kind} {v.decided_by.name}" + (
                f" ({v.decided_by.prompt})" if v.decided_by.prompt else ""
            )
            gate = " gate" if v.gate else ""
            lines.append(f"  [{v.verdict}] {v.kind}{gate} · {v.importance} · w {v.weight:g} · {who}")
            lines.append(f"      {v.text}")
            if v.condition:
                lines.append(f"      only if: {v.condition}")
            lines.append(f"      why: {v.reason}")
        for note in result.notes:
            lines.append(f"note: {note}")
    return "\n".join(lines)


def compare(
    question: str = typer.Option(..., "--question", help="The customer's request."),
    a: str = typer.Option(..., "--a", help="First response."),
    b: str = typer.Option(..., "--b", help="Second response."),
    reference: str | None = typer.Option(None, "--reference", help="Expected answer, shown to the judge."),
    as_json: bool = typer.Option(False, "--json", help="Print the PairResult as one JSON document."),
) -> None:
    """Which of two responses to QUESTION is better (gates first, then the judge in both orders)."""
    with cli_errors():
        cfg = settings()
        result: PairResult = _run(cfg, lambda backend: backend.acompare(question, a, b, reference=reference))
    typer.echo(result.model_dump_json(indent=2) if as_json else render_pair(result))
    if result.error is not None:
        e = result.error
        typer.echo(f"error: {e.kind} at {e.stage}: {e.message}", err=True)
        raise typer.Exit(3 if e.kind in ENVIRONMENT_KINDS else 1)


def render_pair(result: PairResult) -> str:
    """Plain-text view: the better response, whether both orders agreed, who decided and why."""
    better = result.winner.upper() if result.winner else "neither (a tie, orders that disagree, or an error)"
    consistent = {True: "yes", False: "no", None: "n/a"}[result.consistent]
    return f"better: {better}\nboth orders agree: {consistent}\ndecided by: {result.decided_by}\nwhy: {result.reason}"


def serve_command(
    host: str | None = typer.Option(None, "--host", help="Bind address (default serve.host, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default serve.port, 8008; 0 = a free one)."),
) -> None:
    """Serve rewards over HTTP (/score, /score_group, /compare, /get_reward, /health) until Ctrl-C / SIGTERM."""
    from ui.server import serve  # noqa: PLC0415 (uvicorn and fastapi only for this command)

    with cli_errors():
        cfg = settings()
        updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
        cfg = cfg.model_copy(update={"serve": cfg.serve.model_copy(update=updates)})
        typer.echo(
            f"telerubric serve: knowledge base {cfg.data_dir}, LLM {cfg.llm.base_url or 'embedded'} ({cfg.llm.model})",
            err=True,
        )
        serve(cfg)
