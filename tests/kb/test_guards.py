"""Guards that keep a KB safe: one process at a time, schema versions, one embedding model per collection."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from kb.embedders import Embedder
from kb.errors import EmbedderMismatch, KBLocked, SchemaTooNew
from kb.records import RubricRecord
from kb.settings import Settings
from kb.sql import SCHEMA_VERSION_KEY, set_meta
from kb.store import KnowledgeBase

REPO = Path(__file__).resolve().parents[2]


def test_a_second_process_gets_a_clear_immediate_error(kb: KnowledgeBase, settings: Settings) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli.main", "--data-dir", str(settings.data_dir), "kb", "stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3
    assert f"in use by process {os.getpid()}" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60


def test_once_closed_another_process_can_open_it(settings: Settings, embedder: Embedder) -> None:
    """Closing releases the folder for real: milvus-lite's in-process server held it until the process ended."""
    with KnowledgeBase(settings, embedder=embedder) as store:
        store.apply([RubricRecord(id="r-closed", text="The agent checks the APN settings.", kind="principle")])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "ui.cli.main", "--data-dir", str(settings.data_dir), "kb", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"rubrics"' in proc.stdout


def test_the_same_process_cannot_open_it_twice(kb: KnowledgeBase, settings: Settings) -> None:
    with pytest.raises(KBLocked):
        KnowledgeBase(settings)


def test_a_newer_schema_is_refused(settings: Settings, embedder: Embedder) -> None:
    with KnowledgeBase(settings, embedder=embedder) as store, Session(store.engine) as session:
        set_meta(session, SCHEMA_VERSION_KEY, "999")
        session.commit()
    for _ in range(2):  # the second try fails on the schema again, not on a lock left by the first
        with pytest.raises(SchemaTooNew, match="schema version 999"):
            KnowledgeBase(settings, embedder=embedder)


class _OtherModel:
    model_id = "some-other-model"
    dimension = 384

    def embed(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(0)
        v = rng.normal(size=(len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_searching_with_another_embedder_is_refused(settings: Settings, embedder: Embedder) -> None:
    with KnowledgeBase(settings, embedder=embedder) as store:
        store.apply([RubricRecord(text="The agent checks the APN.", kind="principle")])
    with KnowledgeBase(settings, embedder=_OtherModel()) as store:
        with pytest.raises(EmbedderMismatch, match="kb rebuild"):
            store.search("APN")
        store.rebuild()
        assert store.search("APN", k=1)[0].text == "The agent checks the APN."
