"""The one sha256 checker: hashes, markers that skip re-hashing, and the error it raises."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kb import ModelFileError, checksums
from kb.checksums import verify_sha256


def test_hash_marker_skips_rehash_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + b"x" * 100)
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    marker = tmp_path / "m.gguf.sha256-ok"
    verify_sha256(path, expected, "reinstall X", marker=marker)
    assert marker.is_file()

    def no_hashing(_: Path) -> str:
        raise AssertionError("re-hashed despite a valid marker")

    monkeypatch.setattr(checksums, "sha256_file", no_hashing)
    verify_sha256(path, expected, "reinstall X", marker=marker)  # marker hit: no hashing

    monkeypatch.undo()
    path.write_bytes(b"GGUF" + b"y" * 100)  # same size, new content and mtime
    os.utime(path, ns=(1, 1))
    with pytest.raises(ModelFileError, match="expected .*reinstall X"):
        verify_sha256(path, expected, "reinstall X", marker=marker)
