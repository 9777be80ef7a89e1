"""A tool-calling conversation as compact text for the judge: who said what, which tools were called with which
arguments, and what they returned (tool results are data: an injection can hide there, so they are fenced with
the rest of the response)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

MAX_TOOL_RESULT = 600  # characters of one tool result shown to the judge
MAX_ARGUMENT = 200  # characters of one rendered argument list

_SPEAKER = {"user": "user", "assistant": "agent"}


def render_transcript(
    messages: Sequence[Mapping[str, Any]],
    *,
    include_system: bool = False,
    max_tool_result: int = MAX_TOOL_RESULT,
) -> str:
    """OpenAI-style chat messages (or τ²-bench's: `tool_calls` with top-level `name`/`arguments`) as lines:

        user: My MMS won't send.
        agent calls get_customer_by_phone(phone_number="555-0101")
        tool get_customer_by_phone returned: {"customer_id": "C1001", …}
        agent: Your APN has no MMSC URL; …

    A user message carrying `tool_calls` is the simulated user acting on their phone ("user calls …").
    System messages are left out unless `include_system`. Long tool results are cut to `max_tool_result`.

    Raises:
        ValueError: a message is not a mapping or has an unknown role (the message index says which).
    """
    lines: list[str] = []
    names: dict[str, str] = {}  # tool_call_id → tool name, to label results
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise ValueError(f"messages[{index}]: expected an object with a 'role', got {type(message).__name__}")
        role = message.get("role")
        text = _text(message.get("content"))
        if role == "system":
            if include_system and text:
                lines.append(f"system: {text}")
        elif role in _SPEAKER:
            speaker = _SPEAKER[role]
            if text:
                lines.append(f"{speaker}: {text}")
            for call in message.get("tool_calls") or ():
                name, arguments, call_id = _call(call)
                if call_id:
                    names[str(call_id)] = name
                lines.append(f"{speaker} calls {name}({arguments})")
        elif role in ("tool", "function"):
            call_id = message.get("tool_call_id") or message.get("id")
            name = message.get("name") or names.get(str(call_id), "tool")
            lines.append(f"tool {name} returned: {_cut(text, max_tool_result)}")
        else:
            raise ValueError(f"messages[{index}]: unknown role {role!r} (expected system, user, assistant or tool)")
    return "\n".join(lines)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):  # OpenAI content parts
        parts = [
            p.get("text", "") if isinstance(p, Mapping) and p.get("type", "text") == "text" else "[non-text part]"
            for p in content
        ]
        return "".join(parts).strip()
    return json.dumps(content, ensure_ascii=False)


def _call(call: Any) -> tuple[str, str, str | None]:
    """(name, rendered arguments, call id) of an OpenAI (`function: {name, arguments}`) or τ² tool call."""
    if not isinstance(call, Mapping):
        return "?", _cut(str(call), MAX_ARGUMENT), None
    function = call.get("function") if isinstance(call.get("function"), Mapping) else call
    name = str(function.get("name") or "?")
    raw = function.get("arguments")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            return name, _cut(raw, MAX_ARGUMENT), call.get("id")
    if isinstance(raw, Mapping):
        rendered = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in raw.items())
    else:
        rendered = "" if raw is None else json.dumps(raw, ensure_ascii=False)
    return name, _cut(rendered, MAX_ARGUMENT), call.get("id")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}… [{len(text) - limit} more characters]"
