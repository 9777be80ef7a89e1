"""Tool calls in an OpenAI chat transcript, and the check that an expected call was made.

Reading reuses the τ² trajectory parser (`judge.verifiers.tau2.trajectory`): who made a call (`requestor`) and how
`role: tool` results pair with calls are decided there, once. Matching reuses τ²'s `matches` (upstream
`compare_with_tool_call`): same name, then the `compare_args` compared by equality — when `compare_args` is None,
the *candidate's* argument names are compared, so an extra argument fails and a missing one is not compared.
On top of τ², the requestor must be the check's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from judge.result import Verdict
from judge.verifiers.outcome import CheckOutcome, VerifierError
from judge.verifiers.tau2.actions import matches
from judge.verifiers.tau2.errors import TrajectoryFormatError
from judge.verifiers.tau2.trajectory import ToolCallRecord, parse_trajectory
from kb import ToolCallCheck

VERIFIER = "tool_call"
_MISSING = object()


class ToolCall(BaseModel, frozen=True):
    """One tool call of a transcript, with its recorded result when the transcript has one."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    requestor: Literal["assistant", "user"] = "assistant"
    call_id: str | None = None
    message_index: int | None = Field(None, description="Index of the message that made the call.")
    result: str | None = Field(None, description="Content of the `role: tool` message answering it, if any.")
    error: bool | None = Field(None, description="Error flag of that result, when the transcript records one.")


def extract_tool_calls(messages: Sequence[Mapping[str, Any]]) -> list[ToolCall]:
    """The calls of an OpenAI-style transcript in order; calls in `role: user` messages (or with an explicit
    `"requestor": "user"`) are the simulated user's, all others the assistant's.

    Raises:
        VerifierError: the transcript is not a list of messages, a call has no name, a result answers an unknown
            call id, or a call's arguments are not a JSON object (the message names the message index).
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise VerifierError(f"transcript: expected a list of chat messages, got {type(messages).__name__}")
    messages = list(messages)
    try:
        trajectory = parse_trajectory({"task_id": "transcript", "messages": messages}, "transcript")
    except TrajectoryFormatError as exc:
        raise VerifierError(str(exc)) from exc
    where = _call_positions(messages)
    calls: list[ToolCall] = []
    for record, (i, j) in zip(trajectory.calls, where, strict=True):
        if record.arguments is None:
            raise VerifierError(f"transcript: messages[{i}].tool_calls[{j}] ({record.name}): {record.arguments_error}")
        calls.append(
            ToolCall(
                name=record.name,
                arguments=record.arguments,
                requestor=record.requestor,
                call_id=record.call_id,
                message_index=i,
                result=record.recorded_content,
                error=record.recorded_error,
            )
        )
    return calls


def _call_positions(messages: list[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """(message index, index in its tool_calls) of every call, in the parser's order."""
    return [
        (i, j)
        for i, message in enumerate(messages)
        if message.get("role") != "tool"
        for j in range(len(message.get("tool_calls") or []))
    ]


def _record(call: ToolCall) -> ToolCallRecord:
    return ToolCallRecord(requestor=call.requestor, name=call.name, arguments=call.arguments, call_id=call.call_id)


def _differing(call: ToolCall, check: ToolCallCheck) -> list[str]:
    names = check.compare_args if check.compare_args is not None else list(call.arguments)
    return sorted(n for n in names if call.arguments.get(n, _MISSING) != check.arguments.get(n, _MISSING))


def check_tool_call(calls: Sequence[ToolCall], check: ToolCallCheck) -> CheckOutcome:
    """MET when some call has the check's name and requestor and matches its arguments (τ² semantics)."""
    want = f"{check.name} by {check.requestor}"
    named = [(i, c) for i, c in enumerate(calls) if c.name == check.name]
    for i, call in named:
        # `matches` reads only name, arguments and compare_args, which a ToolCallCheck carries as a gold action does.
        if call.requestor == check.requestor and matches(check, _record(call)):  # type: ignore[arg-type]
            return _outcome(Verdict.MET, f"call {i} {want} matches" + _compared(check))
    if not named:
        return _outcome(Verdict.NOT_MET, f"no call of {check.name} among {len(calls)} calls")
    same_side = [(i, c) for i, c in named if c.requestor == check.requestor]
    if not same_side:
        sides = sorted({c.requestor for _, c in named})
        return _outcome(Verdict.NOT_MET, f"{check.name} called by {'/'.join(sides)} only, expected {check.requestor}")
    i, call = same_side[-1]
    diff = ", ".join(_differing(call, check)) or "arguments"
    return _outcome(Verdict.NOT_MET, f"{len(same_side)} call(s) of {want}, none matches; call {i} differs on {diff}")


def _compared(check: ToolCallCheck) -> str:
    if check.compare_args == []:
        return " (any arguments)"
    if check.compare_args is None:
        return " (all its arguments)"
    return f" on {', '.join(check.compare_args)}"


def _outcome(verdict: Verdict, reason: str) -> CheckOutcome:
    return CheckOutcome(verdict=verdict, reason=reason, verifier=VERIFIER)
