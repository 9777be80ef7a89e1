"""Fixtures for the dataset ingestion tests: the shared data folder and a real knowledge base in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.settings import load_settings
from kb.store import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`$TELERUBRIC_SHARED_DIR`, default `<repo>/../shared`; missing data fails the test with what to do."""
    root = Path(os.environ.get("TELERUBRIC_SHARED_DIR", REPO.parent / "shared"))
    needed = [
        root / "data" / "tau2-telecom" / "tasks.json",
        root / "data" / "tau2-telecom" / "split_tasks.json",
        root / "data" / "teleqna" / "TeleQnA.zip",
    ]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        pytest.fail(
            f"shared data missing: {', '.join(missing)}; set TELERUBRIC_SHARED_DIR to the folder holding "
            "data/tau2-telecom and data/teleqna",
            pytrace=False,
        )
    return root


@pytest.fixture(scope="session")
def tau2_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "tau2-telecom"


@pytest.fixture(scope="session")
def teleqna_zip(shared_dir: Path) -> Path:
    return shared_dir / "data" / "teleqna" / "TeleQnA.zip"


@pytest.fixture()
def kb(tmp_path: Path) -> Iterator[KnowledgeBase]:
    """A real KB (SQLite + milvus-lite + packaged embedder) in tmp_path."""
    with KnowledgeBase(load_settings(data_dir=tmp_path / "kb")) as store:
        yield store
