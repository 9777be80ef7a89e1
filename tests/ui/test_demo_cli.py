"""`telerubric demo-score`: the main job's scoring step on a small KB built from the shared data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from ingest import ingest_tau2, ingest_teleqna
from kb import Embedder, KnowledgeBase, load_settings
from ui.cli.main import app


def test_demo_score_prints_four_breakdowns(
    tau2_dir: Path, teleqna_zip: Path, embedder: Embedder, tmp_path: Path
) -> None:
    tasks = [t for t in json.loads((tau2_dir / "tasks.json").read_text()) if t["id"].count("|") >= 2][:3]
    folder = tmp_path / "tau2"
    folder.mkdir()
    (folder / "tasks.json").write_text(json.dumps(tasks))
    for name in ("db.toml", "user_db.toml"):
        shutil.copy(tau2_dir / name, folder / name)
    data_dir = tmp_path / "kb"
    with KnowledgeBase(load_settings(data_dir=data_dir), embedder=embedder) as kb:
        ingest_tau2(kb, folder)
        ingest_teleqna(kb, teleqna_zip, sample=5, seed=0)
    env = {"TELERUBRIC_DATA_DIR": str(data_dir), "TELERUBRIC_JUDGE__USE_LLM": "false"}
    result = CliRunner().invoke(app, ["demo-score"], env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "-- right answer" in out and "-- wrong answer" in out and "text not shown" in out
    right = next(line for line in out.splitlines() if line.startswith("-- right answer"))
    wrong = next(line for line in out.splitlines() if line.startswith("-- wrong answer"))
    assert "score 1.00" in right and "score 0.00" in wrong
    gold = next(line for line in out.splitlines() if line.startswith("-- gold trajectory"))
    broken = next(line for line in out.splitlines() if line.startswith("-- broken"))
    assert "score 1.00" in gold and "tau2 1.00" in gold
    assert "score 0.00 (capped by a gate)" in broken and "tau2 0.00" in broken
