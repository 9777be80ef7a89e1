"""``telerubric verify tau2`` through typer's CliRunner."""

# ruff: noqa: F811  (pytest fixtures imported from test_tau2_support are redefined as parameters)

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.judge.verifiers.test_tau2_support import tau2_dir  # noqa: F401
from ui.cli.verify_cmd import verify_app

runner = CliRunner()


def test_cli_writes_one_line_per_input_and_a_summary(tau2_dir: Path, tmp_path: Path) -> None:
    src = tau2_dir / "oracle" / "edge_cases.jsonl.gz"
    out = tmp_path / "out" / "results.jsonl"
    result = runner.invoke(
        verify_app, ["tau2", "--tasks", str(tau2_dir), "--trajectories", str(src), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 32
    with gzip.open(src, "rt") as fh:  # the oracle README says 10; the rows hold 11
        expected = [json.loads(x)["reward"] for x in fh]
    assert [x["reward"] for x in lines] == expected
    for key in (
        "task_id",
        "reward",
        "components",
        "assertion_results",
        "action_checks",
        "collateral_damage",
        "collateral_paths",
    ):
        assert key in lines[0]
    assert "reward = 1" in result.stdout and "collateral damage" in result.stdout


def test_cli_bad_trajectory_line_is_one_error_line(tau2_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "x", "calls": []}\n{nope\n')
    result = runner.invoke(
        verify_app, ["tau2", "--tasks", str(tau2_dir), "--trajectories", str(bad), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1
    assert f"error: {bad}:2: invalid JSON" in result.output


def test_cli_missing_task_files_is_an_error(tmp_path: Path, tau2_dir: Path) -> None:
    shutil.copy(tau2_dir / "tasks.json", tmp_path / "tasks.json")
    traj = tmp_path / "t.jsonl"
    traj.write_text("")
    result = runner.invoke(
        verify_app, ["tau2", "--tasks", str(tmp_path), "--trajectories", str(traj), "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1 and "db.toml: file not found" in result.output


def test_cli_verifies_from_the_kb_after_ingestion(tau2_dir: Path, tmp_path: Path) -> None:
    from ui.cli.main import app

    src = tau2_dir / "oracle" / "edge_cases.jsonl.gz"
    with gzip.open(src, "rt") as fh:
        rows = [json.loads(x) for x in fh]
    wanted = {r["task_id"] for r in rows}
    folder = tmp_path / "mine"
    folder.mkdir()
    tasks = [t for t in json.loads((tau2_dir / "tasks.json").read_text()) if t["id"] in wanted]
    (folder / "tasks.json").write_text(json.dumps(tasks))  # the base DBs stay where they are: --db / --user-db
    data_dir = ["--data-dir", str(tmp_path / "kb")]
    dbs = ["--db", str(tau2_dir / "db.toml"), "--user-db", str(tau2_dir / "user_db.toml")]
    missing = runner.invoke(app, [*data_dir, "ingest", "tau2", str(folder), "--db", str(folder / "nope.toml")])
    assert missing.exit_code == 1 and "nope.toml: file not found" in missing.output
    ingested = runner.invoke(app, [*data_dir, "ingest", "tau2", str(folder), *dbs, "--json"])
    assert ingested.exit_code == 0, ingested.output
    assert str(tau2_dir / "user_db.toml") in json.loads(ingested.stdout)["files"]
    out = tmp_path / "results.jsonl"
    result = runner.invoke(
        app, [*data_dir, "verify", "tau2", "--from-kb", "--trajectories", str(src), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["reward"] for x in out.read_text().splitlines()] == [r["reward"] for r in rows]


def test_cli_needs_exactly_one_task_source(tau2_dir: Path, tmp_path: Path) -> None:
    traj = tmp_path / "t.jsonl"
    traj.write_text("")
    args = ["tau2", "--trajectories", str(traj), "--out", str(tmp_path / "o.jsonl")]
    assert runner.invoke(verify_app, args).exit_code == 2
    both = runner.invoke(verify_app, [*args, "--tasks", str(tau2_dir), "--from-kb"])
    assert both.exit_code == 2 and "either --tasks DIR or --from-kb" in both.output
