"""What a trainer row says about the request being rewarded: `RewardTarget`, read from verl's `ground_truth` /
`extra_info`, OpenRLHF's `labels` or TRL's dataset columns.

RL frameworks pass the policy's output plus whatever the dataset row carried; the request (the customer's words, not
the chat-templated prompt), the τ² task id and a reference answer travel in that row. One shape everywhere:

    {"request": "My MMS won't send", "task_id": "mms_issue[...]", "reference": "Turn mobile data on."}

given as a dict or as its JSON text. A plain (non-JSON) string is a reference answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb import TelerubricError

REQUEST_KEYS = ("request", "question")  # `question` is what verl's example preprocessors put in extra_info


class AdapterInputError(TelerubricError):
    """A trainer row does not carry what the reward needs (a configuration mistake: fix the dataset)."""

    exit_code = 2


class RewardTarget(BaseModel):
    """The request a response answers, and what the KB needs to verify it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    request: str | None = Field(None, description="The customer's request (plain text, no chat template).")
    task_id: str | None = Field(None, description="τ²-bench task id, for trajectory replay.")
    reference: str | None = Field(None, description="Expected answer or explanation, shown to the judge.")
    trajectory: dict[str, Any] | None = Field(None, description="τ² trajectory of this sample (per response).")

    def merged(self, fallback: RewardTarget) -> RewardTarget:
        """Fields missing here taken from `fallback`."""
        mine = self.model_dump(exclude_none=True)
        return fallback.model_copy(update=mine)

    @property
    def group_key(self) -> tuple[str, str | None, str | None]:
        """Samples with the same key share one rubric set (one GRPO group)."""
        return (self.request or "", self.task_id, self.reference)


def read_target(value: Any, *, source: str) -> RewardTarget:
    """A `RewardTarget` from a dict, its JSON text, a plain string (= reference) or None (= nothing).

    Raises:
        AdapterInputError: a dict or JSON object whose fields have the wrong types (`source` names the argument).
    """
    if value is None:
        return RewardTarget()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise AdapterInputError(f"{source}: looks like JSON but does not parse ({exc})") from exc
        else:
            return RewardTarget(reference=value) if text else RewardTarget()
    mapping = value if isinstance(value, Mapping) else _as_mapping(value)
    if mapping is None:
        raise AdapterInputError(
            f"{source}: expected a dict or JSON object with request / task_id / reference, got {type(value).__name__}"
        )
    fields = dict(mapping)
    for key in REQUEST_KEYS:
        if fields.get(key) is not None and "request" not in fields:
            fields["request"] = fields[key]
    try:
        return RewardTarget.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AdapterInputError(f"{source}.{where}: {first['msg']}") from exc


def require_request(target: RewardTarget, *, source: str) -> str:
    """The request, or an `AdapterInputError` that shows the expected shape."""
    if target.request and target.request.strip():
        return target.request
    raise AdapterInputError(
        f"{source}: no request to judge against; put the customer's request in it, e.g. "
        '{"request": "My MMS will not send", "task_id": null, "reference": null}'
    )


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    """numpy object arrays and pyarrow structs (how parquet rows arrive) as plain dicts, when they are dict-like."""
    items = getattr(value, "items", None)
    if callable(items):
        return dict(items())
    return None
