"""From verdicts to a score: gates first, then HealthBench's weighted rule, and every component under its key.

score = clip(Σ weight of met criteria − Σ weight of met pitfalls, 0, Σ positive weights) ÷ Σ positive weights,
over the criteria that apply (not-applicable ones count in neither sum). A pitfall describes an undesirable
behaviour: met means the response did the bad thing. A failed gate (a programmatic hard rule) caps the score
at `gate_cap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from judge.result import COMPONENTS, CriterionVerdict, Verdict
from kb import Importance


@dataclass(frozen=True)
class Aggregate:
    """The score (None when no criterion applies) and every component (None = not applicable)."""

    score: float | None
    components: dict[str, float | None]
    capped: bool


def _share_met(verdicts: Sequence[CriterionVerdict]) -> float | None:
    """Weighted share of applicable criteria met (pitfalls met subtract), clipped to [0, 1]; None if none apply."""
    applicable = [v for v in verdicts if v.verdict is not Verdict.NOT_APPLICABLE]
    positive = sum(v.weight for v in applicable if v.importance != Importance.PITFALL)
    gained = sum(
        (-v.weight if v.importance == Importance.PITFALL else v.weight) for v in applicable if v.verdict is Verdict.MET
    )
    if positive <= 0:
        if not any(v.importance == Importance.PITFALL for v in applicable):
            return None
        return 0.0 if gained < 0 else 1.0  # only pitfalls apply: 1 unless one was committed
    return min(1.0, max(0.0, gained / positive))


def aggregate(verdicts: Sequence[CriterionVerdict], *, gate_cap: float = 0.0) -> Aggregate:
    """Score and components of one response's verdicts.

    Args:
        verdicts: every criterion's verdict, machine-checked and judged.
        gate_cap: the most a response that fails any gate can score (in [0, 1]).
    """
    components: dict[str, float | None] = dict.fromkeys(COMPONENTS)
    by_component: dict[str, list[CriterionVerdict]] = {}
    for v in verdicts:
        by_component.setdefault(v.component, []).append(v)
    for key, group in by_component.items():
        if key in components:
            components[key] = _share_met(group)
    components["hard_rules"] = _share_met([v for v in verdicts if v.kind == "hard_rule"])
    components["tool_calls"] = _share_met([v for v in verdicts if v.kind == "tool_call"])
    components["principles"] = _share_met([v for v in verdicts if v.kind == "principle"])
    gates = [v for v in verdicts if v.gate and v.verdict is not Verdict.NOT_APPLICABLE]
    gate_failed = any(v.verdict is Verdict.NOT_MET for v in gates)
    components["gates"] = (0.0 if gate_failed else 1.0) if gates else None
    score = _share_met(verdicts)
    if score is None:
        return Aggregate(score=None, components=components, capped=False)
    capped = gate_failed and score > gate_cap
    return Aggregate(score=min(score, gate_cap) if gate_failed else score, components=components, capped=capped)
