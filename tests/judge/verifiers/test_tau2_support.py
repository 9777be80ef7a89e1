"""Fixtures and helpers shared by the τ² telecom verifier tests (imported by each test module)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from judge.verifiers.tau2 import Tau2TaskSet, Tau2Verifier, load_tasks

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
