"""The model card: card.json round-trips, README.md says what a reader needs, a broken card is an environment error."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge import BTCard, read_card
from judge.bt import write_card
from kb import ModelFileError

CARD = BTCard(
    base_model="packaged:all-MiniLM-L6-v2",
    data="teleqna:TeleQnA.zip",
    split="train categories (held out, seed 0: lexicon)",
    held_out_categories=("lexicon",),
    seed=0,
    pairs_train=100,
    pairs_held_out=40,
    epochs=1.0,
    steps=7,
    batch_size=16,
    learning_rate=5e-5,
    max_length=256,
    train_seconds=12.5,
    threads=2,
    first_loss=0.69,
    final_loss=0.41,
    held_out_pairs_scored=40,
    held_out_accuracy=0.825,
    checkpoint_bytes=91_000_000,
)


def test_the_card_round_trips_and_reads_well(tmp_path: Path) -> None:
    write_card(tmp_path, CARD)
    assert read_card(tmp_path) == CARD
    readme = (tmp_path / "README.md").read_text()
    for expected in ("teleqna:TeleQnA.zip", "lexicon", "82.5% of 40 held-out pairs", "91.0 MB", "0.6900", "0.4100"):
        assert expected in readme


def test_no_card_and_a_broken_card(tmp_path: Path) -> None:
    assert read_card(tmp_path) is None
    (tmp_path / "card.json").write_text("{}")
    with pytest.raises(ModelFileError, match="card.json: not a BT model card"):
        read_card(tmp_path)
