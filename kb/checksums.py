"""The one sha256 check for packaged model files (their uploaders are anonymous, so every file is checked)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from kb.errors import ModelFileError

logger = logging.getLogger(__name__)
_CHUNK = 8 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 8 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, remedy: str, *, marker: Path | None = None) -> None:
    """Raise `ModelFileError` (saying `remedy`) unless `path` hashes to `expected`.

    With `marker`, a file that recorded the same path, size, mtime and hash skips the hashing (a 1 GB GGUF
    takes seconds to hash); the marker is written after a successful check.
    """
    if marker is not None and marker.is_file():
        try:
            if json.loads(marker.read_text()) == _stamp(path, expected):
                return
        except (OSError, ValueError):
            pass
    logger.info("verifying sha256 of %s", path)
    actual = sha256_file(path)
    if actual != expected:
        raise ModelFileError(f"{path} has sha256 {actual}, expected {expected}; {remedy}")
    if marker is not None:
        write_marker(path, expected, marker)


def _stamp(path: Path, sha256: str) -> dict[str, object]:
    st = path.stat()
    return {"v": 1, "path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def write_marker(path: Path, sha256: str, marker: Path) -> None:
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        tmp = marker.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_stamp(path, sha256)))
        os.replace(tmp, marker)
    except OSError as exc:  # a read-only data dir only costs a re-hash next time
        logger.warning("cannot write hash marker %s: %s", marker, exc)
