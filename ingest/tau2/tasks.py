"""Reading τ²-bench telecom `tasks.json` and `split_tasks.json` into typed tasks, each with its line in the file."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.validation import validate_entry
from kb import InputProblem

TASK_ID = re.compile(r"^\[(?P<family>[a-z_]+)\](?P<subissues>[^\[\]]*)\[PERSONA:(?P<persona>[A-Za-z]+)\]$")
_ID_KEY = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')


class _Upstream(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Tau2Action(_Upstream):
    action_id: str
    requestor: Literal["assistant", "user"] = "assistant"
    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    compare_args: list[str] | None = None


class Tau2EnvAssertion(_Upstream):
    env_type: Literal["assistant", "user"]
    func_name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict)
    assert_value: bool = True
    message: str | None = None


class Tau2Criteria(_Upstream):
    actions: list[Tau2Action] | None = None
    env_assertions: list[Tau2EnvAssertion] | None = None
    reward_basis: list[Literal["ENV_ASSERTION", "ACTION", "DB", "COMMUNICATE", "NL_ASSERTION"]] = Field(min_length=1)


class Tau2Instructions(_Upstream):
    reason_for_call: str = Field(min_length=1)
    known_info: str | None = None


class Tau2Scenario(_Upstream):
    persona: str | None = None
    instructions: Tau2Instructions


class Tau2Task(_Upstream):
    """The fields of an upstream `Task` that ingestion reads."""

    id: str = Field(pattern=TASK_ID.pattern)
    user_scenario: Tau2Scenario
    ticket: str | None = None
    evaluation_criteria: Tau2Criteria

    @property
    def family(self) -> str:
        return TASK_ID.match(self.id)["family"]  # type: ignore[index]

    @property
    def subissues(self) -> list[str]:
        return [s for s in TASK_ID.match(self.id)["subissues"].split("|") if s]  # type: ignore[index]

    @property
    def persona(self) -> str:
        return TASK_ID.match(self.id)["persona"].lower()  # type: ignore[index]


@dataclass(frozen=True)
class LocatedTask:
    file: str
    line: int | None
    task: Tau2Task


def _load_json(path: Path, problems: list[InputProblem]) -> tuple[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        problems.append(InputProblem(str(path), None, None, f"cannot read file: {exc.strerror}"))
        return None
    except UnicodeDecodeError:
        problems.append(InputProblem(str(path), None, None, "not UTF-8; expected the upstream JSON file"))
        return None
    try:
        return text, json.loads(text)
    except json.JSONDecodeError as exc:
        problems.append(InputProblem(str(path), exc.lineno, None, f"invalid JSON at column {exc.colno}: {exc.msg}"))
        return None


def read_tasks(path: Path, problems: list[InputProblem]) -> list[LocatedTask]:
    """Every task of a τ² `tasks.json` (a JSON list), validated; problems carry the task's line."""
    loaded = _load_json(path, problems)
    if loaded is None:
        return []
    text, data = loaded
    if not isinstance(data, list):
        problems.append(InputProblem(str(path), 1, None, "expected a JSON list of tasks (τ²-bench tasks.json)"))
        return []
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _ID_KEY.finditer(text):
        line, counted = line + text.count("\n", counted, match.start()), match.start()
        lines.setdefault(json.loads(f'"{match.group(1)}"'), line)
    out: list[LocatedTask] = []
    for number, item in enumerate(data):
        line = lines.get(item.get("id")) if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        where = len(problems)
        task = validate_entry(Tau2Task, item, str(path), line, problems)
        for i in range(where, len(problems)):  # name the task when its line is unknown
            if problems[i].line is None:
                p = problems[i]
                problems[i] = InputProblem(
                    p.file, None, f"[{number}].{p.field}" if p.field else f"[{number}]", p.message
                )
        if task is not None:
            out.append(LocatedTask(str(path), line, task))
    return out


def read_splits(path: Path, problems: list[InputProblem]) -> dict[str, list[str]]:
    """`split_tasks.json`: split name → task ids."""
    loaded = _load_json(path, problems)
    if loaded is None:
        return {}
    _, data = loaded
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        problems.append(InputProblem(str(path), 1, None, "expected a JSON object of split name → list of task ids"))
        return {}
    return {str(name): [str(i) for i in ids] for name, ids in data.items()}
