"""The reviewed table of τ² telecom sub-issues: the cause each one plants (as a rubric condition) and the gold fix
steps it calls for, written from the domain's `tech_support_manual.md` and `main_policy.md` (sections cited).

A task id names its sub-issues (`[mms_issue]bad_network_preference|bad_wifi_calling[PERSONA:Easy]`); its gold action
list is the concatenation of each sub-issue's fix steps in id order, except in tasks with an unfixable sub-issue,
whose only gold action is the transfer to a human agent. `assign_conditions` maps each gold action to the sub-issue
(s) it fixes, so the action becomes the rubric "If <cause>, the agent <fix>". Texts never name a customer, line,
bill or phone number: the exact arguments stay in the machine check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kb import Tau2Action

MANUAL = "tech_support_manual.md"
POLICY = "main_policy.md"


@dataclass(frozen=True)
class FixStep:
    """One gold action a sub-issue calls for, and how a rubric says it (after "the agent ")."""

    requestor: Literal["assistant", "user"]
    tool: str
    phrase: str

    def matches(self, action: Tau2Action) -> bool:
        return action.name == self.tool and action.requestor == self.requestor


@dataclass(frozen=True)
class SubIssue:
    """A planted fault: its cause as a condition ("the phone's airplane mode is on"), its fix, the section cited."""

    name: str
    cause: str
    steps: tuple[FixStep, ...]
    section: str
    unfixable: bool = False  # the fix is the transfer to a human agent; the task's other fixes are not gold


def _user(tool: str, phrase: str) -> FixStep:
    return FixStep("user", tool, f"has the user {phrase}")


def _agent(tool: str, phrase: str) -> FixStep:
    return FixStep("assistant", tool, phrase)


_TRANSFER = _agent("transfer_to_human_agents", "transfers the customer to a human agent instead of trying to fix it")
_RESET_APN = _user("reset_apn_settings", "reset the APN settings")
_REBOOT_AFTER_APN = _user("reboot_device", "reboot the phone after the APN reset so the new settings apply")
_SERVICE = f"{MANUAL} § Troubleshooting Service Problems"
_DATA = f"{MANUAL} § Troubleshooting Mobile Data Problems"
_MMS = f"{MANUAL} § Troubleshooting MMS Problems"
_ROAMING = f"{_DATA} › Addressing Data Roaming Problems; {POLICY} § Data Roaming"

SUBISSUES: dict[str, SubIssue] = {
    s.name: s
    for s in (
        # cellular service
        SubIssue(
            "airplane_mode_on",
            "the user's phone is in airplane mode",
            (_user("toggle_airplane_mode", "turn airplane mode off"),),
            f"{_SERVICE} › Airplane Mode",
        ),
        SubIssue(
            "unseat_sim_card",
            "the phone reports the SIM card as missing (it is not properly seated)",
            (_user("reseat_sim_card", "reseat the SIM card"),),
            f"{_SERVICE} › SIM Card Issues",
        ),
        SubIssue(
            "lock_sim_card_pin",
            "the SIM card is locked after wrong PIN/PUK entries",
            (_TRANSFER,),
            f"{_SERVICE} › SIM Card Issues (escalate a locked SIM)",
            unfixable=True,
        ),
        SubIssue(
            "break_apn_settings",
            "the phone's APN settings are incorrect",
            (_RESET_APN, _REBOOT_AFTER_APN),
            f"{_SERVICE} › Incorrect APN Settings",
        ),
        SubIssue(
            "overdue_bill_suspension",
            "the line is suspended because of an overdue bill and its contract has not ended",
            (
                _agent("send_payment_request", "sends the customer a payment request for the overdue bill"),
                _user("make_payment", "accept and pay the payment request on the phone"),
                _agent("resume_line", "resumes the customer's suspended line once the overdue bill is paid"),
                _user("reboot_device", "reboot the phone after the line is resumed"),
            ),
            f"{_SERVICE} › Line Suspension; {POLICY} § Overdue Bill Payment, § Line Suspension",
        ),
        SubIssue(
            "contract_end_suspension",
            "the line is suspended and its contract end date is in the past",
            (_TRANSFER,),
            f"{_SERVICE} › Line Suspension; {POLICY} § Line Suspension (no resume after the contract end date)",
            unfixable=True,
        ),
        # mobile data
        SubIssue(
            "data_mode_off",
            "mobile data is turned off on the user's phone",
            (_user("toggle_data", "turn mobile data on"),),
            f"{_DATA} › Mobile Data Disabled",
        ),
        SubIssue(
            "data_saver_mode_on",
            "the user's phone has data saver mode on",
            (_user("toggle_data_saver_mode", "turn data saver mode off"),),
            f"{_DATA} › Data Saver Mode",
        ),
        SubIssue(
            "bad_network_preference",
            "the phone's network mode preference is set to 2G only",
            (
                _user(
                    "set_network_mode_preference",
                    "set the network mode preference to a mode that includes 4G/5G (4G/5G preferred)",
                ),
            ),
            f"{_DATA} › Optimizing Network Mode Preferences; {_MMS} › Unsuitable Network Technology for MMS",
        ),
        SubIssue(
            "bad_vpn",
            "a VPN is connected on the user's phone and its performance is poor",
            (_user("disconnect_vpn", "disconnect the VPN"),),
            f"{_DATA} › VPN Connection Issues",
        ),
        SubIssue(
            "data_usage_exceeded",
            "the line's data usage has exceeded its plan's data limit",
            (
                _agent(
                    "refuel_data",
                    "refuels the requested amount of data (at most 2 GB, price confirmed) on the customer's line",
                ),
            ),
            f"{_DATA} › Data Plan Limits Reached; {POLICY} § Data Refueling",
        ),
        SubIssue(
            "user_abroad_roaming_enabled_off",
            "the user is abroad and data roaming is off on the phone, while the line itself allows roaming",
            (_user("toggle_roaming", "turn data roaming on"),),
            _ROAMING,
        ),
        SubIssue(
            "user_abroad_roaming_disabled_on",
            "the user is abroad and has data roaming on, but the line is not roaming-enabled",
            (_agent("enable_roaming", "enables roaming on the customer's line"),),
            _ROAMING,
        ),
        SubIssue(
            "user_abroad_roaming_disabled_off",
            "the user is abroad, the line is not roaming-enabled and data roaming is off on the phone",
            (
                _agent("enable_roaming", "enables roaming on the customer's line"),
                _user("toggle_roaming", "turn data roaming on"),
            ),
            _ROAMING,
        ),
        # MMS
        SubIssue(
            "bad_wifi_calling",
            "the user's phone has Wi-Fi calling on, set to send MMS over Wi-Fi",
            (_user("toggle_wifi_calling", "turn Wi-Fi calling off"),),
            f"{_MMS} › Investigating Wi-Fi Calling Interference with MMS",
        ),
        SubIssue(
            "break_apn_mms_setting",
            "the MMSC URL in the phone's APN settings is missing",
            (_RESET_APN, _REBOOT_AFTER_APN),
            f"{_MMS} › Verifying APN (MMSC URL) for MMS",
        ),
        SubIssue(
            "break_app_sms_permission",
            "the messaging app lacks the SMS permission",
            (_user("grant_app_permission", "grant the messaging app the SMS permission"),),
            f"{_MMS} › Messaging App Lacks Necessary Permissions",
        ),
        SubIssue(
            "break_app_storage_permission",
            "the messaging app lacks the storage permission",
            (_user("grant_app_permission", "grant the messaging app the storage permission"),),
            f"{_MMS} › Messaging App Lacks Necessary Permissions",
        ),
        SubIssue(
            "break_app_both_permissions",
            "the messaging app lacks both the SMS and the storage permission",
            (
                _user("grant_app_permission", "grant the messaging app the SMS permission"),
                _user("grant_app_permission", "grant the messaging app the storage permission"),
            ),
            f"{_MMS} › Messaging App Lacks Necessary Permissions",
        ),
    )
}


@dataclass(frozen=True)
class Condition:
    """The cause under which one gold action is due: one sub-issue, or (for the transfer) any of several."""

    subissues: tuple[str, ...]
    cause: str
    phrase: str
    section: str


def _condition(issues: Sequence[SubIssue], step: FixStep) -> Condition:
    return Condition(
        subissues=tuple(s.name for s in issues),
        cause=", or ".join(s.cause for s in issues),
        phrase=step.phrase,
        section="; ".join(dict.fromkeys(s.section for s in issues)),
    )


def assign_conditions(subissues: Sequence[str], actions: Sequence[Tau2Action]) -> list[Condition | None]:
    """The condition of each gold action, in order; None for an action no known sub-issue accounts for.

    Fix steps are matched in order (tool name and side); an action that does not match the next expected step is
    left unconditional and the walk goes on, so an unknown or reordered task degrades to unconditional rubrics.
    """
    known = [SUBISSUES[s] for s in subissues if s in SUBISSUES]
    unfixable = [s for s in known if s.unfixable]
    expected: list[tuple[Sequence[SubIssue], FixStep]] = (
        [(unfixable, _TRANSFER)] if unfixable else [((s,), step) for s in known for step in s.steps]
    )
    out: list[Condition | None] = []
    at = 0
    for action in actions:
        if at < len(expected) and expected[at][1].matches(action):
            out.append(_condition(*expected[at]))
            at += 1
        else:
            out.append(None)
    return out
