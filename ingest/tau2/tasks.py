"""Reading τ²-bench telecom `tasks.json`, `split_tasks.json` and the base DBs (`db.toml`, `user_db.toml`) into
the KB's typed task model, each task with its line in the file."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.validation import validate_entry
from kb import InputProblem, Tau2Environment, Tau2Task

_ID_KEY = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.)*)"')
_TELECOM_ID = "[family]sub_issue|…[PERSONA:None|Easy|Hard], e.g. [mms_issue]airplane_mode_on[PERSONA:Easy]"


def _ingestion_problems(task: Tau2Task, file: str, line: int | None) -> list[InputProblem]:
    """What ingestion needs beyond the upstream schema: a telecom id (tags, conditions) and evaluation criteria."""
    problems = []
    if task.family is None:
        problems.append(InputProblem(file, line, "id", f"expected the telecom form {_TELECOM_ID} (got {task.id!r})"))
    if task.evaluation_criteria is None:
        problems.append(InputProblem(file, line, "evaluation_criteria", "required field is missing"))
    return problems


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
        if task is not None and (extra := _ingestion_problems(task, str(path), line)):
            problems.extend(extra)
            task = None
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


def read_environment(db: Path, user_db: Path, problems: list[InputProblem]) -> Tau2Environment | None:
    """The base agent and user DBs as one environment (their text, checked to be TOML); problems are appended."""
    texts: list[str] = []
    for path in (db, user_db):
        try:
            text = path.read_text(encoding="utf-8")
            tomllib.loads(text)
        except OSError as exc:
            problems.append(InputProblem(str(path), None, None, f"cannot read file: {exc.strerror}"))
            continue
        except UnicodeDecodeError:
            problems.append(InputProblem(str(path), None, None, "not UTF-8; expected the upstream TOML file"))
            continue
        except tomllib.TOMLDecodeError as exc:
            problems.append(InputProblem(str(path), None, None, f"invalid TOML: {exc}"))
            continue
        texts.append(text)
    return Tau2Environment(agent_db=texts[0], user_db=texts[1]) if len(texts) == 2 else None
