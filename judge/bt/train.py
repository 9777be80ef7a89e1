"""Training a Bradley-Terry reward model on preference pairs with TRL's `RewardTrainer`: a sequence-classification
model with one logit (default: the packaged all-MiniLM-L6-v2 with a fresh scalar head), loss
`-log σ(r_chosen - r_rejected)`, seeded, on the CPU. Pairs are tokenized here (`judge.bt.text.encode_pair`, the same
encoding the scorer uses) and handed to TRL as a processed dataset (`chosen_ids` / `rejected_ids`).

torch, transformers, datasets and trl (the `train` extra) are imported when training starts.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from judge.bt.card import CARD_FILE, BTCard, checkpoint_bytes, write_card
from judge.bt.scorer import LoadedBT, import_torch, quiet
from judge.bt.text import encode_pair, response_text
from judge.pairs import PreferencePair
from judge.verifiers.outcome import VerifierError
from kb import (
    EnvironmentProblem,
    InputProblem,
    InputRejected,
    ModelFileError,
    NoProgress,
    Progress,
    packaged_minilm_dir,
)

logger = logging.getLogger(__name__)

PACKAGED_MINILM = "packaged:all-MiniLM-L6-v2"  # what the card records for the default base model


class BTTrainConfig(BaseModel, frozen=True):
    """Knobs of one BT training run (CPU defaults: a few minutes for a few thousand pairs on 2 cores)."""

    model: str | None = Field(None, description="HF model name or local path; None = the packaged all-MiniLM-L6-v2.")
    epochs: float = Field(1.0, gt=0, description="Passes over the training pairs (max_steps wins when set).")
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps.")
    batch_size: int = Field(16, ge=1, description="Pairs per step (2× sequences per forward pass).")
    learning_rate: float = Field(5e-5, gt=0)
    seed: int = 0
    max_length: int = Field(256, ge=16, le=8192, description="Tokens per (request, response) sequence.")
    threads: int | None = Field(None, ge=1, description="torch CPU threads (None: torch's default).")
    eval_pairs: int = Field(200, ge=0, description="Held-out pairs scored after training (0 = none).")


def packaged_minilm() -> Path:
    """The default BT base model: the packaged all-MiniLM-L6-v2 (a BERT checkpoint). Raises `ModelFileError`."""
    return packaged_minilm_dir()


def _import_train() -> tuple[Any, Any, Any, Any]:
    torch, transformers = import_torch()
    try:
        import datasets  # noqa: PLC0415 - optional extra
        import trl  # noqa: PLC0415
    except ImportError as exc:
        raise EnvironmentProblem(
            f"training needs the `train` extra ({exc}): pip install torch==2.13.0 'telerubric[train]'"
        ) from exc
    return torch, transformers, datasets, trl


def encode_pairs(
    tokenizer: Any, pairs: Sequence[PreferencePair], max_length: int
) -> tuple[list[list[int]], list[list[int]], list[str]]:
    """(chosen ids, rejected ids, ids of the pairs left out because a response could not be read)."""
    chosen, rejected, skipped = [], [], []
    for pair in pairs:
        try:
            c = response_text(pair.chosen, task_id=pair.task_id)
            r = response_text(pair.rejected, task_id=pair.task_id)
        except VerifierError as exc:
            logger.warning("pair %s left out: %s", pair.id, exc)
            skipped.append(pair.id)
            continue
        chosen.append(encode_pair(tokenizer, pair.prompt, c, max_length))
        rejected.append(encode_pair(tokenizer, pair.prompt, r, max_length))
    return chosen, rejected, skipped


def held_out_accuracy(loaded: LoadedBT, pairs: Sequence[PreferencePair], batch_size: int = 32) -> float | None:
    """Share of pairs whose chosen response gets the higher logit (ties count as wrong); None without pairs."""
    chosen, rejected, _ = encode_pairs(loaded.tokenizer, pairs, loaded.max_length)
    if not chosen:
        return None
    logits = loaded.logits(chosen + rejected, batch_size)
    n = len(chosen)
    return sum(logits[i] > logits[n + i] for i in range(n)) / n


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / CARD_FILE).is_file())):
        raise InputRejected(
            [InputProblem(str(out), None, None, "exists and is not a BT checkpoint folder; give a new or empty folder")]
        )


class _Steps:
    """A `transformers.TrainerCallback` (built lazily) that records the loss and advances a progress sink."""

    @staticmethod
    def make(transformers: Any, progress: Progress, losses: list[tuple[int, float]]) -> Any:
        class StepsCallback(transformers.TrainerCallback):
            def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                progress.start(int(state.max_steps), "train BT reward model (steps)")

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                progress.advance(1)

            def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
                if logs and "loss" in logs:
                    losses.append((int(state.global_step), float(logs["loss"])))

            def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                progress.close()

        return StepsCallback()


def train_bt(
    pairs: Sequence[PreferencePair],
    out: Path | str,
    config: BTTrainConfig | None = None,
    *,
    data: str,
    split: str = "all",
    held_out: Sequence[PreferencePair] = (),
    held_out_categories: Sequence[str] = (),
    progress: Progress | None = None,
) -> BTCard:
    """Train on `pairs`, write the checkpoint (model + tokenizer) and its card (`card.json`, `README.md`) into `out`,
    and score the first `config.eval_pairs` of `held_out` with it.

    Args:
        pairs: the training pairs (already limited / sampled by the caller).
        out: checkpoint folder (new, empty, or an earlier BT checkpoint to overwrite).
        data: the pairs spec, recorded on the card.
        split: which part of the data `pairs` is, recorded on the card.
        held_out: pairs kept out of training, for the held-out accuracy.

    Raises:
        InputRejected: no pair can be trained on, or `out` is some other folder.
        ModelFileError: the base model cannot be loaded.
        EnvironmentProblem: the `train` extra is not installed.
    """
    cfg = config or BTTrainConfig()
    out = Path(out)
    _check_out(out)
    progress = progress or NoProgress()
    torch, transformers, datasets, trl = _import_train()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    base = cfg.model or str(packaged_minilm())
    transformers.set_seed(cfg.seed)  # seeds the fresh head too
    try:
        with quiet(transformers):
            tokenizer = transformers.AutoTokenizer.from_pretrained(base)
            model = transformers.AutoModelForSequenceClassification.from_pretrained(
                base, num_labels=1, dtype=torch.float32
            )
    except Exception as exc:  # noqa: BLE001 - any load failure: a missing / uncached / corrupt model
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(
            f"cannot load {base!r} as a sequence-classification model ({first}); give a local checkpoint folder or a "
            "model already in the Hugging Face cache (downloads are off unless HF_HUB_OFFLINE=0)"
        ) from exc
    loaded = LoadedBT(model, tokenizer, cfg.max_length, out.name)  # sets a pad token when the tokenizer has none
    model.config.pad_token_id = tokenizer.pad_token_id

    chosen, rejected, skipped = encode_pairs(tokenizer, pairs, cfg.max_length)
    if not chosen:
        raise InputRejected([InputProblem(data, None, None, f"no trainable pairs ({len(skipped)} could not be read)")])
    dataset = datasets.Dataset.from_dict({"chosen_ids": chosen, "rejected_ids": rejected})
    losses: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory(prefix="telerubric-bt-") as scratch:
        args = trl.RewardConfig(
            output_dir=scratch,
            per_device_train_batch_size=cfg.batch_size,
            num_train_epochs=cfg.epochs,
            max_steps=cfg.max_steps or -1,
            learning_rate=cfg.learning_rate,
            seed=cfg.seed,
            data_seed=cfg.seed,
            max_length=cfg.max_length,
            logging_steps=1,
            save_strategy="no",
            report_to="none",
            use_cpu=True,
            bf16=False,
            fp16=False,
            activation_checkpointing=False,  # transformers 5's name (TRL defaults the old one to True)
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        with quiet(transformers, datasets):
            trainer = trl.RewardTrainer(
                model=model,
                args=args,
                train_dataset=dataset,
                processing_class=tokenizer,
                callbacks=[_Steps.make(transformers, progress, losses)],
            )
        for callback in (transformers.trainer_callback.PrinterCallback, transformers.trainer_callback.ProgressCallback):
            trainer.remove_callback(callback)  # both write the log dicts to stdout
        started, cpu_started = time.perf_counter(), time.process_time()
        result = trainer.train()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        if out.exists():  # an earlier BT checkpoint (checked above): replaced only now that training succeeded
            shutil.rmtree(out)
        out.mkdir(parents=True)
        with quiet(transformers):
            trainer.save_model(str(out))
            tokenizer.save_pretrained(str(out))
        (out / "training_args.bin").unlink(missing_ok=True)  # a pickle of the scratch run's args; the card says it
    logger.info("BT reward model: %d steps in %.1f s, written to %s", result.global_step, seconds, out)

    scored = list(held_out[: cfg.eval_pairs])
    accuracy = held_out_accuracy(loaded, scored) if scored else None
    card = BTCard(
        base_model=PACKAGED_MINILM if cfg.model is None else cfg.model,
        data=data,
        split=split,
        held_out_categories=tuple(held_out_categories),
        seed=cfg.seed,
        pairs_train=len(chosen),
        pairs_skipped=len(skipped),
        pairs_held_out=len(held_out),
        epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        steps=int(result.global_step),
        batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate,
        max_length=cfg.max_length,
        train_seconds=round(seconds, 2),
        train_cpu_seconds=round(cpu_seconds, 2),
        threads=int(torch.get_num_threads()),
        first_loss=losses[0][1] if losses else None,
        final_loss=losses[-1][1] if losses else None,
        mean_loss=float(result.training_loss) if result.training_loss is not None else None,
        loss_history=tuple(losses),
        held_out_pairs_scored=len(scored) if accuracy is not None else 0,
        held_out_accuracy=accuracy,
        checkpoint_bytes=checkpoint_bytes(out),
        versions={"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__},
    )
    write_card(out, card)
    return card
