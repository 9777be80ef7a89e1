"""verl adapter, called the way verl calls it: the reward loop's `compute_score(data_source=, solution_str=,
ground_truth=, extra_info=, **reward_kwargs)` (async, one sample per call, all samples of a batch gathered) and
the legacy batch manager's `compute_score(data_sources=, solution_strs=, ground_truths=, extra_infos=)`."""

from __future__ import annotations

import asyncio
import json
import math
import threading

import numpy as np
import pytest

from judge import COMPONENTS, AdapterInputError, compute_score, compute_score_batch
from judge.adapters import FLAT_KEYS
from tests.judge.adapters.fakes import FakeBackend

REQUEST = "My MMS won't send since this morning."
GROUND_TRUTH = json.dumps({"request": REQUEST, "task_id": None, "reference": "Turn mobile data on."})


async def _reward_loop_batch(solutions: list[str], ground_truths: list[object], extra_infos: list[object]) -> list:
    """What `RewardLoopWorker.compute_score_batch` + the dapo manager do: one task per sample, gathered."""
    tasks = [
        asyncio.create_task(
            compute_score(
                data_source="telecom",
                solution_str=s,
                ground_truth=gt,
                extra_info=extra,
                strict_box_verify=False,  # the dapo manager passes its reward kwargs through
            )
        )
        for s, gt, extra in zip(solutions, ground_truths, extra_infos, strict=True)
    ]
    return await asyncio.gather(*tasks)


def test_reward_loop_scores_a_group_once_with_the_same_keys_for_every_sample(fake: FakeBackend) -> None:
    solutions = ["good: check the APN", "bad: buy a new phone", "fail", "meh"]
    extra = {"index": 3, "split": "train", "num_turns": None}
    out = asyncio.run(_reward_loop_batch(solutions, [GROUND_TRUTH] * 4, [dict(extra) for _ in solutions]))

    assert len(fake.groups) == 1, "concurrent samples of one prompt are one group: one rubric set"
    assert fake.groups[0]["request"] == REQUEST and fake.groups[0]["reference"] == "Turn mobile data on."
    assert sorted(fake.groups[0]["responses"]) == sorted(solutions)
    assert all(tuple(o) == FLAT_KEYS for o in out)  # verl takes the key set from the first sample
    assert all(isinstance(v, float) and math.isfinite(v) for o in out for v in o.values())
    good, bad, failed, meh = out
    assert (good["score"], bad["score"], meh["score"]) == (1.0, 0.0, 0.5)
    assert failed["reward_error"] == 1.0 and good["reward_error"] == 0.0
    assert failed["score"] == pytest.approx(0.5)  # the mean of its scored siblings: zero GRPO advantage
    assert good["mcq"] == 0.0  # not applicable to any member of the group: equal values, zero advantage


def test_verl_keys_survive_verls_own_stacking(fake: FakeBackend) -> None:
    """`RewardLoopManager.compute_rm_score`: keys of the first sample, `np.array([info[key] for info in infos])`."""
    out = asyncio.run(_reward_loop_batch(["good", "fail"], [GROUND_TRUTH] * 2, [None, None]))
    keys = list(out[0].keys())
    arrays = {k: np.array([o[k] for o in out], dtype=np.float32) for k in keys}
    assert set(keys) == {"score", *COMPONENTS, "reward_error"}
    assert not any(np.isnan(a).any() for a in arrays.values())


def test_plain_text_ground_truth_is_the_reference_and_extra_info_names_the_request(fake: FakeBackend) -> None:
    out = asyncio.run(
        compute_score(
            data_source="telecom",
            solution_str="good",
            ground_truth="Turn mobile data on.",
            extra_info={"question": "Is this an MCQ about MMS?", "task_id": "mms_1"},
        )
    )
    assert out["score"] == 1.0 and out["mcq"] == 1.0
    assert fake.groups[0]["request"] == "Is this an MCQ about MMS?"
    assert fake.groups[0]["reference"] == "Turn mobile data on." and fake.groups[0]["task_id"] == "mms_1"


def test_a_dict_ground_truth_and_a_trajectory_in_extra_info(fake: FakeBackend) -> None:
    trajectory = {"task_id": "t1", "messages": []}
    out = asyncio.run(
        compute_score(
            data_source="tau2",
            solution_str="good",
            ground_truth={"request": REQUEST, "task_id": "t1"},
            extra_info={"trajectory": trajectory},
        )
    )
    assert out["score"] == 1.0
    assert fake.singles and fake.singles[0]["trajectory"] == trajectory and not fake.groups


def test_a_row_without_a_request_is_a_configuration_error(fake: FakeBackend) -> None:
    with pytest.raises(AdapterInputError, match="no request to judge against"):
        asyncio.run(compute_score(data_source="x", solution_str="good", ground_truth="42", extra_info={"index": 1}))
    with pytest.raises(AdapterInputError, match="does not parse"):
        asyncio.run(compute_score(data_source="x", solution_str="good", ground_truth="{not json", extra_info=None))


def test_the_reward_loop_may_run_in_any_thread_and_loop(fake: FakeBackend) -> None:
    """verl's reward workers are Ray actors with their own loops; calls from two loops at once both complete."""
    results: list[dict] = []

    def worker(solution: str) -> None:
        results.append(asyncio.run(compute_score("telecom", solution, GROUND_TRUTH, None)))

    threads = [threading.Thread(target=worker, args=(s,)) for s in ("good", "bad")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(r["score"] for r in results) == [0.0, 1.0]


def test_legacy_batch_manager_groups_by_request(fake: FakeBackend) -> None:
    other = json.dumps({"request": "Roaming does not work in Spain."})
    out = compute_score_batch(
        data_sources=["telecom"] * 5,
        solution_strs=["good", "bad", "fail", "good", "fail"],
        ground_truths=[GROUND_TRUTH, GROUND_TRUTH, GROUND_TRUTH, other, other],
        extra_infos=[None] * 5,
    )
    assert len(fake.groups) == 2 and sorted(len(g["responses"]) for g in fake.groups) == [2, 3]
    assert [o["score"] for o in out] == [1.0, 0.0, 0.5, 1.0, 1.0]
    assert [o["reward_error"] for o in out] == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert all(tuple(o) == FLAT_KEYS for o in out)


def test_a_whole_group_failing_gets_equal_values(fake: FakeBackend) -> None:
    out = compute_score_batch(["t"] * 3, ["fail"] * 3, [GROUND_TRUTH] * 3, None)
    assert {o["score"] for o in out} == {0.0} and all(o["reward_error"] == 1.0 for o in out)


def test_the_documented_config_loads_the_file_the_way_verl_does(fake: FakeBackend) -> None:
    """`custom_reward_function.path=<judge/adapters/verl.py>`: verl execs the file as `custom_module`, checks
    `inspect.iscoroutinefunction` and merges `reward_kwargs` into each call."""
    import importlib.util
    import inspect
    import sys

    import judge.adapters.verl as installed

    spec = importlib.util.spec_from_file_location("custom_module", installed.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_module"] = module
    try:
        spec.loader.exec_module(module)
        raw_fn = module.compute_score
        assert inspect.iscoroutinefunction(raw_fn)
        out = asyncio.run(raw_fn(data_source="t", solution_str="good", ground_truth=GROUND_TRUTH, extra_info={},
                                 **{"note": "a reward_kwargs entry"}))  # fmt: skip
    finally:
        del sys.modules["custom_module"]
    assert out["score"] == 1.0 and tuple(out) == FLAT_KEYS
