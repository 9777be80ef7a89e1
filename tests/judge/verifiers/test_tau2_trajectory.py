"""The three input formats, malformed files, unknown tools, bad arguments and the termination gate."""

# ruff: noqa: F811  (pytest fixtures imported from test_tau2_support are redefined as parameters)

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from judge.verifiers.tau2 import Tau2TaskSet, Tau2Verifier, TrajectoryFormatError, parse_trajectory, read_trajectories
from tests.judge.verifiers.test_tau2_support import task_set, tau2_dir  # noqa: F401

REFUEL_TASK = "[mobile_data_issue]data_usage_exceeded[PERSONA:Easy]"
PIN_TASK = "[service_issue]lock_sim_card_pin[PERSONA:Hard]"
AIRPLANE = "[service_issue]airplane_mode_on[PERSONA:None]"


def _openai_messages() -> list[dict]:
    return [
        {"role": "user", "content": "My data is slow."},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {
                        "name": "refuel_data",
                        "arguments": json.dumps({"customer_id": "C1001", "line_id": "L1002", "gb_amount": 2.0}),
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "whatever the RL env said"},
        {
            "role": "user",
            "tool_calls": [{"id": "u1", "type": "function", "function": {"name": "run_speed_test", "arguments": "{}"}}],
        },
        {
            "role": "tool",
            "tool_call_id": "u1",
            "content": "Speed Test Result: 220.00 Mbps (Excellent). Connection is very fast.",
        },
    ]


def test_openai_messages_mark_user_side_by_role(task_set: Tau2TaskSet) -> None:
    t = parse_trajectory({"task_id": REFUEL_TASK, "messages": _openai_messages()}, "mem")
    assert [(c.requestor, c.name) for c in t.calls] == [("assistant", "refuel_data"), ("user", "run_speed_test")]
    result = Tau2Verifier(task_set).verify(t)
    assert result.reward == 1.0
    assert [c.content_matches for c in result.calls] == [False, True]
    assert result.content_mismatches == 1


def test_strict_mode_aborts_on_a_differing_write_result(task_set: Tau2TaskSet) -> None:
    t = parse_trajectory({"task_id": REFUEL_TASK, "messages": _openai_messages()}, "mem")
    result = Tau2Verifier(task_set, strict=True).verify(t)
    assert result.reward is None and "recorded content differs" in result.error


def test_phone_tools_as_user_option() -> None:
    messages = [
        {
            "role": "assistant",
            "tool_calls": [{"id": "a", "function": {"name": "toggle_airplane_mode", "arguments": ""}}],
        }
    ]
    plain = parse_trajectory({"task_id": AIRPLANE, "messages": messages}, "mem")
    inferred = parse_trajectory({"task_id": AIRPLANE, "messages": messages}, "mem", phone_tools_as_user=True)
    assert plain.calls[0].requestor == "assistant" and inferred.calls[0].requestor == "user"


def test_tau2_simulation_json(task_set: Tau2TaskSet, tmp_path: Path) -> None:
    sim = {
        "id": "s1",
        "task_id": PIN_TASK,
        "termination_reason": "user_stop",
        "messages": [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "t1",
                        "name": "transfer_to_human_agents",
                        "arguments": {"summary": "x"},
                        "requestor": "assistant",
                    }
                ],
            },
            {"role": "tool", "id": "t1", "content": "Transfer successful", "requestor": "assistant", "error": False},
            {"role": "user", "content": "###TRANSFER###"},
        ],
    }
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps({"info": {}, "tasks": [], "simulations": [sim, {**sim, "termination_reason": "max_steps"}]})
    )
    results = list(Tau2Verifier(task_set).verify_many(read_trajectories(path)))
    assert [r.reward for r in results] == [1.0, 0.0]
    assert results[0].components == {"ENV_ASSERTION": 1.0, "ACTION": 1.0}
    assert results[1].termination_reason == "max_steps" and results[1].components == {}


def test_unknown_tools_and_bad_arguments_are_error_results(task_set: Tau2TaskSet) -> None:
    calls = [
        {"requestor": "assistant", "name": "teleport_phone", "arguments": {}},
        {
            "requestor": "assistant",
            "name": "refuel_data",
            "arguments": {"customer_id": "C1001", "line_id": "L1002", "gb_amount": "2"},
        },
        {"requestor": "user", "name": "toggle_data", "arguments": {"now": True}},
        {
            "requestor": "user",
            "name": "set_apn_settings",
            "arguments": {"apn_settings": {"apn_name": "internet", "x": 1}},
        },
    ]
    result = Tau2Verifier(task_set).verify(parse_trajectory({"task_id": REFUEL_TASK, "calls": calls}, "mem"))
    assert [c.error for c in result.calls] == [True, True, True, True]
    assert result.calls[0].content == "Error: Tool 'teleport_phone' not found."
    assert result.calls[1].content == "Error: '<=' not supported between instances of 'str' and 'int'"
    assert result.calls[2].content == "Error: TelecomUserTools.toggle_data() got an unexpected keyword argument 'now'"
    assert "Extra inputs are not permitted" in result.calls[3].content
    assert result.reward == 0.0 and result.action_checks[0].matched is False


def test_unparseable_arguments_are_an_error_call_not_a_crash(task_set: Tau2TaskSet) -> None:
    messages = [
        {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "refuel_data", "arguments": "{oops"}}]}
    ]
    result = Tau2Verifier(task_set).verify(parse_trajectory({"task_id": REFUEL_TASK, "messages": messages}, "mem"))
    assert result.calls[0].error is True and result.calls[0].content.startswith("Error: arguments are not valid JSON")
    assert result.action_checks[0].matched is False


def test_unknown_task_is_an_error_value(task_set: Tau2TaskSet) -> None:
    result = Tau2Verifier(task_set).verify(parse_trajectory({"task_id": "nope", "calls": []}, "mem"))
    assert result.reward is None and "unknown task id" in result.error


def test_malformed_jsonl_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"task_id": AIRPLANE, "calls": []}) + "\n\n{not json\n")
    with pytest.raises(TrajectoryFormatError, match=r"t\.jsonl\.gz:3: invalid JSON"):
        list(read_trajectories(path))


def test_missing_fields_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"calls": []}) + "\n")
    with pytest.raises(TrajectoryFormatError, match=r"t\.jsonl:1: missing string field 'task_id'"):
        list(read_trajectories(path))
    path.write_text(
        json.dumps({"task_id": "x", "messages": [{"role": "tool", "tool_call_id": "z", "content": ""}]}) + "\n"
    )
    with pytest.raises(TrajectoryFormatError, match=r"t\.jsonl:1: messages\[0\] answers unknown tool call id"):
        list(read_trajectories(path))
