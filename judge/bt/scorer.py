"""`BTRewardModel`: a Bradley-Terry reward-model checkpoint behind the public surface of `judge.RewardModel`
(`ascore`, `ascore_group`, `ascore_batch`, `acompare`, `aclose` and their sync twins).

The checkpoint's single logit is the reward; the score is σ(logit) in [0, 1], the logit is kept in `notes`
(`bt:logit=…`). A BT model has no rubric components: every key of COMPONENTS is present and None. Forward passes are
batched: concurrent calls on one loop are gathered into batches of `batch_size` sequences. A checkpoint that cannot be
loaded, or a response that cannot be read, gives `RewardResult(score=None, error=…)`, never a default score.
torch and transformers are imported when the checkpoint is first loaded, not with the package.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from judge.bt.card import BTCard, read_card
from judge.bt.text import TEXT_FORMAT, encode_pair, response_text
from judge.pairwise_reward import PairResult
from judge.result import COMPONENTS, JudgeError, JudgeErrorKind, RewardResult, Stage
from judge.sync_facade import SyncFacade
from judge.verifiers.outcome import VerifierError
from kb import EnvironmentProblem, ModelFileError, Settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 256  # tokens per (request, response) when the checkpoint has no card
LOGIT_NOTE = "bt:logit="

BTResponse = str | Sequence[Mapping[str, Any]] | Mapping[str, Any] | None


def import_torch() -> tuple[Any, Any]:
    """torch and transformers, imported on demand with hub downloads off (unless HF_HUB_OFFLINE is set otherwise).

    Raises:
        EnvironmentProblem: they are not installed.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import torch  # noqa: PLC0415 - optional extra
        import transformers  # noqa: PLC0415
    except ImportError as exc:
        raise EnvironmentProblem(
            f"the BT reward model needs torch and transformers ({exc}): pip install torch==2.13.0 'telerubric[train]'"
        ) from exc
    return torch, transformers


@contextmanager
def quiet(transformers: Any, datasets: Any = None) -> Iterator[None]:
    """Without transformers' load report (a fresh head reads as a warning), nor its or datasets' progress bars, unless
    the root logger is at DEBUG."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        yield
        return
    log = transformers.utils.logging
    verbosity, bars = log.get_verbosity(), log.is_progress_bar_enabled()
    data_bars = datasets is not None and not datasets.are_progress_bars_disabled()
    log.set_verbosity_error()
    log.disable_progress_bar()
    if data_bars:
        datasets.disable_progress_bars()
    try:
        yield
    finally:
        log.set_verbosity(verbosity)
        if bars:
            log.enable_progress_bar()
        if data_bars:
            datasets.enable_progress_bars()


def sigmoid(x: float) -> float:
    """σ(x) without overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class LoadedBT:
    """A sequence-classification model (num_labels = 1) and its tokenizer, ready to score token sequences."""

    def __init__(self, model: Any, tokenizer: Any, max_length: int, name: str) -> None:
        self.model, self.tokenizer, self.max_length, self.name = model, tokenizer, max_length, name
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        if tokenizer.pad_token_id is None:
            raise ModelFileError(f"{name}: the tokenizer has neither a pad nor an EOS token")

    @classmethod
    def load(cls, path: Path, *, max_length: int | None = None, threads: int | None = None) -> LoadedBT:
        """Load a checkpoint folder (weights + tokenizer; card.json optional).

        Raises:
            ModelFileError: the folder is missing, or holds no loadable one-logit sequence-classification model.
            EnvironmentProblem: torch / transformers are not installed.
        """
        path = Path(path)
        if not path.is_dir():
            raise ModelFileError(f"{path}: no such checkpoint folder; train one with `telerubric baseline train`")
        card = read_card(path)
        torch, transformers = import_torch()
        if threads:
            torch.set_num_threads(threads)
        try:
            with quiet(transformers):
                tokenizer = transformers.AutoTokenizer.from_pretrained(str(path))
                model = transformers.AutoModelForSequenceClassification.from_pretrained(str(path), dtype=torch.float32)
        except Exception as exc:  # noqa: BLE001 - whatever a corrupt folder raises (OSError, safetensors, json)
            raise ModelFileError(
                f"{path}: cannot load a sequence-classification checkpoint ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); train one with `telerubric baseline train`"
            ) from exc
        if model.config.num_labels != 1:
            raise ModelFileError(f"{path}: the model has {model.config.num_labels} labels; a reward model has 1")
        model.eval()
        if card is not None and card.text_format != TEXT_FORMAT:
            logger.warning("%s was trained on text format %s; this version renders format %s: retrain for best "
                           "results", path, card.text_format, TEXT_FORMAT)  # fmt: skip
        length = max_length or (card.max_length if card else None) or DEFAULT_MAX_LENGTH
        return cls(model, tokenizer, length, path.name)

    def encode(self, prompt: str, response: str) -> list[int]:
        return encode_pair(self.tokenizer, prompt, response, self.max_length)

    def logits(self, sequences: Sequence[list[int]], batch_size: int = 16) -> list[float]:
        """One logit per token sequence; batches of similar length, right-padded (as TRL's collator pads)."""
        torch, _ = import_torch()
        out = [0.0] * len(sequences)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        pad = self.tokenizer.pad_token_id
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                for start in range(0, len(order), batch_size):
                    chunk = order[start : start + batch_size]
                    width = max(len(sequences[i]) for i in chunk)
                    ids = torch.full((len(chunk), width), pad, dtype=torch.long)
                    mask = torch.zeros((len(chunk), width), dtype=torch.long)
                    for row, i in enumerate(chunk):
                        seq = sequences[i]
                        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                        mask[row, : len(seq)] = 1
                    device = next(self.model.parameters()).device
                    values = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, 0]
                    for i, v in zip(chunk, values.float().cpu().tolist(), strict=True):
                        out[i] = float(v)
        finally:
            self.model.train(was_training)
        return out


class _Batcher:
    """Gathers the sequences of concurrent calls on one event loop into batched forward passes (one at a time)."""

    def __init__(self, run: Callable[[list[list[int]]], list[float]], size: int) -> None:
        self._run, self._size = run, size
        self._queue: list[tuple[list[int], asyncio.Future[float]]] = []
        self._worker: asyncio.Future[None] | None = None

    async def logits(self, sequences: list[list[int]]) -> list[float]:
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[float]] = [loop.create_future() for _ in sequences]
        self._queue.extend(zip(sequences, futures, strict=True))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.ensure_future(self._drain())
        return list(await asyncio.gather(*futures))

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let the callers of this tick enqueue
        while self._queue:
            batch = [(ids, f) for ids, f in self._queue[: self._size] if not f.done()]
            del self._queue[: self._size]
            if not batch:
                continue
            try:
                values = await asyncio.to_thread(self._run, [ids for ids, _ in batch])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller, which turns it into a value
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for (_, future), value in zip(batch, values, strict=True):
                    if not future.done():
                        future.set_result(value)


class _Item(Protocol):
    """What `ascore_batch` reads from each item (`judge.ScoreItem` has these fields)."""

    request: str
    response: Any
    trajectory: Any
    task_id: str | None
    reference: str | None


class BTRewardModel(SyncFacade):
    """Rewards from a Bradley-Terry reward-model checkpoint. Use as a context manager (or call `close`).

    Args:
        path: checkpoint folder (`telerubric baseline train --out` writes one; any HF one-logit
            sequence-classification checkpoint works).
        batch_size: sequences per forward pass.
        max_length: tokens per (request, response); default: the card's, else 256.
        threads: torch CPU threads (default: torch's own choice).
    """

    _loop_name = "telerubric-bt"

    def __init__(
        self,
        path: Path | str,
        *,
        batch_size: int = 16,
        max_length: int | None = None,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be ≥ 1, got {batch_size}")
        self.path = Path(path)
        self.batch_size, self._max_length, self._threads = batch_size, max_length, threads
        self._loaded: LoadedBT | None = None
        self._load_error: JudgeError | None = None
        self._load_lock = threading.Lock()
        self._forward_lock = threading.Lock()
        self._batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = weakref.WeakKeyDictionary()

    @classmethod
    def from_settings(cls, settings: Settings) -> BTRewardModel:
        """The model `settings.judge.bt_model` names.

        Raises:
            ModelFileError: `judge.bt_model` is not set.
        """
        if settings.judge.bt_model is None:
            raise ModelFileError(
                "judge.backend = 'bt' needs judge.bt_model (TELERUBRIC_JUDGE__BT_MODEL): a checkpoint folder written "
                "by `telerubric baseline train`"
            )
        return cls(settings.judge.bt_model)

    @property
    def model_id(self) -> str:
        return f"bt:{self.path.name}"

    @property
    def card(self) -> BTCard | None:
        """The checkpoint's card (None without one). Raises ModelFileError on an unreadable card."""
        return read_card(self.path)

    def load(self) -> LoadedBT:
        """Load the checkpoint now (otherwise it loads on the first score).

        Raises:
            ModelFileError: the checkpoint cannot be loaded.
            EnvironmentProblem: torch / transformers are not installed.
        """
        with self._load_lock:
            if self._loaded is None:
                self._loaded = LoadedBT.load(self.path, max_length=self._max_length, threads=self._threads)
            return self._loaded

    def _ensure(self) -> LoadedBT | JudgeError:
        if self._loaded is not None:
            return self._loaded
        if self._load_error is not None:
            return self._load_error
        try:
            return self.load()
        except EnvironmentProblem as exc:  # ModelFileError is one: every later call gets the same error value
            logger.warning("BT reward model %s: %s", self.path, exc)
            self._load_error = JudgeError(kind=JudgeErrorKind.CONFIG, stage=Stage.JUDGE, message=str(exc))
            return self._load_error

    def _forward(self, sequences: list[list[int]]) -> list[float]:
        loaded = self._loaded
        if loaded is None:
            raise RuntimeError("the BT reward model is not loaded")
        with self._forward_lock:  # torch already uses every core: one forward pass at a time
            return loaded.logits(sequences, self.batch_size)

    def _batcher(self) -> _Batcher:
        loop = asyncio.get_running_loop()
        batcher = self._batchers.get(loop)
        if batcher is None:
            batcher = self._batchers[loop] = _Batcher(self._forward, self.batch_size)
        return batcher

    # async core -------------------------------------------------------------------------------------------------
    async def alogits(
        self,
        request: str,
        responses: Sequence[BTResponse],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
    ) -> list[float | JudgeError]:
        """The raw logit of each response to `request`, or the error that kept it from being scored."""
        loaded = self._loaded or await asyncio.to_thread(self._ensure)
        if isinstance(loaded, JudgeError):
            return [loaded for _ in responses]
        if not request.strip():
            error = JudgeError(kind=JudgeErrorKind.INPUT, stage=Stage.JUDGE, message="the request is empty")
            return [error for _ in responses]
        out: list[float | JudgeError] = []
        encoded: list[list[int]] = []
        for response in responses:
            try:
                if response is None and trajectory is None:
                    raise VerifierError("nothing to judge: give a response (text or chat messages) or a trajectory")
                text = response_text(response, trajectory=trajectory, task_id=task_id)
                encoded.append(loaded.encode(request, text))
                out.append(0.0)
            except (VerifierError, ValueError) as exc:
                out.append(JudgeError(kind=JudgeErrorKind.INPUT, stage=Stage.JUDGE, message=str(exc)))
        if encoded:
            try:
                values = iter(await self._batcher().logits(encoded))
            except Exception as exc:  # the per-item boundary: a forward-pass fault is a value, never a crash
                logger.exception("BT forward pass over %d sequences failed", len(encoded))
                error = JudgeError(
                    kind=JudgeErrorKind.INTERNAL, stage=Stage.JUDGE, message=f"{type(exc).__name__}: {exc}"
                )
                return [error for _ in responses]
            out = [next(values) if not isinstance(o, JudgeError) else o for o in out]
        return out

    async def ascore(
        self,
        request: str,
        response: BTResponse = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult:
        """The reward of one response (text, chat messages or a τ² trajectory) to `request`."""
        return (await self.ascore_group(request, [response], trajectory=trajectory, task_id=task_id,
                                        reference=reference))[0]  # fmt: skip

    async def ascore_group(
        self,
        request: str,
        responses: Sequence[BTResponse],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]:
        """All rollouts of one prompt, in one batched forward pass. `reference` is not read (noted on the result)."""
        started = time.perf_counter()
        logits = await self.alogits(request, responses, trajectory=trajectory, task_id=task_id)
        latency = time.perf_counter() - started
        extra = ("bt: the reference answer is not read by a BT reward model",) if reference else ()
        return [self._result(v, latency, extra) for v in logits]

    async def ascore_batch(self, items: Sequence[_Item]) -> list[RewardResult]:
        """Many independent items (e.g. `judge.ScoreItem`s); their forward passes are batched together."""
        return list(
            await asyncio.gather(
                *(
                    self.ascore(
                        i.request, i.response, trajectory=i.trajectory, task_id=i.task_id, reference=i.reference
                    )  # fmt: skip
                    for i in items
                )
            )
        )

    async def acompare(self, request: str, a: BTResponse, b: BTResponse, *, reference: str | None = None) -> PairResult:
        """The response with the higher logit; None on an exact tie or an error. Order-free, so `consistent` is None."""
        la, lb = await self.alogits(request, [a, b])
        error = la if isinstance(la, JudgeError) else lb if isinstance(lb, JudgeError) else None
        if error is not None:
            return PairResult(winner=None, consistent=None, decided_by="none", reason="", error=error)
        la, lb = float(la), float(lb)  # type: ignore[arg-type]
        winner = "a" if la > lb else "b" if lb > la else None
        return PairResult(
            winner=winner,
            consistent=None,
            decided_by=self.model_id,
            reason=f"logit a {la:.4f} vs b {lb:.4f}" + (" (tie)" if winner is None else ""),
        )

    def _result(self, value: float | JudgeError, latency: float, extra: tuple[str, ...]) -> RewardResult:
        if isinstance(value, JudgeError):
            return RewardResult.failed(value.kind, value.stage, value.message, latency_s=latency)
        return RewardResult(
            score=sigmoid(value),
            components=dict.fromkeys(COMPONENTS),
            latency_s=latency,
            notes=(f"{LOGIT_NOTE}{value:.6f}", f"bt:model={self.path}", *extra),
        )

    async def aclose(self) -> None:
        """Drop the model (async callers that never used the sync facade)."""
        self._loaded = None

    def close(self) -> None:
        """Stop the loop and drop the model."""
        self._stop_loop()
        self._loaded = None


def logit_of(result: RewardResult) -> float | None:
    """The raw BT logit a result carries in its notes (None on an error or a result from another backend)."""
    for note in result.notes:
        if note.startswith(LOGIT_NOTE):
            return float(note[len(LOGIT_NOTE) :])
    return None
