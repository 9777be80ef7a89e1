"""A BT checkpoint through the evaluation harness's metrics: score both responses of each pair (batched), one
`PairOutcome` per pair (ids and scores only, never pair text), then the harness's `report_of`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from judge.bt.scorer import BTRewardModel, sigmoid
from judge.bt.text import response_text
from judge.pairs import PreferencePair
from judge.verifiers.outcome import VerifierError
from kb import NoProgress, Progress

if TYPE_CHECKING:
    from judge.evaluation import EvalReport, PairOutcome

CHUNK = 64  # pairs scored per batch of forward passes


def evaluate_bt(
    model: BTRewardModel,
    pairs: Sequence[PreferencePair],
    *,
    pairs_source: str = "",
    seed: int = 0,
    progress: Progress | None = None,
) -> EvalReport:
    """Accuracy, ROC-AUC and per-category breakdowns of `model` on `pairs` (pointwise: σ(logit) of each response).

    Raises:
        ModelFileError: the checkpoint cannot be loaded.
    """
    from judge.evaluation import EvalConfig, EvalMode, RubricSource, report_of  # noqa: PLC0415 - no import cycle

    loaded = model.load()
    progress = progress or NoProgress()
    progress.start(len(pairs), f"eval {model.model_id}")
    started = time.perf_counter()
    outcomes: list[PairOutcome] = []
    try:
        for start in range(0, len(pairs), CHUNK):
            chunk = pairs[start : start + CHUNK]
            t0 = time.perf_counter()
            sequences: list[list[int]] = []
            readable: list[PreferencePair] = []
            errors: dict[str, str] = {}
            for pair in chunk:
                try:
                    texts = [response_text(r, task_id=pair.task_id) for r in (pair.chosen, pair.rejected)]
                except VerifierError as exc:
                    errors[pair.id] = f"input: {exc}"
                    continue
                sequences += [loaded.encode(pair.prompt, t) for t in texts]
                readable.append(pair)
            logits = loaded.logits(sequences, model.batch_size) if sequences else []
            each = (time.perf_counter() - t0) / max(1, len(chunk))
            values = iter(zip(logits[0::2], logits[1::2], strict=True))
            for pair in chunk:
                if pair.id in errors:
                    outcomes.append(_outcome(pair, None, None, errors[pair.id], model.model_id, each))
                    continue
                c, r = next(values)
                outcomes.append(_outcome(pair, c, r, None, model.model_id, each))
            progress.advance(len(chunk))
    finally:
        progress.close()
    config = EvalConfig(
        backend="bt",
        mode=EvalMode.POINTWISE,
        rubrics=RubricSource.NONE,
        granularity="response",
        use_llm=False,
        model=model.model_id,
        pairs_source=pairs_source,
        seed=seed,
    )
    return report_of(outcomes, config, time.perf_counter() - started)


def _outcome(
    pair: PreferencePair, chosen: float | None, rejected: float | None, error: str | None, by: str, latency: float
) -> PairOutcome:
    from judge.evaluation import PairOutcome  # noqa: PLC0415

    preferred = None
    if error is None and chosen is not None and rejected is not None:
        preferred = "chosen" if chosen > rejected else "rejected" if rejected > chosen else "tie"
    return PairOutcome(
        pair_id=pair.id,
        category=pair.category,
        difficulty=pair.difficulty,
        group=pair.group,
        decisive=pair.decisive,
        preferred=preferred,
        chosen_score=None if chosen is None else sigmoid(chosen),
        rejected_score=None if rejected is None else sigmoid(rejected),
        decided_by=by,
        error=error,
        latency_s=round(latency, 4),
    )
