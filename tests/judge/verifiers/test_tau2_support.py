"""Fixtures and helpers shared by the τ² telecom verifier tests (imported by each test module)."""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from judge.verifiers.tau2 import Tau2Result, Tau2TaskSet, Tau2Verifier, load_tasks

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def tau2_dir() -> Path:
    """The τ²-bench telecom data folder under ``$TELERUBRIC_SHARED_DIR`` (default ``<repo>/../shared``)."""
    shared = Path(os.environ.get("TELERUBRIC_SHARED_DIR", REPO.parent / "shared"))
    folder = shared / "data" / "tau2-telecom"
    if not (folder / "tasks.json").is_file() or not (folder / "oracle").is_dir():
        pytest.fail(
            f"τ²-bench telecom data not found at {folder}: set TELERUBRIC_SHARED_DIR to the folder "
            "holding data/tau2-telecom/ (tasks.json, db.toml, user_db.toml, oracle/)"
        )
    return folder


@pytest.fixture(scope="session")
def task_set(tau2_dir: Path) -> Tau2TaskSet:
    return load_tasks(tau2_dir)


@pytest.fixture(scope="session")
def verifier(task_set: Tau2TaskSet) -> Tau2Verifier:
    return Tau2Verifier(task_set, with_state_diff=True, with_hashes=True)


def read_oracle(folder: Path, name: str) -> list[dict[str, Any]]:
    """All rows of one oracle file."""
    with gzip.open(folder / "oracle" / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def compare_with_oracle(results: Iterable[Tau2Result], rows: list[dict[str, Any]]) -> tuple[Counter, dict]:
    """Disagreements with oracle rows per field (results from a verifier with state diffs and hashes on)."""
    bad: Counter = Counter()
    first: dict = {}
    for result, row in zip(results, rows, strict=True):
        checks = {
            "reward": (result.reward, row["reward"]),
            "components": (result.components, row["components"]),
            "assertion_results": ([a.met for a in result.assertion_results], row["assertion_results"]),
            "action_checks": ([a.matched for a in result.action_checks], row["action_checks"]),
            "action_all_matched": (result.action == 1.0, row["action_all_matched"]),
            "calls": (
                [(c.content, c.error) for c in result.calls],
                [(c["content"], c["error"]) for c in row["calls"]],
            ),
            "content_mismatches": (result.content_mismatches, 0),
            "agent_db_match_gold_replay": (not result.collateral_damage, row["agent_db_match_gold_replay"]),
            "user_db_match_gold_replay": (result.user_db_matches_gold_replay, row["user_db_match_gold_replay"]),
            "pred_agent_db_hash": (result.agent_db_hash, row["pred_agent_db_hash"]),
            "pred_user_db_hash": (result.user_db_hash, row["pred_user_db_hash"]),
            "final_state_diff": (result.final_state_diff, row["final_state_diff"]),
        }
        for key, (ours, theirs) in checks.items():
            if ours != theirs:
                bad[key] += 1
                first.setdefault(key, (row["task_id"], ours, theirs))
    return bad, first
