"""`telerubric ui`: the Streamlit command line it runs, the settings it passes through the environment, and a KB
held by another process refused before anything starts."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kb.lock import ProcessLock
from ui.cli import ui_cmd
from ui.cli.main import app


class FakePopen:
    """Records what would have been started; the page 'exits' at once with code 0."""

    started: list[tuple[list[str], dict[str, str]]] = []

    def __init__(self, command: list[str], env: dict[str, str], **_: Any) -> None:
        FakePopen.started.append((command, env))

    def wait(self) -> int:
        return 0

    def send_signal(self, _signum: int) -> None:
        pass


@pytest.fixture
def fake_popen(monkeypatch: pytest.MonkeyPatch) -> type[FakePopen]:
    FakePopen.started = []
    monkeypatch.setattr(ui_cmd.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(ui_cmd.signal, "signal", lambda *_: None)  # CliRunner runs in this process
    return FakePopen


def test_ui_runs_streamlit_on_loopback_with_the_data_dir_and_read_only(
    tmp_path: Path, fake_popen: type[FakePopen], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TELERUBRIC_UI__READ_ONLY", "TELERUBRIC_DATA_DIR"):  # --data-dir alone must name the KB
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "kb"), "ui", "--port", "8765", "--read-only"])
    assert result.exit_code == 0, result.output
    ((command, env),) = fake_popen.started
    assert command[1:5] == ["-m", "streamlit", "run", str(ui_cmd.APP)] and Path(command[4]).is_file()
    flags = dict(zip(command[5::2], command[6::2], strict=True))
    assert flags["--server.address"] == "127.0.0.1" and flags["--server.port"] == "8765"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"
    assert env["TELERUBRIC_DATA_DIR"] == str(tmp_path / "kb") and env["TELERUBRIC_UI__READ_ONLY"] == "true"
    assert "read-only" in result.output


def test_ui_refuses_a_kb_held_by_another_process(tmp_path: Path, fake_popen: type[FakePopen]) -> None:
    data = tmp_path / "kb"
    with ProcessLock(data / "kb.lock"):
        result = CliRunner().invoke(app, ["--data-dir", str(data), "ui"])
    assert result.exit_code == 3
    assert "is in use by process" in result.output and "kb serve" in result.output
    assert fake_popen.started == []


def test_the_streamlit_module_is_there() -> None:
    found = subprocess.run([*ui_cmd.streamlit_command("127.0.0.1", 1)[:3], "--version"], capture_output=True, text=True)
    assert found.returncode == 0 and "Streamlit" in found.stdout
