"""Two processes share one embedded KB through `kb serve` (milvus-lite's server on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from kb.serve import StoreServer
from kb.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_two_clients_share_a_served_store(settings: Settings, examples_dir: Path) -> None:
    server = StoreServer(settings)
    uri = server.start()
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO), "TELERUBRIC_MILVUS_URI": uri}
        base = [sys.executable, "-m", "ui.cli.main", "--data-dir", str(settings.data_dir)]
        ingest = subprocess.run(
            [*base, "ingest", "expert", str(examples_dir / "expert_rubrics.jsonl")],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ingest.returncode == 0, ingest.stderr
        search = subprocess.run(
            [*base, "search", "no service since this morning", "--json", "--k", "1", "--collection", "queries"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert search.returncode == 0, search.stderr
        assert json.loads(search.stdout)[0]["id"] == "ex-q-service-1"
    finally:
        server.stop()
