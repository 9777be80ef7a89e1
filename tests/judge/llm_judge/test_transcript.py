"""render_transcript: OpenAI and τ² messages as compact judge text."""

from __future__ import annotations

import json

import pytest

from judge.llm_judge import render_transcript


def test_openai_tool_calls_and_results() -> None:
    messages = [
        {"role": "system", "content": "You are a telecom agent. Follow the policy."},
        {"role": "user", "content": "I can't send MMS."},
        {
            "role": "assistant",
            "content": "Let me look up your line.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_customer_by_phone", "arguments": json.dumps({"phone_number": "555"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"customer_id": "C1", "status": "Active"}'},
        {"role": "assistant", "content": [{"type": "text", "text": "Your line is active."}]},
    ]
    assert render_transcript(messages) == (
        "user: I can't send MMS.\n"
        "agent: Let me look up your line.\n"
        'agent calls get_customer_by_phone(phone_number="555")\n'
        'tool get_customer_by_phone returned: {"customer_id": "C1", "status": "Active"}\n'
        "agent: Your line is active."
    )
    assert render_transcript(messages, include_system=True).startswith("system: You are a telecom agent.")


def test_tau2_calls_user_side_tools_and_long_results() -> None:
    messages = [
        {"role": "assistant", "tool_calls": [{"id": "t1", "name": "refuel_data", "arguments": {"gb": 2.0}}]},
        {"role": "tool", "id": "t1", "content": "x" * 700},
        {
            "role": "user",
            "content": None,
            "tool_calls": [{"id": "t2", "name": "toggle_airplane_mode", "arguments": {}}],
        },
        {"role": "tool", "id": "t2", "name": "toggle_airplane_mode", "content": "Airplane mode is now OFF."},
        {"role": "assistant", "tool_calls": [{"id": "t3", "function": {"name": "f", "arguments": "{not json"}}]},
    ]
    lines = render_transcript(messages).splitlines()
    assert lines[0] == "agent calls refuel_data(gb=2.0)"
    assert lines[1].startswith("tool refuel_data returned: xxx") and lines[1].endswith("… [100 more characters]")
    assert lines[2:] == [
        "user calls toggle_airplane_mode()",
        "tool toggle_airplane_mode returned: Airplane mode is now OFF.",
        "agent calls f({not json)",
    ]


def test_bad_messages_raise_with_the_index() -> None:
    with pytest.raises(ValueError, match=r"messages\[1\]: unknown role 'bot'"):
        render_transcript([{"role": "user", "content": "hi"}, {"role": "bot", "content": "x"}])
    with pytest.raises(ValueError, match=r"messages\[0\]: expected an object"):
        render_transcript(["hello"])  # type: ignore[list-item]
