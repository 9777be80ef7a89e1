"""Training end to end on hand-made pairs: the loss falls, the checkpoint and its card are written, the checkpoint
reloads and ranks chosen above rejected on the pairs it saw; the card's data is faithful; bad inputs raise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge import BTCard, BTRewardModel, BTTrainConfig, read_card, train_bt
from judge.bt import PACKAGED_MINILM
from kb import InputRejected, ModelFileError
from tests.judge.bt.conftest import ROWS, TINY, telecom_pairs


def test_training_lowers_the_loss_and_writes_a_checkpoint(trained: tuple[Path, BTCard]) -> None:
    out, card = trained
    assert card.steps == TINY.max_steps
    assert card.first_loss is not None and card.final_loss is not None
    assert card.final_loss < card.first_loss - 0.05
    assert [step for step, _ in card.loss_history] == list(range(1, TINY.max_steps + 1))
    assert card.held_out_accuracy == 1.0 and card.held_out_pairs_scored == len(ROWS)
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "card.json", "README.md"} <= names
    assert "training_args.bin" not in names  # no pickles left behind
    assert len(json.loads((out / "config.json").read_text())["id2label"]) == 1  # one logit
    assert card.checkpoint_bytes > 50_000_000  # MiniLM's weights (~90 MB in float32)
    assert card.base_model == PACKAGED_MINILM and card.seed == 3 and card.pairs_train == len(ROWS)
    assert read_card(out) == card
    readme = (out / "README.md").read_text()
    assert "tests:hand-made" in readme and "Bradley-Terry" in readme and "100.0% of 6 held-out pairs" in readme


def test_the_checkpoint_reloads_and_prefers_chosen(trained: tuple[Path, BTCard]) -> None:
    out, _ = trained
    with BTRewardModel(out) as model:
        for question, chosen, rejected in ROWS:
            assert model.compare(question, chosen, rejected).winner == "a"
            assert model.compare(question, rejected, chosen).winner == "b"


def test_training_is_seeded(tmp_path: Path) -> None:
    one_step = TINY.model_copy(update={"max_steps": 1, "eval_pairs": 0})
    first = train_bt(telecom_pairs()[:2], tmp_path / "a", one_step, data="x")
    second = train_bt(telecom_pairs()[:2], tmp_path / "a", one_step, data="x")  # overwrites its own checkpoint
    assert first.first_loss is not None and first.first_loss == pytest.approx(second.first_loss, abs=1e-6)
    assert first.held_out_accuracy is None and first.held_out_pairs_scored == 0


def test_an_unknown_base_model_is_an_environment_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot load"):
        train_bt(telecom_pairs(), tmp_path / "m", BTTrainConfig(model=str(tmp_path / "no-such-model")), data="x")


def test_a_folder_that_is_not_a_checkpoint_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InputRejected, match="not a BT checkpoint"):
        train_bt(telecom_pairs(), tmp_path, TINY, data="x")
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_pairs_that_cannot_be_read_are_counted_and_none_left_is_an_error(tmp_path: Path) -> None:
    from judge import PreferencePair

    broken = PreferencePair(id="b", prompt="q", chosen={"no": "calls"}, rejected="r")
    with pytest.raises(InputRejected, match="no trainable pairs"):
        train_bt([broken], tmp_path / "m", TINY, data="x")
