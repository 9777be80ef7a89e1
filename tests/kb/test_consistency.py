"""SQL stays the source of truth: doctor finds drift, repair fixes it, a killed ingestion recovers on rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from ingest.expert.job import ingest_expert_files
from kb.settings import Settings
from kb.store import KnowledgeBase
from kb.vectors import Collection

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs once per backend (tests/kb/conftest.py)."""
    return backend_settings


def test_doctor_detects_a_row_deleted_behind_the_stores_back_and_repair_restores_it(
    kb: KnowledgeBase, examples_dir: Path
) -> None:
    ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"])
    assert kb.doctor().clean
    kb.index.delete(Collection.RUBRICS, ["ex-std-identity"])
    report = kb.doctor()
    drift = {c.collection: c for c in report.collections}["rubrics"]
    assert not report.clean and drift.missing == ["ex-std-identity"]
    fixed = kb.doctor(fix=True)
    assert fixed.clean and fixed.repaired
    assert kb.search("identify the customer before account data", k=1)[0].id == "ex-std-identity"


def test_doctor_finds_stale_and_extra_rows(kb: KnowledgeBase, examples_dir: Path) -> None:
    ingest_expert_files(kb, [examples_dir / "expert_rubrics.jsonl"])
    from kb.vectors import IndexRow

    vector = kb.embedder.embed(["ghost"])
    kb.index.upsert(
        Collection.RUBRICS, [IndexRow(id="ghost", text="ghost", index_hash="x", tags=(), source="x")], vector
    )
    kb.index.upsert(
        Collection.RUBRICS,
        [IndexRow(id="ex-std-transfer", text="old", index_hash="old", tags=(), source="expert")],
        vector,
    )
    drift = {c.collection: c for c in kb.doctor().collections}["rubrics"]
    assert drift.extra == ["ghost"] and drift.stale == ["ex-std-transfer"]
    assert kb.doctor(fix=True).clean


def _big_file(path: Path, n: int) -> None:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"gen-{i}",
                        "text": f"The agent checks setting number {i} of the phone and "
                        f"explains step {i % 17} to the user.",
                        "kind": "principle",
                    }
                )
                + "\n"
            )


def _cli(settings: Settings, backend_env: dict[str, str], *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), **backend_env}
    return subprocess.Popen(
        [sys.executable, "-m", "ui.cli.main", "--data-dir", str(settings.data_dir), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_during_ingestion_leaves_a_kb_that_a_rerun_makes_consistent(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "big.jsonl"
    _big_file(path, 3000)
    proc = _cli(settings, settings_env, "ingest", "expert", str(path))
    engine = create_engine(settings.resolved_sql_url)
    deadline = time.monotonic() + 240
    indexed = 0
    while time.monotonic() < deadline and proc.poll() is None:  # wait until indexing is under way
        try:
            with engine.connect() as con:
                indexed = con.execute(text("select count(*) from rubric where indexed_hash is not null")).scalar_one()
        except DBAPIError:  # no table yet: the CLI is still creating the schema
            indexed = 0
        if indexed >= 256:
            break
        time.sleep(0.05)
    engine.dispose()
    assert proc.poll() is None, "ingestion finished before it could be killed; use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < indexed < 3000
    rerun = _cli(settings, settings_env, "ingest", "expert", str(path))
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read() if rerun.stderr else ""
    doctor = _cli(settings, settings_env, "kb", "doctor", "--json")
    out, err = doctor.communicate(timeout=300)
    assert doctor.returncode == 0, out + err
    report = json.loads(out)
    assert all(not c["missing"] and not c["extra"] and not c["stale"] for c in report["collections"])
    assert {c["collection"]: c["index_rows"] for c in report["collections"]}["rubrics"] == 3000
