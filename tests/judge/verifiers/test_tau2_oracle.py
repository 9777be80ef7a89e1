"""Replay every oracle row and agree with tau2-bench on rewards, components, checks and calls."""

# ruff: noqa: F811  (pytest fixtures imported from test_tau2_support are redefined as parameters)

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from judge.verifiers.tau2 import Tau2Verifier, read_trajectories
from judge.verifiers.tau2.environment import TelecomEnvironment
from tests.judge.verifiers.test_tau2_support import (  # noqa: F401
    compare_with_oracle,
    read_oracle,
    task_set,
    tau2_dir,
    verifier,
)


def _compare(verifier: Tau2Verifier, folder: Path, name: str) -> tuple[int, Counter, dict]:
    rows = read_oracle(folder, name)
    trajectories = list(read_trajectories(folder / "oracle" / name))
    assert len(trajectories) == len(rows)
    bad, first = compare_with_oracle(verifier.verify_many(trajectories), rows)
    return len(rows), bad, first


@pytest.mark.parametrize(
    ("name", "count"),
    [("gold.jsonl.gz", 2285), ("empty.jsonl.gz", 2285), ("edge_cases.jsonl.gz", 32)],
)
def test_oracle_file_agrees(verifier: Tau2Verifier, tau2_dir: Path, name: str, count: int) -> None:
    n, bad, first = _compare(verifier, tau2_dir, name)
    assert n == count
    assert not bad, f"{name}: disagreements {dict(bad)}; first of each: {first}"


@pytest.mark.slow
def test_drop_one_agrees(verifier: Tau2Verifier, tau2_dir: Path) -> None:
    n, bad, first = _compare(verifier, tau2_dir, "drop_one.jsonl.gz")
    assert n == 13215
    assert not bad, f"drop_one: disagreements {dict(bad)}; first of each: {first}"


def test_gold_rows_have_no_collateral_damage(verifier: Tau2Verifier, tau2_dir: Path) -> None:
    results = list(verifier.verify_many(read_trajectories(tau2_dir / "oracle" / "gold.jsonl.gz")))
    assert len(results) == 2285
    assert all(r.reward == 1.0 for r in results)
    assert not [r.task_id for r in results if r.collateral_damage or r.collateral_paths]


def test_init_results_match_oracle(verifier: Tau2Verifier, tau2_dir: Path) -> None:
    bad = []
    for row in read_oracle(tau2_dir, "gold.jsonl.gz"):
        env = TelecomEnvironment(verifier.tasks.base_state.clone())
        env.sync()
        for call in row["init_calls"]:
            got = env.run_env_function(call["env_type"], call["func_name"], dict(call["arguments"]))
            got = list(got) if isinstance(got, tuple) else got
            if got != call["result"]:
                bad.append((row["task_id"], call["func_name"], got, call["result"]))
    assert not bad, bad[:3]
