"""TRL adapter, called the way `GRPOTrainer._calculate_rewards` calls an async reward function:
`await f(prompts=, completions=, completion_ids=, **columns, trainer_state=, log_extra=, log_metric=)` on TRL's
own daemon loop, with every dataset column repeated per completion."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

import pytest
from trl.trainer.utils import get_callable_name, is_async_callable

from judge import AdapterInputError, make_trl_reward, telerubric_reward
from tests.judge.adapters.fakes import FakeBackend


class Logs:
    """TRL's `_log_metric` / `_log_completion_extra` (its pending dicts)."""

    def __init__(self) -> None:
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.extra: dict[str, list[Any]] = defaultdict(list)

    def log_metric(self, name: str, value: float) -> None:
        self.metrics[name].append(value)

    def log_extra(self, column: str, values: list[Any]) -> None:
        self.extra[column].extend(values)


def _on_trl_loop(coro: Any) -> Any:
    """TRL runs async reward functions with run_coroutine_threadsafe on a daemon-thread loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


def _call(func: Any, prompts: list[Any], completions: list[Any], logs: Logs, **columns: Any) -> list[float | None]:
    return _on_trl_loop(
        func(
            prompts=prompts,
            completions=completions,
            completion_ids=[[1, 2, 3]] * len(prompts),
            **columns,
            trainer_state=object(),
            log_extra=logs.log_extra,
            log_metric=logs.log_metric,
        )
    )


def test_trl_sees_an_async_function_named_telerubric() -> None:
    assert is_async_callable(telerubric_reward) and get_callable_name(telerubric_reward) == "telerubric"
    named = make_trl_reward(name="telerubric_policy")
    assert is_async_callable(named) and get_callable_name(named) == "telerubric_policy"


def test_plain_prompts_are_grouped_and_errors_are_none(fake: FakeBackend) -> None:
    prompts = ["My MMS won't send."] * 3 + ["Roaming fails in Spain."] * 3
    completions = ["good", "bad", "fail", "good", "meh", "capped good"]
    logs = Logs()
    rewards = _call(
        telerubric_reward, prompts, completions, logs, task_id=[None] * 6, reference=["Turn data on."] * 3 + [None] * 3
    )
    assert rewards == [1.0, 0.0, None, 1.0, 0.5, 1.0]
    assert len(fake.groups) == 2, "one ascore_group per prompt"
    assert {g["request"]: g["reference"] for g in fake.groups} == {
        "My MMS won't send.": "Turn data on.",
        "Roaming fails in Spain.": None,
    }
    assert logs.metrics["telerubric/error_rate"] == [pytest.approx(1 / 6)]
    assert logs.metrics["telerubric/capped_rate"] == [pytest.approx(1 / 6)]
    assert logs.metrics["telerubric/principles"] == [pytest.approx((1 + 0 + 1 + 0.5 + 1) / 5)]
    assert "telerubric/mcq" not in logs.metrics  # applies to no sample: not logged as 0
    assert logs.extra["telerubric/error"] == ["", "", "timeout@judge", "", "", ""]
    assert logs.extra["telerubric/principles"][2] is None and len(logs.extra["telerubric/tau2"]) == 6


def test_conversational_prompts_use_the_last_user_turn_or_the_request_column(fake: FakeBackend) -> None:
    prompt = [
        {"role": "system", "content": "You are a telecom support agent."},
        {"role": "user", "content": [{"type": "text", "text": "My MMS won't send."}]},
    ]
    completion = [{"role": "assistant", "content": "good: turn mobile data on", "tool_calls": []}]
    rewards = _call(telerubric_reward, [prompt, prompt], [completion, completion], Logs())
    assert rewards == [1.0, 1.0]
    assert fake.groups[0]["request"] == "My MMS won't send." and fake.groups[0]["responses"][0] == completion

    _call(telerubric_reward, [prompt], [completion], Logs(), request=["Is this an MCQ?"])
    assert fake.groups[-1]["request"] == "Is this an MCQ?"


def test_a_conversation_without_a_user_turn_is_a_dataset_error(fake: FakeBackend) -> None:
    with pytest.raises(AdapterInputError, match="no user message"):
        _call(telerubric_reward, [[{"role": "system", "content": "x"}]], ["good"], Logs())


def test_without_loggers_it_still_returns_rewards(fake: FakeBackend) -> None:
    rewards = _on_trl_loop(telerubric_reward(prompts=["q"], completions=["good"], completion_ids=None))
    assert rewards == [1.0]
