"""A pair's response as the LLM judge reads it, and the key that identifies one judged item (prompt + response)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from judge.llm_judge import render_transcript
from judge.pairs import Response
from kb import content_hash, normalise_text


def calls_messages(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A τ² oracle trajectory (`calls`: requestor, name, arguments, content) as chat messages: each call in a message
    of its requestor (the simulated user's calls in `user` messages), followed by the tool's result."""
    messages: list[dict[str, Any]] = []
    for i, call in enumerate(calls):
        call_id = f"call_{i}"
        role = "user" if call.get("requestor") == "user" else "assistant"
        function = {"name": call["name"], "arguments": json.dumps(call.get("arguments") or {}, ensure_ascii=False)}
        messages.append({"role": role, "content": None, "tool_calls": [{"id": call_id, "function": function}]})
        if call.get("content") is not None:
            messages.append({"role": "tool", "tool_call_id": call_id, "name": call["name"], "content": call["content"]})
    return messages


def response_text(response: Response) -> str:
    """What the judge reads: the text, or the transcript of chat messages or of a τ² trajectory's calls."""
    if isinstance(response, str):
        return response
    if isinstance(response, Mapping):
        if isinstance(response.get("messages"), list):
            return render_transcript(response["messages"])
        return render_transcript(calls_messages(response.get("calls") or []))
    return render_transcript(response)


def item_key(prompt: str, response: str) -> str:
    """Identity of one judged item: its normalised prompt and response text (hashed)."""
    return content_hash([normalise_text(prompt), normalise_text(response)])
