"""τ² gold criteria as rubrics: reader-facing phrasing plus the machine check, with ids derived from the check.

- A gold action that fixes a sub-issue is a conditional `tool_call` rubric, "If <cause>, the agent <fix>", with the
  cause in `condition` too (see `conditions.py`); the end-state assertions are the unconditional outcome rubrics
  ("At the end, the user can send MMS messages"); the reward basis is one more rubric.
- Texts never carry customer, line, bill or phone identifiers: the exact arguments live in the machine check only
  (replay needs them), so one text may be shared by rubrics whose checks differ.

Identity scheme: a rubric id is `derived_id("r", "tau2", <check as canonical JSON>, <occurrence>[, "if:" +
sub-issues])`, so the same check under the same condition in many tasks is one rubric, and the same check under
another condition another rubric. A check repeated inside one task under the same condition gets occurrence 2, 3, …
and a text ending "(2nd time in the task)", which keeps repeats distinct and in order under the store's
one-link-per-pair rule.
"""

from __future__ import annotations

import json
from typing import Any

from ingest.tau2.conditions import Condition, assign_conditions
from kb import (
    EnvAssertionCheck,
    Importance,
    Provenance,
    RewardBasisCheck,
    RubricKind,
    RubricRecord,
    RubricStatus,
    Tau2Action,
    Tau2Criteria,
    Tau2Task,
    ToolCallCheck,
    derived_id,
)

SOURCE = "tau2"

# Generic phrases for gold actions no sub-issue accounts for (identifier-free; arguments stay in the check).
_ASSISTANT_TOOLS: dict[str, str] = {
    "refuel_data": "refuels the requested amount of data on the customer's line",
    "enable_roaming": "enables roaming on the customer's line",
    "disable_roaming": "disables roaming on the customer's line",
    "resume_line": "resumes the customer's suspended line",
    "suspend_line": "suspends the customer's line",
    "send_payment_request": "sends the customer a payment request for the overdue bill",
    "transfer_to_human_agents": "transfers the customer to a human agent",
}
_USER_TOOLS: dict[str, str] = {
    "toggle_roaming": "toggle data roaming on the phone",
    "toggle_data": "toggle mobile data on the phone",
    "toggle_data_saver_mode": "toggle data saver mode on the phone",
    "toggle_airplane_mode": "toggle airplane mode on the phone",
    "toggle_wifi_calling": "toggle Wi-Fi calling on the phone",
    "set_network_mode_preference": "set the phone's network mode preference to {mode}",
    "disconnect_vpn": "disconnect the VPN on the phone",
    "reseat_sim_card": "reseat the SIM card",
    "reset_apn_settings": "reset the phone's APN settings",
    "reboot_device": "reboot the phone",
    "make_payment": "make the requested payment on the phone",
    "grant_app_permission": "grant the {app_name} app the {permission} permission",
}
_ASSERTIONS: dict[str, str] = {
    "assert_can_send_mms": "the user {can_or_cannot} send MMS messages",
    "assert_mobile_data_status": "mobile data {works_or_not} on the user's phone",
    "assert_internet_speed": "the user's speed test reports {speed_desc}",
    "assert_service_status": 'the user\'s phone reports network status "{expected_status}"',
    "assert_data_refueling_amount": "the customer's line has been refuelled with exactly {expected_amount} GB in total",
    "assert_no_overdue_bill": "the customer's overdue bill is paid (or no longer exists)",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _fill(template: str, arguments: dict[str, Any]) -> str | None:
    try:
        return template.format(**arguments)
    except (KeyError, IndexError):
        return None


def action_text(check: ToolCallCheck, condition: Condition | None = None) -> str:
    """'If <cause>, the agent <fix>' for a sub-issue's fix; otherwise a generic 'The agent …' phrase."""
    if condition is not None:
        return f"If {condition.cause}, the agent {condition.phrase}"
    table = _ASSISTANT_TOOLS if check.requestor == "assistant" else _USER_TOOLS
    phrase = _fill(table[check.name], check.arguments) if check.name in table else None
    if phrase is None:
        who = "calls" if check.requestor == "assistant" else "has the user call"
        return f"The agent {who} `{check.name}` (arguments as in the machine check)"
    return f"The agent {'has the user ' if check.requestor == 'user' else ''}{phrase}"


def assertion_text(check: EnvAssertionCheck) -> str:
    """'At the end, <outcome>': the unconditional end state, whatever caused the problem."""
    args = dict(check.arguments)
    status = args.get("expected_status")
    args["can_or_cannot"] = "can" if status is not False else "cannot"
    args["works_or_not"] = "works" if status is not False else "does not work"
    if "expected_speed" in args:
        desc = args.get("expected_desc")
        args["speed_desc"] = (
            f"{desc} internet speed (at least {args['expected_speed']} Mbps)"
            if desc
            else f"at least {args['expected_speed']} Mbps"
        )
    phrase = _fill(_ASSERTIONS[check.func_name], args) if check.func_name in _ASSERTIONS else None
    if phrase is None:
        side = "the phone" if check.env_type == "user" else "the account"
        phrase = f"`{check.func_name}` holds on {side} (arguments as in the machine check)"
    return f"At the end, {phrase}" if check.assert_value else f"At the end, it is NOT the case that {phrase}"


def basis_text(check: RewardBasisCheck) -> str:
    parts = " and ".join(check.basis)
    verb = "combines" if len(check.basis) > 1 else "is"
    return f"The reward for this task {verb} {parts} as τ²-bench computes it (product of the components)"


def _rubric(
    check: ToolCallCheck | EnvAssertionCheck | RewardBasisCheck,
    text: str,
    *,
    kind: RubricKind,
    importance: Importance,
    tags: list[str],
    theme: str,
    occurrence: int,
    provenance: Provenance,
    condition: Condition | None = None,
) -> RubricRecord:
    canonical = json.dumps(check.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    parts = [canonical, str(occurrence)] + (["if:" + "|".join(condition.subissues)] if condition else [])
    if occurrence > 1:
        text += f" ({ordinal(occurrence)} time in the task)"
    return RubricRecord(
        id=derived_id("r", SOURCE, *parts),
        text=text,
        kind=kind,
        importance=importance,
        tags=["tau2", *tags],
        theme=theme,
        check=check,
        condition=condition.cause if condition else None,
        status=RubricStatus.APPROVED,
        source=SOURCE,
        provenance=provenance,
    )


def action_check(action: Tau2Action) -> ToolCallCheck:
    return ToolCallCheck(
        name=action.name, requestor=action.requestor, arguments=action.arguments, compare_args=action.compare_args
    )


def task_rubrics(task: Tau2Task, *, file: str, line: int | None) -> list[RubricRecord]:
    """The task's rubrics in order: gold actions (conditional fixes), then end-state assertions, then the basis."""
    criteria = task.evaluation_criteria or Tau2Criteria()
    actions = criteria.actions or []
    seen: dict[str, int] = {}
    out: list[RubricRecord] = []

    def occurrence(check: Any, condition: Condition | None = None) -> int:
        key = check.model_dump_json() + (repr(condition.subissues) if condition else "")
        seen[key] = seen.get(key, 0) + 1
        return seen[key]

    def where(section: str) -> Provenance:
        return Provenance(file=file, line=line, dataset_id=task.id, section=section)

    for i, (action, condition) in enumerate(zip(actions, assign_conditions(task.subissues, actions), strict=True)):
        check = action_check(action)
        # transfer is the only gold action of unfixable tasks, whose basis includes ACTION
        importance = Importance.ESSENTIAL if action.name == "transfer_to_human_agents" else Importance.IMPORTANT
        subissue_tags = [f"subissue:{s}"[:64] for s in condition.subissues] if condition else []
        out.append(
            _rubric(
                check,
                action_text(check, condition),
                kind=RubricKind.TOOL_CALL,
                importance=importance,
                tags=[f"tool:{action.name}"[:64], *subissue_tags],
                theme="conditional fix" if condition else "resolution path",
                occurrence=occurrence(check, condition),
                provenance=where(condition.section if condition else f"evaluation_criteria.actions[{i}]"),
                condition=condition,
            )
        )
    for i, assertion in enumerate(criteria.env_assertions or []):
        check = EnvAssertionCheck(
            env_type=assertion.env_type,
            func_name=assertion.func_name,
            arguments=assertion.arguments,
            assert_value=assertion.assert_value,
            message=assertion.message,
        )
        out.append(
            _rubric(
                check,
                assertion_text(check),
                kind=RubricKind.HARD_RULE,
                importance=Importance.ESSENTIAL,
                tags=[f"assert:{assertion.func_name}"[:64]],
                theme="end state",
                occurrence=occurrence(check),
                provenance=where(f"evaluation_criteria.env_assertions[{i}]"),
            )
        )
    basis_check = RewardBasisCheck(basis=list(criteria.reward_basis))
    out.append(
        _rubric(
            basis_check,
            basis_text(basis_check),
            kind=RubricKind.HARD_RULE,
            importance=Importance.ESSENTIAL,
            tags=["reward_basis"],
            theme="reward basis",
            occurrence=1,
            provenance=where("evaluation_criteria.reward_basis"),
        )
    )
    return out
