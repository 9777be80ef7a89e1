"""What is being judged: a free-form answer, a chat transcript with tool calls, or a τ² trajectory — one typed
`JudgedInput` built at the edge, so verifiers and the judge never branch on raw shapes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judge.llm_judge import render_transcript
from judge.verifiers import ToolCall, extract_tool_calls
from judge.verifiers.outcome import VerifierError
from judge.verifiers.tau2 import Trajectory, TrajectoryFormatError, parse_trajectory

Messages = Sequence[Mapping[str, Any]]


class JudgedInput(BaseModel):
    """One response to judge, in every form the verifiers and the judge read."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    text: str = Field(description="What the LLM judge reads: the answer, or the rendered transcript.")
    final_answer: str = Field(description="The last assistant text: what MCQ and numeric verifiers read.")
    tool_calls: tuple[ToolCall, ...] | None = Field(None, description="Calls in the response; None = plain text.")
    trajectory: Trajectory | None = Field(None, description="τ² trajectory for replay, when given.")
    task_id: str | None = None


def judged_input(
    response: str | Messages | None,
    *,
    trajectory: Trajectory | Mapping[str, Any] | str | Path | None = None,
    task_id: str | None = None,
) -> JudgedInput:
    """Build the input from a response (text or OpenAI chat messages) and/or a τ² trajectory.

    Raises:
        VerifierError: neither is given, or the trajectory or messages cannot be read.
    """
    if response is None and trajectory is None:
        raise VerifierError("nothing to judge: give a response (text or chat messages) or a trajectory")
    parsed: Trajectory | None = None
    if trajectory is not None:
        parsed = _trajectory(trajectory, task_id)
        task_id = task_id or parsed.task_id
    if isinstance(response, str):
        return JudgedInput(text=response, final_answer=response, trajectory=parsed, task_id=task_id)
    messages = list(response) if response is not None else _messages_of(trajectory)
    calls = tuple(extract_tool_calls(messages)) if messages else ()
    return JudgedInput(
        text=render_transcript(messages) if messages else "",
        final_answer=_last_assistant_text(messages),
        tool_calls=calls,
        trajectory=parsed,
        task_id=task_id,
    )


def _trajectory(given: Trajectory | Mapping[str, Any] | str | Path, task_id: str | None) -> Trajectory:
    if isinstance(given, Trajectory):
        return given
    if isinstance(given, str | Path):
        path = Path(given)
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise VerifierError(f"{path}: cannot read the trajectory ({exc})") from exc
        source = str(path)
    else:
        obj, source = dict(given), "trajectory"
    if task_id is not None and isinstance(obj, dict):
        obj.setdefault("task_id", task_id)
    try:
        return parse_trajectory(obj, source)
    except TrajectoryFormatError as exc:  # carries the location
        raise VerifierError(str(exc)) from exc


def calls_messages(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A τ² oracle trajectory's `calls` (requestor, name, arguments, content) as chat messages: each call in a
    message of its requestor (the simulated user's calls in `user` messages), followed by the tool's result."""
    messages: list[dict[str, Any]] = []
    for i, call in enumerate(calls):
        call_id = f"call_{i}"
        role = "user" if call.get("requestor") == "user" else "assistant"
        function = {"name": call["name"], "arguments": json.dumps(call.get("arguments") or {}, ensure_ascii=False)}
        messages.append({"role": role, "content": None, "tool_calls": [{"id": call_id, "function": function}]})
        if call.get("content") is not None:
            messages.append({"role": "tool", "tool_call_id": call_id, "name": call["name"], "content": call["content"]})
    return messages


def _messages_of(trajectory: Any) -> list[Mapping[str, Any]]:
    """The chat messages of a trajectory; a calls-only one (the τ² oracle's rows) as the messages of its calls, so
    the LLM judge reads what was done rather than an empty transcript."""
    if isinstance(trajectory, Mapping):
        if isinstance(trajectory.get("messages"), list):
            return list(trajectory["messages"])
        if isinstance(trajectory.get("calls"), list):
            return calls_messages(trajectory["calls"])
    return []


def _last_assistant_text(messages: Messages | None) -> str:
    for message in reversed(list(messages or [])):
        if message.get("role") == "assistant" and isinstance(message.get("content"), str) and message["content"]:
            return message["content"]
    return ""
