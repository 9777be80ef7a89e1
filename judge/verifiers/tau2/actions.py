"""ACTION matching: does any call of the trajectory match each gold action."""

from __future__ import annotations

from collections.abc import Sequence

from judge.verifiers.tau2.result import ActionCheck
from judge.verifiers.tau2.trajectory import ToolCallRecord
from kb import Tau2Action


def matches(action: Tau2Action, call: ToolCallRecord) -> bool:
    """Upstream rule: same name (requestor ignored); compare the named arguments by dict equality.

    The names are ``compare_args`` when set, else the **candidate's** argument names; an empty
    set matches. Calls whose arguments could not be parsed never match.
    """
    if call.name != action.name or call.arguments is None:
        return False
    names = action.compare_args if action.compare_args is not None else list(call.arguments)
    if not names:
        return True
    got = {k: call.arguments[k] for k in names if k in call.arguments}
    want = {k: action.arguments[k] for k in names if k in action.arguments}
    return got == want


def check_actions(calls: Sequence[ToolCallRecord], gold: Sequence[Tau2Action]) -> list[ActionCheck]:
    """One check per gold action, in task order."""
    by_name: dict[str, list[ToolCallRecord]] = {}
    for call in calls:
        by_name.setdefault(call.name, []).append(call)
    return [
        ActionCheck(
            action_id=g.action_id,
            requestor=g.requestor,
            name=g.name,
            arguments=g.arguments,
            compare_args=g.compare_args,
            matched=any(matches(g, c) for c in by_name.get(g.name, ())),
        )
        for g in gold
    ]
