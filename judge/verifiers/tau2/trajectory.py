"""Trajectory input formats: the oracle's call list, OpenAI-style chat messages, tau2 simulations.

How a call's side (``requestor``) is decided, first rule that applies:

1. an explicit ``"requestor": "user" | "assistant"`` on the tool call (tau2 simulations and the
   oracle format always carry it);
2. the enclosing message's role: a message with ``"role": "user"`` carrying ``tool_calls`` holds
   the simulated user's phone-tool calls (how RL frameworks log the user simulator);
3. with ``phone_tools_as_user=True``, a call whose name is a phone tool and not an agent tool;
4. otherwise ``assistant`` (tau2's default).

Tool results (``role: "tool"``) are paired with calls by id (``tool_call_id`` or ``id``); their
content becomes the recorded content that replay compares against. A trajectory without results
is fine. ``termination_reason`` is read when present; absent means ``agent_stop``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from judge.verifiers.tau2.agent_tools import AGENT_TOOL_TYPES
from judge.verifiers.tau2.errors import TrajectoryFormatError
from judge.verifiers.tau2.user_tools import USER_TOOL_TYPES


class ToolCallRecord(BaseModel, frozen=True):
    """One tool call of a trajectory, with the result recorded by the run if known."""

    requestor: Literal["assistant", "user"] = Field(description="Side whose toolkit runs the call.")
    name: str
    arguments: dict[str, Any] | None = Field(description="Parsed arguments; None when they were not a JSON object.")
    arguments_error: str | None = Field(None, description="Why the arguments could not be parsed.")
    call_id: str | None = None
    recorded_content: str | None = Field(None, description="Tool result content in the trajectory, if any.")
    recorded_error: bool | None = None


class Trajectory(BaseModel, frozen=True):
    """The calls of one conversation, in order, for one task."""

    task_id: str
    calls: tuple[ToolCallRecord, ...]
    termination_reason: str | None = Field(None, description="None means agent_stop (oracle rows carry none).")
    source: str | None = Field(None, description="file:line the trajectory came from.")


def _requestor(explicit: Any, role: Any, name: str, phone_tools_as_user: bool, where: str) -> str:
    if explicit is not None:
        if explicit not in ("assistant", "user"):
            raise TrajectoryFormatError(f"{where}: requestor must be 'assistant' or 'user', got {explicit!r}")
        return explicit
    if role == "user":
        return "user"
    if phone_tools_as_user and name in USER_TOOL_TYPES and name not in AGENT_TOOL_TYPES:
        return "user"
    return "assistant"


def _arguments(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    if raw is None or raw == "":
        return {}, None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            return None, f"arguments are not valid JSON: {exc}"
    if not isinstance(raw, dict):
        return None, f"arguments must be a JSON object, got {type(raw).__name__}"
    return raw, None


def _text(content: Any) -> str | None:
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return json.dumps(content)


def _from_calls(obj: dict[str, Any], where: str) -> list[ToolCallRecord]:
    calls = obj["calls"]
    if not isinstance(calls, list):
        raise TrajectoryFormatError(f"{where}: 'calls' must be a list")
    out = []
    for i, c in enumerate(calls):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise TrajectoryFormatError(f"{where}: calls[{i}] needs a string 'name'")
        args, problem = _arguments(c.get("arguments"))
        out.append(
            ToolCallRecord(
                requestor=_requestor(c.get("requestor", "assistant"), None, c["name"], False, f"{where}: calls[{i}]"),
                name=c["name"],
                arguments=args,
                arguments_error=problem,
                recorded_content=_text(c.get("content")),
                recorded_error=c.get("error"),
            )
        )
    return out


def _from_messages(obj: dict[str, Any], where: str, phone_tools_as_user: bool) -> list[ToolCallRecord]:
    messages = obj["messages"]
    if not isinstance(messages, list):
        raise TrajectoryFormatError(f"{where}: 'messages' must be a list")
    pending: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise TrajectoryFormatError(f"{where}: messages[{i}] is not an object")
        role = m.get("role")
        if role == "tool":
            call_id = m.get("tool_call_id", m.get("id"))
            target = next((p for p in pending if p["call_id"] == call_id and "recorded_content" not in p), None)
            if target is None:
                raise TrajectoryFormatError(f"{where}: messages[{i}] answers unknown tool call id {call_id!r}")
            target["recorded_content"] = _text(m.get("content"))
            target["recorded_error"] = m.get("error")
            continue
        for j, tc in enumerate(m.get("tool_calls") or []):
            here = f"{where}: messages[{i}].tool_calls[{j}]"
            if not isinstance(tc, dict):
                raise TrajectoryFormatError(f"{here}: not an object")
            fn = tc.get("function") if isinstance(tc.get("function"), dict) else tc
            name = fn.get("name")
            if not isinstance(name, str):
                raise TrajectoryFormatError(f"{here}: needs a string name")
            args, problem = _arguments(fn.get("arguments"))
            pending.append(
                {
                    "requestor": _requestor(tc.get("requestor"), role, name, phone_tools_as_user, here),
                    "name": name,
                    "arguments": args,
                    "arguments_error": problem,
                    "call_id": None if tc.get("id") is None else str(tc.get("id")),
                }
            )
    return [ToolCallRecord(**p) for p in pending]


def parse_trajectory(obj: Any, source: str, *, phone_tools_as_user: bool = False) -> Trajectory:
    """Build a :class:`Trajectory` from one decoded JSON object of any supported format.

    Raises:
        TrajectoryFormatError: The object is not a trajectory; the message starts with ``source``.
    """
    if not isinstance(obj, dict):
        raise TrajectoryFormatError(f"{source}: expected a JSON object, got {type(obj).__name__}")
    task_id = obj.get("task_id")
    if not isinstance(task_id, str):
        raise TrajectoryFormatError(f"{source}: missing string field 'task_id'")
    if "calls" in obj:
        calls = _from_calls(obj, source)
    elif "messages" in obj:
        calls = _from_messages(obj, source, phone_tools_as_user)
    else:
        raise TrajectoryFormatError(f"{source}: needs 'calls' (oracle format) or 'messages' (chat or tau2 format)")
    reason = obj.get("termination_reason")
    return Trajectory(task_id=task_id, calls=tuple(calls), termination_reason=reason, source=source)


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def read_trajectories(path: Path | str, *, phone_tools_as_user: bool = False) -> Iterator[Trajectory]:
    """Yield trajectories from a ``.jsonl`` / ``.jsonl.gz`` file (one per line) or a ``.json`` file.

    A ``.json`` file may hold a tau2 results document (``{"simulations": [...]}``), a list of
    trajectories, or one trajectory. Blank lines are skipped.

    Raises:
        TrajectoryFormatError: The file is missing or a line is malformed (message names file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise TrajectoryFormatError(f"{path}: file not found; pass --trajectories FILE.jsonl[.gz]")
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    try:
        with _open_text(path) as fh:
            if name.endswith(".json"):
                yield from _whole_document(fh.read(), path, phone_tools_as_user)
                return
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TrajectoryFormatError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from None
                yield parse_trajectory(obj, where, phone_tools_as_user=phone_tools_as_user)
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise TrajectoryFormatError(f"{path}: cannot read ({exc})") from exc


def _whole_document(text: str, path: Path, phone_tools_as_user: bool) -> Iterator[Trajectory]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TrajectoryFormatError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
    if isinstance(doc, dict) and "simulations" in doc:
        items, label = doc["simulations"], "simulations"
    elif isinstance(doc, list):
        items, label = doc, ""
    else:
        items, label = [doc], None
    for i, obj in enumerate(items):
        where = str(path) if label is None else f"{path}: {label}[{i}]"
        yield parse_trajectory(obj, where, phone_tools_as_user=phone_tools_as_user)
