"""``telerubric verify tau2``: replay trajectories, write one JSON line each, print a summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from judge import Tau2Result, Tau2Verifier, load_tasks, read_trajectories
from kb import EnvironmentProblem
from ui.cli.common import cli_errors, open_kb

verify_app = typer.Typer(help="Programmatic verifiers.", no_args_is_help=True)


@verify_app.callback()
def _group() -> None:
    """Programmatic verifiers (kept a command group even with one command)."""


def _progress(items: Iterable[Tau2Result]) -> Iterator[Tau2Result]:
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc="tau2 replay", unit="traj", file=sys.stderr)


def render_summary(results: list[Tau2Result], seconds: float) -> str:
    """A plain-text table of counts and rates over the scored trajectories."""
    scored = [r for r in results if r.reward is not None]
    n = len(scored)

    def rate(k: int, of: int) -> str:
        return f"{k:>7}  {k / of:6.1%}" if of else f"{k:>7}       -"

    action_rows = [r for r in scored if "ACTION" in r.reward_basis]
    rows = [
        ("trajectories", f"{len(results):>7}"),
        ("errors (not scored)", f"{len(results) - n:>7}"),
        ("reward = 1", rate(sum(r.reward == 1.0 for r in scored), n)),
        ("mean reward", f"{sum(r.reward or 0.0 for r in scored) / n:>7.3f}" if n else "      -"),
        ("ENV_ASSERTION = 1", rate(sum(r.env_assertion == 1.0 for r in scored), n)),
        ("ACTION = 1 (ACTION in basis)", rate(sum(r.action == 1.0 for r in action_rows), len(action_rows))),
        ("collateral damage", rate(sum(bool(r.collateral_damage) for r in scored), n)),
        ("reward gated by damage", f"{sum(r.reward_gated_by_collateral for r in scored):>7}"),
        ("content mismatches (calls)", f"{sum(r.content_mismatches for r in scored):>7}"),
        ("trajectories / s", f"{len(results) / seconds:>7.0f}" if seconds > 0 else "      -"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


@verify_app.command("tau2")
def tau2(
    trajectories: Annotated[Path, typer.Option("--trajectories", help="Trajectories: .jsonl, .jsonl.gz or .json.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL, one result per input trajectory.")],
    tasks: Annotated[
        Path | None, typer.Option("--tasks", help="Folder with tasks.json, db.toml and user_db.toml.")
    ] = None,
    from_kb: Annotated[
        bool,
        typer.Option(
            "--from-kb", help="Read each task from the knowledge base (as `telerubric ingest tau2` stored it)."
        ),
    ] = False,
    tasks_file: Annotated[Path | None, typer.Option("--tasks-file", help="tasks.json elsewhere than --tasks.")] = None,
    db_file: Annotated[Path | None, typer.Option("--db", help="db.toml elsewhere than --tasks.")] = None,
    user_db_file: Annotated[Path | None, typer.Option("--user-db", help="user_db.toml elsewhere than --tasks.")] = None,
    gate_on_collateral: Annotated[
        bool, typer.Option(help="Reward 0 when the agent DB differs from the gold replay.")
    ] = False,
    strict: Annotated[bool, typer.Option(help="Abort scoring (error) when a recorded write result differs.")] = False,
    phone_tools_as_user: Annotated[
        bool, typer.Option(help="Treat unmarked calls to phone tools as user-side calls.")
    ] = False,
    with_calls: Annotated[
        bool, typer.Option(help="Include each replayed call (content, error flag) in the output.")
    ] = False,
    with_state_diff: Annotated[bool, typer.Option(help="Include the final state diff (oracle format).")] = False,
) -> None:
    """Replay τ²-bench telecom trajectories and score them as tau2-bench does (tasks from --tasks or --from-kb)."""
    if (tasks is None) == (not from_kb):
        raise typer.BadParameter("give either --tasks DIR or --from-kb")
    options = {"gate_on_collateral": gate_on_collateral, "strict": strict, "with_state_diff": with_state_diff}
    with cli_errors():
        if from_kb:
            with open_kb(progress=False) as kb:
                _verify(Tau2Verifier.from_kb(kb, **options), trajectories, out, phone_tools_as_user, with_calls)
            return
        task_set = load_tasks(tasks, tasks_file=tasks_file, db_file=db_file, user_db_file=user_db_file)
        _verify(Tau2Verifier(task_set, **options), trajectories, out, phone_tools_as_user, with_calls)


def _verify(verifier: Tau2Verifier, trajectories: Path, out: Path, phone_tools_as_user: bool, with_calls: bool) -> None:
    """Replay every trajectory, write one JSON line each, print the summary and any error lines."""
    with_state_diff = verifier.with_state_diff
    exclude = {"calls"} if not with_calls else set()
    if not with_state_diff:
        exclude.add("final_state_diff")
    exclude |= {"agent_db_hash", "user_db_hash"}
    results: list[Tau2Result] = []
    start = time.perf_counter()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            stream = read_trajectories(trajectories, phone_tools_as_user=phone_tools_as_user)
            for result in _progress(verifier.verify_many(stream)):
                fh.write(result.model_dump_json(exclude=exclude) + "\n")
                results.append(result.model_copy(update={"calls": [], "final_state_diff": None}))
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {out}: {exc.strerror}; choose a writable --out path") from None
    typer.echo(render_summary(results, time.perf_counter() - start))
    for r in results:
        if r.error:
            typer.echo(f"warning: {r.source or r.task_id}: {r.error}", err=True)
