"""`telerubric export sft` through typer's CliRunner: exit codes, the --json report, the files and dataset_info.json,
all written into tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.export import ExportMeta
from ui.cli.main import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a runner function
    monkeypatch.chdir(tmp_path)  # no stray telerubric.toml from the repo
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["--data-dir", str(tmp_path / "kb"), *args])

    return invoke


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_generator_export_of_an_expert_kb(run, tmp_path: Path, examples_dir: Path) -> None:  # noqa: ANN001
    ingested = run("ingest", "expert", "--status", "approved", str(examples_dir / "expert_rubrics.jsonl"))
    assert ingested.exit_code == 0, ingested.output
    out, held = tmp_path / "sft" / "generator.jsonl", tmp_path / "sft" / "generator_eval.jsonl"
    args = ["--what", "generator", "--format", "sharegpt", "--out", str(out), "--held-out-out", str(held)]
    result = run("export", "sft", *args, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = _rows(out)
    assert report["rows"] == len(rows) == 5 and report["held_out_rows"] == 0 and held.read_text() == ""
    assert report["by_source"] == {"kb:expert": 5} and report["what"] == "generator"
    for row in rows:
        meta = ExportMeta.model_validate(row["metadata"])
        assert meta.prompt == "retrieval.synthesis@4" and meta.split == "train"
        assert row["conversations"][0]["from"] == "human" and row["conversations"][0]["value"].startswith("<request>")
        assert json.loads(row["conversations"][1]["value"])["items"]
        assert not set(meta.query_ids) & set(meta.offered_ids)
    info = json.loads((tmp_path / "sft" / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["generator"]["file_name"] == "generator.jsonl" and info["generator_eval"]["formatting"] == "sharegpt"
    assert report["dataset_info"] == [str(tmp_path / "sft" / "dataset_info.json")]


def test_judge_export_from_tau2_pairs(run, tmp_path: Path, tau2_dir: Path) -> None:  # noqa: ANN001
    from datasets import load_dataset

    out = tmp_path / "judge.jsonl"
    args = ["--what", "judge", "--format", "alpaca", "--out", str(out), "--pairs", f"tau2:{tau2_dir}"]
    result = run("export", "sft", *args, "--limit", "25", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 25 and report["sources"] == ["tau2"] and report["by_source"] == {"tau2-train": 25}
    ds = load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == 25 and set(ds.column_names) == {"instruction", "input", "output", "system", "metadata"}
    assert all(json.loads(o)["verdicts"] for o in ds["output"])
    test_split = json.loads((tau2_dir / "split_tasks.json").read_text(encoding="utf-8"))["test"]
    assert {m["task_id"] for m in ds["metadata"]}.isdisjoint(test_split)
    plain = run("export", "sft", *args, "--limit", "3")
    assert plain.exit_code == 0 and plain.stdout.startswith("3 judge examples (alpaca)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--what", "judge", "--format", "messages"], "needs verified pairs"),
        (["--what", "judge", "--format", "messages", "--pairs", "pairs.jsonl"], "teleqna:ZIP or tau2:DIR"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(run, tmp_path: Path, args: list[str], message: str) -> None:  # noqa: ANN001
    result = run("export", "sft", *args, "--out", str(tmp_path / "x.jsonl"))
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "x.jsonl").exists()
