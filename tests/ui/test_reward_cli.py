"""`telerubric score` / `compare`: JSON and text output, verdicts with --explain, exit 1 with one stderr line on an
error result, exit 3 when the LLM cannot start or be reached. The real pipeline runs against the OpenAI stub (valid
structured replies after a fixed delay) over a small KB; `compare` goes through a server (`judge.remote_url`)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.openai_stub import StubServer
from judge import RewardResult
from kb import KnowledgeBase, QueryRecord, RubricRecord, Settings, load_settings
from kb.embedders import Embedder
from tests.judge.adapters.fakes import FakeBackend
from ui.cli.main import app
from ui.server import ServerThread, create_app

QUESTION = "I cannot send MMS picture messages from my phone."


@pytest.fixture(scope="module")
def stub() -> Iterator[StubServer]:
    with StubServer(delay_s=0.0) as running:
        yield running


@pytest.fixture
def data_dir(tmp_path: Path, embedder: Embedder) -> Path:
    where = tmp_path / "kb"
    with KnowledgeBase(load_settings(data_dir=where), embedder=embedder) as kb:
        kb.apply(
            [
                QueryRecord(
                    id="q-mms",
                    text=QUESTION,
                    rubrics=[
                        RubricRecord(id="r-apn", kind="principle", text="The agent checks the APN settings for MMS."),
                        RubricRecord(id="r-data", kind="principle", text="The agent asks whether mobile data is on."),
                    ],
                )
            ]
        )
    return where


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {"TELERUBRIC_DATA_DIR": str(data_dir), "TELERUBRIC_LLM__MAX_RETRIES": "0", **extra}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_score_json_then_text_with_explain(data_dir: Path, stub: StubServer) -> None:
    env = _env(data_dir, TELERUBRIC_LLM__BASE_URL=stub.url, TELERUBRIC_LLM__MODEL="stub")
    runner = CliRunner()
    first = runner.invoke(app, ["score", "--question", QUESTION, "--response", "Check the APN.", "--json"], env=env)
    assert first.exit_code == 0, first.output
    result = RewardResult.model_validate_json(first.stdout)
    assert result.score is not None and result.verdicts and result.error is None

    text = runner.invoke(app, ["score", "--question", QUESTION, "--response", "Check the APN.", "--explain"], env=env)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith("score: ") and "capped: no" in lines[0]
    assert "  principles" in text.stdout and "  tau2        n/a" in text.stdout
    assert "verdicts (" in text.stdout and "judge stub (judge.pointwise@" in text.stdout and "why: " in text.stdout


def test_a_usage_mistake_exits_2(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["score", "--question", QUESTION], env=_env(data_dir))
    assert result.exit_code == 2 and "--response TEXT, or --trajectory FILE" in result.output


def test_an_error_result_exits_1_with_one_line(data_dir: Path, stub: StubServer) -> None:
    stub.set_delay(2.0)
    try:
        env = _env(data_dir, TELERUBRIC_LLM__BASE_URL=stub.url, TELERUBRIC_LLM__TIMEOUT_S="0.3")
        result = CliRunner().invoke(app, ["score", "--question", QUESTION, "--response", "Check the APN."], env=env)
    finally:
        stub.set_delay(0.0)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: timeout at ")
    assert result.stdout.startswith("score: none")


def test_a_dead_endpoint_exits_3(data_dir: Path) -> None:
    env = _env(data_dir, TELERUBRIC_LLM__BASE_URL=f"http://127.0.0.1:{_closed_port()}/v1")
    result = CliRunner().invoke(app, ["score", "--question", QUESTION, "--response", "x", "--json"], env=env)
    assert result.exit_code == 3, result.output
    assert result.stderr.strip().startswith("error: unavailable at ")
    assert RewardResult.model_validate_json(result.stdout).error is not None  # --json still prints the result


def test_a_model_that_cannot_start_exits_3(data_dir: Path, tmp_path: Path) -> None:
    env = _env(data_dir, TELERUBRIC_LLM__GGUF_PATH=str(tmp_path / "missing.gguf"))
    result = CliRunner().invoke(app, ["score", "--question", QUESTION, "--response", "x"], env=env)
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: config at ") and "missing.gguf" in lines[0]


def test_a_trajectory_file_that_is_not_json_is_reported_with_its_line(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text('{\n  "messages": [\n  oops\n}')
    result = CliRunner().invoke(
        app, ["score", "--question", QUESTION, "--trajectory", str(bad), "--task-id", "t1"], env=_env(data_dir)
    )
    assert result.exit_code == 1 and f"{bad}:3: not valid JSON" in result.stderr


@pytest.fixture
def remote(settings: Settings) -> Iterator[str]:
    cfg = settings.model_copy(update={"serve": settings.serve.model_copy(update={"port": 0})})
    with ServerThread(create_app(cfg, FakeBackend()), cfg) as running:
        yield running.url


def test_score_and_compare_through_a_running_server(remote: str, tmp_path: Path) -> None:
    env = {"TELERUBRIC_DATA_DIR": str(tmp_path / "unused"), "TELERUBRIC_JUDGE__REMOTE_URL": remote}
    runner = CliRunner()
    scored = runner.invoke(app, ["score", "--question", "q", "--response", "good answer", "--json"], env=env)
    assert scored.exit_code == 0 and RewardResult.model_validate_json(scored.stdout).score == 1.0

    pair = runner.invoke(app, ["compare", "--question", "q", "--a", "bad", "--b", "good", "--json"], env=env)
    assert pair.exit_code == 0, pair.output
    assert json.loads(pair.stdout)["winner"] == "b"
    text = runner.invoke(app, ["compare", "--question", "q", "--a", "good", "--b", "bad"], env=env)
    assert text.stdout.startswith("better: A")

    failed = runner.invoke(app, ["score", "--question", "q", "--response", "fail"], env=env)
    assert failed.exit_code == 1 and failed.stderr.strip() == "error: timeout at judge: the judge timed out"
