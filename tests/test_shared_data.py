"""Missing shared data: a failure under CI, a skip with the reason and the command elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared_data import require


def test_missing_data_fails_under_ci_and_skips_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELERUBRIC_SHARED_DIR", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="checkout a2c024725189473d2d7cea3a5cfdbcc67478e41f"):
        require("data/tau2-telecom/tasks.json")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match=r"git clone .*TeleQnA.*d7ee5e3a"):
        require("data/teleqna/TeleQnA.zip")
    (tmp_path / "data" / "teleqna").mkdir(parents=True)
    (tmp_path / "data" / "teleqna" / "TeleQnA.zip").write_bytes(b"zip")
    assert require("data/teleqna/TeleQnA.zip") == tmp_path
