"""`telerubric baseline train / score` through typer's CliRunner: the card as JSON, one stderr line and the exit code
on errors; TeleQnA trains on its train categories only (the held-out ones stay for `telerubric eval --held-out`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from judge import BTCard, write_pairs
from tests.judge.bt.conftest import ROWS, telecom_pairs
from ui.cli.baseline_cmd import TrainingData
from ui.cli.eval_cmd import load_pair_source
from ui.cli.main import app


def _env(tmp_path: Path) -> dict[str, str]:
    return {"TELERUBRIC_DATA_DIR": str(tmp_path / "kb"), "TELERUBRIC_SEED": "5"}


def test_train_a_pairs_file(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    write_pairs(telecom_pairs(), pairs)
    out = tmp_path / "model"
    args = ["baseline", "train", str(pairs), "--out", str(out), "--max-steps", "2", "--batch-size", "4"]
    args += ["--max-length", "48", "--threads", "1", "--limit", "4", "--json"]
    result = CliRunner().invoke(app, args, env=_env(tmp_path))
    assert result.exit_code == 0, result.stderr
    card = BTCard.model_validate_json(result.stdout)  # exactly one JSON document on stdout
    assert card.steps == 2 and card.pairs_train == 4 and card.seed == 5 and card.data == str(pairs)
    assert card.split == "all pairs, a sample of 4" and card.held_out_accuracy is None
    assert json.loads((out / "card.json").read_text()) == json.loads(result.stdout)


def test_score_with_a_checkpoint(trained: tuple[Path, BTCard], tmp_path: Path) -> None:
    question, good, _ = ROWS[1]
    runner = CliRunner()
    args = ["baseline", "score", "--model", str(trained[0]), "--question", question, "--response", good]
    as_json = runner.invoke(app, [*args, "--json"], env=_env(tmp_path))
    assert as_json.exit_code == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    assert 0 <= result["score"] <= 1 and result["error"] is None and any("bt:logit=" in n for n in result["notes"])
    text = runner.invoke(app, args, env=_env(tmp_path))
    assert text.exit_code == 0 and "score: " in text.stdout and "logit: " in text.stdout


def test_errors_are_one_line_with_an_exit_code(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(
        app, ["baseline", "score", "--model", str(tmp_path / "none"), "--question", "q", "--response", "r"],
        env=_env(tmp_path),
    )  # fmt: skip
    assert missing.exit_code == 3
    assert missing.stderr.strip().splitlines() == [missing.stderr.strip()]
    assert missing.stderr.startswith("error: config at judge: ") and "telerubric baseline train" in missing.stderr
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep")
    pairs = tmp_path / "pairs.jsonl"
    write_pairs(telecom_pairs(), pairs)
    taken = runner.invoke(app, ["baseline", "train", str(pairs), "--out", str(tmp_path / "busy")], env=_env(tmp_path))
    assert taken.exit_code == 1 and "not a BT checkpoint folder" in taken.stderr
    bad_file = runner.invoke(app, ["baseline", "train", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m")],
                             env=_env(tmp_path))  # fmt: skip
    assert bad_file.exit_code == 1 and bad_file.stderr.startswith("error: ")


def test_teleqna_trains_on_its_train_categories_only(teleqna_zip: Path) -> None:
    spec = f"teleqna:{teleqna_zip}"
    data = TrainingData(spec, seed=0)
    train_categories = {p.category for p in data.train}
    assert data.categories and not train_categories & set(data.categories)
    assert {p.category for p in data.held_out} == set(data.categories)
    assert [p.id for p in data.held_out[:200]] == [p.id for p in load_pair_source(spec, held_out=True, seed=0)[:200]]
    assert len(data.train) + len(data.held_out) == len(load_pair_source(spec, seed=0))
    assert "held out, seed 0" in data.split


def test_tau2_trains_on_its_train_split_unless_the_spec_names_one(tau2_dir: Path) -> None:
    """`telerubric eval tau2:DIR` judges the test split: training on it by default would score the model on its
    own training pairs."""
    data = TrainingData(f"tau2:{tau2_dir}", seed=0)
    train_tasks = {p.task_id for p in data.train}
    assert data.split == "τ² train split" and train_tasks and not data.held_out
    assert not train_tasks & {p.task_id for p in load_pair_source(f"tau2:{tau2_dir}", seed=0)}  # the test split
    named = TrainingData(f"tau2:{tau2_dir}:test", seed=0)
    assert named.split == "τ² test split" and {p.task_id for p in named.train}.isdisjoint(train_tasks)


def test_eval_with_the_bt_backend(tmp_path: Path, trained: tuple[Path, BTCard]) -> None:
    """`telerubric eval` judges with the BT model when the settings say so, and the report says which judge it was."""
    pairs = tmp_path / "pairs.jsonl"
    write_pairs(telecom_pairs(), pairs)
    env = {**_env(tmp_path), "TELERUBRIC_JUDGE__BACKEND": "bt", "TELERUBRIC_JUDGE__BT_MODEL": str(trained[0])}
    args = ["eval", str(pairs), "--out", str(tmp_path / "out"), "--mode", "pointwise", "--json"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["config"]["backend"] == "bt" and report["config"]["model"] == f"bt:{trained[0].name}"
    assert report["overall"]["accuracy"] == 1.0  # the six training pairs, each scored by the BT model
    assert "pointwise/bt baseline" in (tmp_path / "out" / "summary.md").read_text()
