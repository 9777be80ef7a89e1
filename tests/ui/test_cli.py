"""The CLI through typer's CliRunner: exit codes, one-line errors, stable --json documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ui.cli.main import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a runner function
    monkeypatch.chdir(tmp_path)  # no stray telerubric.toml from the repo
    runner = CliRunner()
    data = tmp_path / "kb"

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["--data-dir", str(data), *args])

    return invoke


def test_ingest_search_stats_round_trip_with_json(run, examples_dir: Path) -> None:  # noqa: ANN001
    ingested = run("ingest", "expert", str(examples_dir / "expert_rubrics.jsonl"), "--json")
    assert ingested.exit_code == 0, ingested.output
    summary = json.loads(ingested.stdout)
    assert summary["queries"]["added"] == 5 and summary["rejected"] == []
    found = run("search", "picture messages fail", "--k", "2", "--collection", "queries", "--json")
    hits = json.loads(found.stdout)
    assert found.exit_code == 0 and hits[0]["id"] == "ex-q-mms-1"
    assert set(hits[0]) == {
        "collection",
        "id",
        "score",
        "text",
        "tags",
        "source",
        "kind",
        "status",
        "similarity",
        "dense_rank",
        "bm25_rank",
    }
    stats = json.loads(run("kb", "stats", "--json").stdout)
    assert stats["collections"]["query_rubrics"]["sql_rows"] == 5
    assert stats["rubrics_by_kind"] == {"hard_rule": 5, "principle": 10, "tool_call": 4}
    doctor = run("kb", "doctor", "--json")
    assert doctor.exit_code == 0 and all(not c["missing"] for c in json.loads(doctor.stdout)["collections"])


def test_rejected_input_exits_1_with_one_line_per_problem(run, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "kind": "nope"}\n')
    result = run("ingest", "expert", str(bad))
    assert result.exit_code == 1
    assert f"error: {bad}:1: kind:" in result.stderr and "Traceback" not in result.output


def test_config_show_masks_secrets(run, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TELERUBRIC_LLM__API_KEY", "sk-very-secret")
    monkeypatch.setenv("TELERUBRIC_RETRIEVAL__K_QUERIES", "7")
    result = run("config", "show", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 0 and "sk-very-secret" not in result.stdout
    assert data["llm"]["api_key"] == "**********" and data["retrieval"]["k_queries"] == 7


def test_toml_file_is_read_and_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kb.settings import load_settings

    config = tmp_path / "custom.toml"
    config.write_text("seed = 5\n[retrieval]\nk_queries = 3\nk_rubrics = 4\n")
    monkeypatch.setenv("TELERUBRIC_CONFIG", str(config))
    monkeypatch.setenv("TELERUBRIC_RETRIEVAL__K_RUBRICS", "9")
    cfg = load_settings()
    assert (cfg.seed, cfg.retrieval.k_queries, cfg.retrieval.k_rubrics) == (5, 3, 9)


def test_a_bad_setting_is_a_usage_error_not_a_traceback(run, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TELERUBRIC_RETRIEVAL__K_QUERIES", "many")
    result = run("config", "show")
    assert result.exit_code == 2 and "retrieval.k_queries" in result.stderr


def test_the_data_dir_option_reaches_every_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--data-dir` travels in typer's context object (not an environment variable) to the command's settings."""
    monkeypatch.delenv("TELERUBRIC_DATA_DIR", raising=False)
    where = tmp_path / "elsewhere"
    result = CliRunner().invoke(app, ["--data-dir", str(where), "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["data_dir"] == str(where)
