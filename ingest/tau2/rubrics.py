"""τ² gold criteria as rubrics: reader-facing phrasing plus the machine check, with ids derived from the check.

Identity scheme: a rubric id is `derived_id("r", "tau2", <check as canonical JSON>, <occurrence>)`, so the same
action (same requestor, name, arguments, compare_args) or the same assertion in many tasks is one rubric. A check
repeated inside one task (e.g. two `reboot_device` calls) gets occurrence 2, 3, … and a text ending
"(2nd time in the task)", which keeps repeats distinct and in order under the store's one-link-per-pair rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ingest.tau2.tasks import Tau2Action, Tau2EnvAssertion
from kb import (
    EnvAssertionCheck,
    Importance,
    Provenance,
    RewardBasisCheck,
    RubricKind,
    RubricRecord,
    RubricStatus,
    ToolCallCheck,
    derived_id,
)

SOURCE = "tau2"

_ASSISTANT_TOOLS: dict[str, str] = {
    "refuel_data": "refuels {gb_amount} GB of data on line {line_id} for customer {customer_id}",
    "enable_roaming": "enables roaming on line {line_id} for customer {customer_id}",
    "resume_line": "resumes line {line_id} for customer {customer_id}",
    "send_payment_request": "sends customer {customer_id} a payment request for bill {bill_id}",
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
    "assert_can_send_mms": "the user's phone {can_or_cannot} send MMS messages",
    "assert_mobile_data_status": "mobile data on the user's phone is {on_or_off}",
    "assert_internet_speed": "the phone's speed test reports {expected_desc} internet speed "
    "(at least {expected_speed} Mbps)",
    "assert_service_status": 'the phone\'s network connection status is "{expected_status}"',
    "assert_data_refueling_amount": "line {line_id} of customer {customer_id} has been refuelled with exactly "
    "{expected_amount} GB in total",
    "assert_no_overdue_bill": "bill {overdue_bill_id} is paid or no longer exists",
}


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _fill(template: str, arguments: dict[str, Any]) -> str | None:
    try:
        return template.format(**arguments)
    except (KeyError, IndexError):
        return None


def _args_text(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items()) or "no arguments"


def action_text(check: ToolCallCheck) -> str:
    """'The agent refuels 2.0 GB …' for agent tools; 'The agent has the user reboot the phone' for phone tools."""
    table = _ASSISTANT_TOOLS if check.requestor == "assistant" else _USER_TOOLS
    phrase = _fill(table[check.name], check.arguments) if check.name in table else None
    if phrase is None:
        who = "calls" if check.requestor == "assistant" else "has the user call"
        phrase = f"{who} `{check.name}` with {_args_text(check.arguments)}"
    elif check.requestor == "user":
        phrase = f"has the user {phrase}"
    text = f"The agent {phrase}"
    if check.compare_args == []:
        text += " (any arguments match)"
    elif check.compare_args is not None and set(check.compare_args) != set(check.arguments):
        text += f" (compared: {', '.join(check.compare_args)})"
    return text


def assertion_text(check: EnvAssertionCheck) -> str:
    args = dict(check.arguments)
    status = args.get("expected_status")
    args["can_or_cannot"] = "can" if status is not False else "cannot"
    args["on_or_off"] = "on" if status is not False else "off"
    phrase = _fill(_ASSERTIONS[check.func_name], args) if check.func_name in _ASSERTIONS else None
    if phrase is None:
        phrase = f"`{check.func_name}` with {_args_text(check.arguments)} holds on the {check.env_type} side"
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
) -> RubricRecord:
    canonical = json.dumps(check.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    if occurrence > 1:
        text += f" ({ordinal(occurrence)} time in the task)"
    return RubricRecord(
        id=derived_id("r", SOURCE, canonical, str(occurrence)),
        text=text,
        kind=kind,
        importance=importance,
        tags=["tau2", *tags],
        theme=theme,
        check=check,
        status=RubricStatus.APPROVED,
        source=SOURCE,
        provenance=provenance,
    )


def task_rubrics(
    task_id: str,
    actions: Sequence[Tau2Action],
    assertions: Sequence[Tau2EnvAssertion],
    basis: Sequence[str],
    *,
    file: str,
    line: int | None,
) -> list[RubricRecord]:
    """The task's rubrics in order: gold actions, then env assertions, then the reward basis."""
    seen: dict[str, int] = {}
    out: list[RubricRecord] = []

    def occurrence(check: Any) -> int:
        key = check.model_dump_json()
        seen[key] = seen.get(key, 0) + 1
        return seen[key]

    def where(section: str) -> Provenance:
        return Provenance(file=file, line=line, dataset_id=task_id, section=section)

    for i, action in enumerate(actions):
        check = ToolCallCheck(
            name=action.name, requestor=action.requestor, arguments=action.arguments, compare_args=action.compare_args
        )
        # transfer is the only gold action of unfixable tasks, whose basis includes ACTION
        importance = Importance.ESSENTIAL if action.name == "transfer_to_human_agents" else Importance.IMPORTANT
        out.append(
            _rubric(
                check,
                action_text(check),
                kind=RubricKind.TOOL_CALL,
                importance=importance,
                tags=[f"tool:{action.name}"[:64]],
                theme="resolution path",
                occurrence=occurrence(check),
                provenance=where(f"evaluation_criteria.actions[{i}]"),
            )
        )
    for i, assertion in enumerate(assertions):
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
    basis_check = RewardBasisCheck(basis=list(basis))
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


def criteria_from_checks(checks: Sequence[Any]) -> dict[str, Any]:
    """Rebuild τ² `evaluation_criteria` (actions, env_assertions, reward_basis) from ordered rubric checks."""
    actions: list[dict[str, Any]] = []
    assertions: list[dict[str, Any]] = []
    basis: list[str] | None = None
    for check in checks:
        if isinstance(check, ToolCallCheck):
            actions.append(
                {
                    "requestor": check.requestor,
                    "name": check.name,
                    "arguments": check.arguments,
                    "compare_args": check.compare_args,
                }
            )
        elif isinstance(check, EnvAssertionCheck):
            assertions.append(
                {
                    "env_type": check.env_type,
                    "func_name": check.func_name,
                    "arguments": check.arguments,
                    "assert_value": check.assert_value,
                    "message": check.message,
                }
            )
        elif isinstance(check, RewardBasisCheck):
            basis = list(check.basis)
    return {"actions": actions, "env_assertions": assertions, "reward_basis": basis}
