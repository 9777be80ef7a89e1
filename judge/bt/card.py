"""The model card of a BT reward-model checkpoint: `card.json` (machine-readable) and `README.md` (for people), written
next to the weights. It records what a reward from this checkpoint depends on: base model, data, split, seed, steps."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from judge.bt.text import TEXT_FORMAT
from kb import ModelFileError

CARD_FILE = "card.json"
README_FILE = "README.md"
CARD_FORMAT = 1


class BTCard(BaseModel, frozen=True):
    """How a Bradley-Terry reward-model checkpoint was trained, and how well it did."""

    format: int = Field(CARD_FORMAT, description="card.json format version.")
    base_model: str = Field(description="Model name or path the scalar head was put on.")
    data: str = Field(description="The pairs spec trained on (file path or builder:path).")
    split: str = Field(description="Which part of the data was trained on (e.g. 'train (held out: lexicon)').")
    held_out_categories: tuple[str, ...] = Field((), description="Categories kept out of training (TeleQnA).")
    seed: int
    pairs_train: int = Field(description="Pairs trained on (after --limit).")
    pairs_skipped: int = Field(0, description="Pairs whose text could not be rendered (left out).")
    pairs_held_out: int = Field(0, description="Held-out pairs available for evaluation.")
    epochs: float
    max_steps: int | None = Field(None, description="Step limit given (None: epochs decide).")
    steps: int = Field(description="Optimizer steps run.")
    batch_size: int = Field(description="Pairs per step.")
    learning_rate: float
    max_length: int = Field(description="Tokens per (request, response) sequence; longer pairs are cut.")
    train_seconds: float = Field(description="Wall time of trainer.train().")
    train_cpu_seconds: float = Field(0.0, description="CPU time of the process during trainer.train() (all threads).")
    threads: int = Field(description="torch CPU threads used.")
    first_loss: float | None = Field(None, description="Loss of the first logged step.")
    final_loss: float | None = Field(None, description="Loss of the last logged step.")
    mean_loss: float | None = Field(None, description="Mean training loss over the run.")
    loss_history: tuple[tuple[int, float], ...] = Field((), description="(step, loss) as logged.")
    held_out_pairs_scored: int = Field(0, description="Held-out pairs scored after training.")
    held_out_accuracy: float | None = Field(None, description="Share of scored held-out pairs with chosen above.")
    checkpoint_bytes: int = Field(0, description="Size of the weights and tokenizer files.")
    versions: dict[str, str] = Field(default_factory=dict, description="torch / transformers / trl versions.")
    text_format: str = Field(TEXT_FORMAT, description="Version of how requests and responses are rendered and cut.")


def read_card(folder: Path) -> BTCard | None:
    """The card of a checkpoint folder; None when it has none (any HF sequence-classification checkpoint scores).

    Raises:
        ModelFileError: card.json exists but cannot be read.
    """
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        return None
    try:
        return BTCard.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a BT model card ({exc}); retrain with `telerubric baseline train`") from exc


def checkpoint_bytes(folder: Path) -> int:
    """Bytes of every file in the checkpoint folder except the card itself."""
    return sum(
        p.stat().st_size for p in Path(folder).rglob("*") if p.is_file() and p.name not in (CARD_FILE, README_FILE)
    )


def write_card(folder: Path, card: BTCard) -> None:
    """Write `card.json` and `README.md` into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CARD_FILE).write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (folder / README_FILE).write_text(readme(card), encoding="utf-8")


def _fmt(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def readme(card: BTCard) -> str:
    """The card as Markdown."""
    accuracy = (
        "not computed"
        if card.held_out_accuracy is None
        else f"{100 * card.held_out_accuracy:.1f}% of {card.held_out_pairs_scored} held-out pairs"
    )
    rows = [
        ("base model", f"`{card.base_model}` + a fresh scalar head (num_labels=1)"),
        ("data", f"`{card.data}`"),
        ("split", card.split),
        ("pairs", f"{card.pairs_train} trained, {card.pairs_held_out} held out, {card.pairs_skipped} skipped"),
        ("seed", str(card.seed)),
        (
            "steps",
            f"{card.steps} (epochs {card.epochs}, max steps {card.max_steps or '—'}, {card.batch_size} pairs/step)",
        ),
        ("learning rate", f"{card.learning_rate:g}"),
        ("max length", f"{card.max_length} tokens"),
        (
            "train time",
            f"{card.train_seconds:.1f} s wall, {card.train_cpu_seconds:.1f} s CPU, {card.threads} thread(s)",
        ),
        ("loss", f"first {_fmt(card.first_loss)}, final {_fmt(card.final_loss)}, mean {_fmt(card.mean_loss)}"),
        ("held-out accuracy", accuracy),
        ("checkpoint size", f"{card.checkpoint_bytes / 1e6:.1f} MB"),
        ("versions", ", ".join(f"{k} {v}" for k, v in sorted(card.versions.items())) or "—"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return (
        "# Bradley-Terry reward model (telerubric baseline)\n\n"
        "A sequence-classification model whose single logit is the reward of a (request, response) pair, trained with "
        "TRL's `RewardTrainer` (loss `-log σ(r_chosen - r_rejected)`). The telerubric score is `σ(logit)`.\n\n"
        "| | |\n|---|---|\n"
        f"{table}\n\n"
        "Score with it: `telerubric baseline score --model <this folder> --question Q --response R`, or set "
        '`judge.backend = "bt"` and `judge.bt_model = "<this folder>"`.\n\n'
        "This checkpoint was trained on preference pairs only: it has no rubric components, and it reads at most "
        f"{card.max_length} tokens of each request and response.\n"
    )
