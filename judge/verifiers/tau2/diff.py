"""Path-keyed differences between two states (the oracle's ``final_state_diff`` format).

Agent lists are keyed by id (``lines.L1002.status``; a new object appears whole as
``bills.B1234321``); nested objects are walked (``device.active_apn_settings.mmsc_url``); lists
and scalars are compared as JSON, so ``2`` and ``2.0`` differ. Values are in pydantic JSON mode
(datetimes ISO with ``T``).
"""

from __future__ import annotations

import json
from typing import Any

from judge.verifiers.tau2.state import AGENT_TABLES, DATETIME_FIELDS, ID_FIELD

_MISSING = object()


def json_mode(value: Any, field: str | None = None) -> Any:
    """Convert a stored value to pydantic JSON mode (datetime fields get a ``T``)."""
    if isinstance(value, dict):
        return {k: json_mode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [json_mode(v) for v in value]
    if field in DATETIME_FIELDS and isinstance(value, str):
        return value.replace(" ", "T", 1)
    return value


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return a == b


def _walk(before: Any, after: Any, path: str, out: dict[str, Any], field: str | None) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in after.items():
            _walk(before.get(key, _MISSING), value, f"{path}.{key}", out, key)
        for key in before.keys() - after.keys():
            out[f"{path}.{key}"] = None
    elif before is _MISSING or not _same(before, after):
        out[path] = json_mode(after, field)


def diff_agent(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Differences of the agent DB, paths like ``lines.L1002.status``."""
    out: dict[str, Any] = {}
    for table, _ in AGENT_TABLES:
        id_field = ID_FIELD[table]
        old = {row[id_field]: row for row in before[table]}
        new_ids = set()
        for row in after[table]:
            key = row[id_field]
            new_ids.add(key)
            _walk(old.get(key, _MISSING), row, f"{table}.{key}", out, None)
        for key in old.keys() - new_ids:
            out[f"{table}.{key}"] = None
    return out


def diff_user(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Differences of the user DB, paths like ``device.airplane_mode``."""
    out: dict[str, Any] = {}
    for part in ("device", "surroundings"):
        _walk(before[part], after[part], part, out, None)
    return out
