"""OpenRLHF adapter: splitting `query` (prompt + response decoded with special tokens) and the Python-file form,
called as `SingleTurnAgentExecutor._fetch_rewards_via_func` does: `asyncio.to_thread(reward_func, [query],
[prompt], [label])`, one sample per call, the rollouts of a prompt concurrently."""

from __future__ import annotations

import asyncio
import json
import math

import pytest

from judge.adapters import openrlhf_reward_func, request_from_prompt, split_response, strip_special_tokens
from judge.adapters.neutral import FLAT_KEYS
from tests.judge.adapters.fakes import FakeBackend

CHATML_PROMPT = (
    "<|im_start|>system\nYou are a telecom support agent.<|im_end|>\n"
    "<|im_start|>user\nMy MMS won't send.<|im_end|>\n<|im_start|>assistant\n"
)
LLAMA3_PROMPT = (
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nRoaming fails in Spain.<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n"
)
GEMMA_PROMPT = "<bos><start_of_turn>user\nNo signal at home.<end_of_turn>\n<start_of_turn>model\n"


@pytest.mark.parametrize(
    ("prompt", "tail", "response"),
    [
        (
            CHATML_PROMPT,
            "Turn mobile data on, then retry.<|im_end|>\n<|endoftext|>",
            "Turn mobile data on, then retry.",
        ),
        (LLAMA3_PROMPT, "Enable roaming in Settings.<|eot_id|>", "Enable roaming in Settings."),
        (GEMMA_PROMPT, "Restart the phone.<end_of_turn>\n<eos>", "Restart the phone."),
        ("Plain question? ", "Plain answer.</s>", "Plain answer."),
        (CHATML_PROMPT, "<|im_end|>", ""),  # an empty response stays empty (the judge sees nothing)
    ],
)
def test_the_response_is_what_follows_the_prompt_without_special_tokens(prompt: str, tail: str, response: str) -> None:
    assert split_response(prompt + tail, prompt) == response


def test_a_prompt_that_does_not_round_trip_falls_back_to_the_assistant_marker() -> None:
    query = CHATML_PROMPT.replace("won't", "won 't") + "Check the APN.<|im_end|>"
    assert split_response(query, CHATML_PROMPT) == "Check the APN."
    assert split_response(query, None) == "Check the APN."
    assert split_response("no markers at all", "something else") is None


def test_special_tokens_inside_text_are_removed_but_not_angle_brackets() -> None:
    assert strip_special_tokens("a <|im_start|>b<|im_end|> <5 GB> x </s>") == "a b <5 GB> x"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        (CHATML_PROMPT, "My MMS won't send."),
        (LLAMA3_PROMPT, "Roaming fails in Spain."),
        (GEMMA_PROMPT, "No signal at home."),
        ("Why is my bill high?", "Why is my bill high?"),
    ],
)
def test_the_request_is_the_last_user_turn(prompt: str, expected: str) -> None:
    assert request_from_prompt(prompt) == expected


async def _openrlhf_rollouts(queries: list[str], prompt: str, label: object) -> list[dict]:
    return await asyncio.gather(*(asyncio.to_thread(openrlhf_reward_func, [q], [prompt], [label]) for q in queries))


def test_python_file_form_returns_rewards_scores_and_extra_logs(fake: FakeBackend) -> None:
    queries = [CHATML_PROMPT + t + "<|im_end|>" for t in ("good answer", "bad answer", "fail")]
    out = asyncio.run(_openrlhf_rollouts(queries, CHATML_PROMPT, json.dumps({"reference": "Turn data on."})))
    assert len(fake.groups) == 1 and fake.groups[0]["request"] == "My MMS won't send."
    assert sorted(fake.groups[0]["responses"]) == ["bad answer", "fail", "good answer"]
    assert fake.groups[0]["reference"] == "Turn data on."
    for item in out:
        assert set(item) == {"rewards", "scores", "extra_logs"}
        assert len(item["rewards"]) == 1 and item["scores"] == item["rewards"]
        assert set(item["extra_logs"]) == set(FLAT_KEYS) - {"score"}
        assert all(math.isfinite(v) for vs in item["extra_logs"].values() for v in vs)
    good, bad, failed = (o["rewards"][0] for o in out)
    assert (good, bad, failed) == (1.0, 0.0, 0.5)
    assert out[2]["extra_logs"]["reward_error"] == [1.0]


def test_a_label_with_a_request_wins_over_the_prompt(fake: FakeBackend) -> None:
    label = {"request": "Is this an MCQ about MMS?", "task_id": "q1"}
    out = openrlhf_reward_func([CHATML_PROMPT + "good"], [CHATML_PROMPT], [label])
    assert out["extra_logs"]["mcq"] == [1.0]
    assert fake.groups[0]["request"] == "Is this an MCQ about MMS?" and fake.groups[0]["task_id"] == "q1"


def test_an_unsplittable_query_is_an_error_value_not_a_crash(fake: FakeBackend) -> None:
    out = openrlhf_reward_func(["garbage"], ["another prompt"], [None])
    assert out["rewards"] == [0.0] and out["extra_logs"]["reward_error"] == [1.0]
    assert not fake.groups


def test_the_documented_file_loads_the_way_openrlhf_does(fake: FakeBackend) -> None:
    """`--reward.remote_url <judge/adapters/openrlhf.py>`: OpenRLHF execs the file as `reward_func` and calls
    `module.reward_func` in a thread."""
    import importlib.util

    import judge.adapters.openrlhf as installed

    spec = importlib.util.spec_from_file_location("reward_func", installed.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = asyncio.run(asyncio.to_thread(module.reward_func, [CHATML_PROMPT + "good"], [CHATML_PROMPT], [None]))
    assert out["rewards"] == [1.0] and fake.groups[0]["request"] == "My MMS won't send."
