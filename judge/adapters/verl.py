"""verl: `compute_score` for the reward loop (async, one sample per call) and `compute_score_batch` for the
legacy batch manager.

verl passes no prompt, so the request travels in the dataset row:

    reward_model.ground_truth = '{"request": "...", "task_id": null, "reference": "..."}'   # JSON text or a dict
    extra_info = {"request": "...", ...}   # optional; fills what ground_truth leaves out ("question" also works)

A plain-text `ground_truth` is the reference answer (then `extra_info` must name the request). `extra_info` may
carry a per-sample τ² `trajectory`. Returned for every sample, with the same keys (verl takes the key set from the
first sample): `score`, every component of `judge.COMPONENTS`, and `reward_error` (1.0 when the reward failed).
All values are finite; see `judge.adapters.neutral` for how errors and not-applicable components are filled
without inventing a signal (verl's GRPO/GDPO advantages are plain `torch.mean`/`torch.std`, which a NaN poisons).

    custom_reward_function.path=<site-packages>/judge/adapters/verl.py  custom_reward_function.name=compute_score
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from judge.adapters.neutral import FLAT_KEYS, flatten_group
from judge.adapters.runtime import adapter_runtime
from judge.adapters.target import RewardTarget, read_target, require_request

VERL_KEYS = FLAT_KEYS


def verl_target(ground_truth: Any, extra_info: Any) -> RewardTarget:
    """The request, task id, reference (and trajectory) of one verl row.

    Raises:
        AdapterInputError: the row names no request, or a field has the wrong type.
    """
    target = read_target(ground_truth, source="ground_truth").merged(read_target(extra_info, source="extra_info"))
    require_request(target, source="ground_truth / extra_info")
    return target


async def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    **kwargs: Any,
) -> dict[str, float]:
    """verl reward loop (`reward.reward_manager.name=naive|dapo|gdpo|rate_limited|remote`): one sample.

    Concurrent calls for the same request are scored as one group (one rubric set). Returns
    `{"score", <COMPONENTS>, "reward_error"}`, all floats.
    """
    target = verl_target(ground_truth, extra_info)
    results, index = await adapter_runtime().asubmit(target, solution_str)
    return flatten_group(results)[index].as_dict()


def compute_score_batch(
    data_sources: Sequence[str | None],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    **kwargs: Any,
) -> list[dict[str, float]]:
    """verl legacy batch manager (`reward_model.reward_manager=batch`): every sample of the batch, grouped by
    request. Same dict per sample as `compute_score`."""
    extras = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    if not len(solution_strs) == len(ground_truths) == len(extras):
        raise ValueError(
            f"verl passed {len(solution_strs)} solutions, {len(ground_truths)} ground truths, {len(extras)} extra infos"
        )
    targets = [verl_target(gt, extra) for gt, extra in zip(ground_truths, extras, strict=True)]
    runtime = adapter_runtime()
    slots = runtime.run(runtime.ascore_rows(targets, list(solution_strs)))
    flat_of: dict[int, list[dict[str, float]]] = {}
    out = []
    for results, index in slots:
        flat = flat_of.get(id(results))
        if flat is None:
            flat = flat_of[id(results)] = [f.as_dict() for f in flatten_group(results)]
        out.append(flat[index])
    return out
