"""The generator's side: its small output model, the prompt variables, and mapping its reply to items."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field, create_model

from kb import DEFAULT_WEIGHTS, Importance, RubricKind, RubricView, ToolCallCheck, derived_id, normalise_text
from retrieval.rubric_set import ItemOrigin, RubricItem

logger = logging.getLogger(__name__)

MAX_LISTED_TEXT = 240  # characters of a reference rubric shown in the prompt
CHECKED_KINDS = frozenset({RubricKind.HARD_RULE, RubricKind.TOOL_CALL})
# The reference list marks a conditional rubric "… (only if: cause)"; a small generator copies that into its text.
# "If the APN has no MMSC URL, the agent …": the phrasing of conditional rubrics; the leading clause is the cause.
_LEADING_CONDITION = re.compile(r"^(?:if|when|only if)\s+(?P<cause>[^,]{3,160}),\s+(?=the (?:agent|response)\b)", re.I)
_ECHOED_CONDITION = re.compile(r"\s*\(only if:\s*(?P<cause>[^()]*(?:\([^()]*\)[^()]*)*)\)\s*\.?\s*$", re.IGNORECASE)


class DraftItem(BaseModel):
    """One rubric as the generator writes it (kept small: every token costs on a local model)."""

    text: str = Field(min_length=10, max_length=300, description="One yes/no criterion.")
    kind: Literal["hard_rule", "principle", "tool_call"]
    importance: Literal["essential", "important", "optional", "pitfall"]
    sources: list[int] = Field(max_length=4, description="Numbers of the reference rubrics it is based on.")
    condition: str | None = Field(None, max_length=160, description="When it applies; null = always.")


@cache
def draft_model(max_items: int) -> type[BaseModel]:
    """The output model `RubricDraft` with 1..max_items items (one class per size, so schemas are stable)."""
    return create_model(
        "RubricDraft",
        __doc__="Rubrics for one request.",
        items=(list[DraftItem], Field(min_length=1, max_length=max_items)),
    )


def listed_rubrics(offered: Sequence[RubricView]) -> str:
    """The numbered reference list: `3. [tool_call, essential, tool refuel_data] The agent …`."""
    if not offered:
        return "(none)"
    lines = []
    for number, rubric in enumerate(offered, start=1):
        text = " ".join(rubric.text.split())
        text = text if len(text) <= MAX_LISTED_TEXT else text[: MAX_LISTED_TEXT - 1] + "…"
        tool = f", tool {rubric.check.name}" if isinstance(rubric.check, ToolCallCheck) else ""
        condition = f" (only if: {rubric.condition})" if rubric.condition else ""
        lines.append(f"{number}. [{rubric.kind}, {rubric.importance}{tool}] {text}{condition}")
    return "\n".join(lines)


def item_from_view(rubric: RubricView) -> RubricItem:
    """A KB rubric taken verbatim (the fallback)."""
    return RubricItem(
        id=rubric.id,
        text=rubric.text,
        kind=RubricKind(rubric.kind),
        importance=Importance(rubric.importance),
        weight=rubric.weight,
        derived_from=(rubric.id,),
        check=rubric.check,
        condition=rubric.condition,
        origin=ItemOrigin.RETRIEVED,
    )


def items_from_draft(drafts: Sequence[DraftItem], offered: Sequence[RubricView]) -> list[RubricItem]:
    """Map source numbers back to KB ids (out-of-range numbers are dropped) and carry a machine check over
    when a hard_rule / tool_call item derives from exactly one checked rubric."""
    items: list[RubricItem] = []
    for draft in drafts:
        text, echoed = _split_condition(" ".join(draft.text.split()))
        if not text:
            continue
        sources = [offered[n - 1] for n in dict.fromkeys(draft.sources) if 1 <= n <= len(offered)]
        if len(sources) != len(set(draft.sources)):
            logger.info("dropped source numbers outside 1..%d: %s", len(offered), draft.sources)
        kind, importance = RubricKind(draft.kind), Importance(draft.importance)
        checked = [s for s in sources if s.check is not None]
        check = checked[0].check if kind in CHECKED_KINDS and len(checked) == 1 else None
        conditions = [s.condition for s in sources if s.condition]
        condition = " ".join(draft.condition.split()) if draft.condition else echoed
        if condition is None and conditions and (kind is RubricKind.TOOL_CALL or len(conditions) == len(sources)):
            # every source applies only under a cause: so does it; and a tool call built on a conditional fix
            # step is never unconditional (it would pay for doing the fix whether or not its cause is there)
            condition = " or ".join(dict.fromkeys(conditions))
        items.append(
            RubricItem(
                id=derived_id("s", kind.value, normalise_text(text)),
                text=text,
                kind=kind,
                importance=importance,
                weight=DEFAULT_WEIGHTS[importance],
                derived_from=tuple(s.id for s in sources),
                check=check,
                condition=condition,
                origin=ItemOrigin.SYNTHESISED,
            )
        )
    return items


def _split_condition(text: str) -> tuple[str, str | None]:
    """`text` without a copied "(only if: cause)" suffix, and that cause; else the cause of a text that opens
    with one ("If the SIM is missing, the agent …" keeps its text)."""
    m = _ECHOED_CONDITION.search(text)
    if m is not None:
        return text[: m.start()].rstrip(), " ".join(m.group("cause").split()) or None
    lead = _LEADING_CONDITION.match(text)
    return text, lead.group("cause").strip() if lead else None
