"""Task initialization functions (env functions, not tools), per side, as upstream names them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from judge.verifiers.tau2.agent_tools import TODAY, TelecomTools
from judge.verifiers.tau2.observables import apn_attr, can_send_mms
from judge.verifiers.tau2.user_tools import TelecomUserTools


# -- user side ---------------------------------------------------------------------------------
def set_user_info(u: TelecomUserTools, name, phone_number):
    u.surroundings["name"] = name
    u.surroundings["phone_number"] = phone_number


def set_user_location(u: TelecomUserTools, abroad):
    u.surroundings["is_abroad"] = abroad


def _toggle_until(u: TelecomUserTools, toggle: Callable[[], Any], field: str, want: bool) -> None:
    toggle()
    if u.device[field] != want:
        toggle()


def turn_roaming_on(u: TelecomUserTools):
    _toggle_until(u, u.toggle_roaming, "roaming_enabled", True)
    return "Data Roaming is now ON."


def turn_roaming_off(u: TelecomUserTools):
    _toggle_until(u, u.toggle_roaming, "roaming_enabled", False)
    return "Data Roaming is now OFF."


def simulate_network_search(u: TelecomUserTools):
    u.search()


def turn_airplane_mode_on(u: TelecomUserTools):
    _toggle_until(u, u.toggle_airplane_mode, "airplane_mode", True)
    return "Airplane Mode is now ON."


def turn_airplane_mode_off(u: TelecomUserTools):
    _toggle_until(u, u.toggle_airplane_mode, "airplane_mode", False)
    return "Airplane Mode is now OFF."


def turn_data_off(u: TelecomUserTools):
    _toggle_until(u, u.toggle_data, "data_enabled", False)
    return "Data connection broken."


def turn_data_on(u: TelecomUserTools):
    u.device["data_enabled"] = True
    return "Data connection restored."


def turn_data_saver_mode_on(u: TelecomUserTools):
    _toggle_until(u, u.toggle_data_saver_mode, "data_saver_mode", True)
    return "Data Saver Mode is now ON."


def turn_data_saver_mode_off(u: TelecomUserTools):
    _toggle_until(u, u.toggle_data_saver_mode, "data_saver_mode", False)
    return "Data Saver Mode is now OFF."


def set_network_mode_preference(u: TelecomUserTools, mode):
    return u.set_network_mode_preference(mode)


def set_wifi_calling(u: TelecomUserTools, enabled, mms_over_wifi=None):
    if u.device["wifi_calling_enabled"] != enabled:
        u.device["wifi_calling_enabled"] = not u.device["wifi_calling_enabled"]
    message = f"Wi-Fi Calling is now {'ON' if u.device['wifi_calling_enabled'] else 'OFF'}."
    if mms_over_wifi is not None:
        u.device["wifi_calling_mms_over_wifi"] = mms_over_wifi
        message += f"\nMMS over Wi-Fi is now {'ON' if mms_over_wifi else 'OFF'}."
    return message


def break_apn_settings(u: TelecomUserTools):
    apn_attr(u.device, "apn_name")
    u.device["active_apn_settings"]["apn_name"] = "broken"
    u.search()
    assert u.device["network_connection_status"] == "no_service"
    return "APN settings broken. Please call reset_apn_settings() to fix."


def break_apn_mms_setting(u: TelecomUserTools):
    apn_attr(u.device, "mmsc_url")
    u.device["active_apn_settings"]["mmsc_url"] = None
    assert not can_send_mms(u.device, u.surroundings)
    return "APN MMS setting broken. Please call reset_apn_settings() to fix."


def break_vpn(u: TelecomUserTools):
    u.connect_vpn()
    u.device["vpn_details"]["server_performance"] = "poor"
    return "VPN connection broken."


def lock_sim_card(u: TelecomUserTools, mode):
    u.device["sim_card_status"] = "locked_pin" if mode == "pin" else "locked_puk"
    u.search()
    return f"SIM card locked successfully in {mode} mode."


def unseat_sim_card(u: TelecomUserTools):
    u.device["sim_card_missing"] = True
    u.search()
    return "SIM card un-seated successfully."


def remove_app_permission(u: TelecomUserTools, app_name, permission):
    permission = permission.lower()
    app = u.device["app_statuses"].get(app_name)
    if app is None:
        return False, f"App '{app_name}' not found."
    if permission not in app["permissions"]:
        return False, f"Permission '{permission}' not tracked for app '{app_name}'."
    app["permissions"][permission] = False
    return True, f"Permission '{permission}' removed from app '{app_name}'."


# -- agent side --------------------------------------------------------------------------------
def set_data_usage(t: TelecomTools, customer_id, line_id, data_used_gb):
    t.target_line(customer_id, line_id)["data_used_gb"] = data_used_gb
    return f"Data usage set to {data_used_gb} GB for line {line_id}"


def suspend_line_for_overdue_bill(t: TelecomTools, customer_id, line_id, new_bill_id, contract_ended):
    line = t.find_line(line_id)
    if line["status"] != "Active":
        raise ValueError("Line must be active to suspend for unpaid bill")
    plan = t.find_plan(line["plan_id"])
    if not plan["price_per_month"] > 0:
        raise ValueError("Plan price must be positive")
    customer = t.find_customer(customer_id)
    if any(t.find_bill(b)["status"] == "Overdue" for b in customer["bill_ids"]):
        raise ValueError("Customer already has an overdue bill")
    amount = plan["price_per_month"]
    t.db["bills"].append(
        {
            "bill_id": new_bill_id,
            "customer_id": customer_id,
            "period_start": "2025-01-01",
            "period_end": "2025-01-31",
            "issue_date": "2025-01-01",
            "total_due": amount,
            "due_date": "2025-01-15",
            "line_items": [
                {"description": f"Charge for line {line_id}", "amount": amount, "date": TODAY, "item_type": "Charge"}
            ],
            "status": "Overdue",
        }
    )
    customer["bill_ids"].append(new_bill_id)
    line["status"] = "Suspended"
    line["suspension_start_date"] = TODAY
    if contract_ended:
        line["contract_end_date"] = "2025-01-31"
    return f"Line {line_id} suspended for unpaid bill {new_bill_id}. Contract ended: {contract_ended}"


def _agent_tool(name: str) -> Callable[..., Any]:
    def call(t: TelecomTools, **kwargs: Any) -> Any:
        return getattr(t, name)(**kwargs)

    return call


USER_INIT: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        set_user_info,
        set_user_location,
        turn_roaming_on,
        turn_roaming_off,
        simulate_network_search,
        turn_airplane_mode_on,
        turn_airplane_mode_off,
        turn_data_off,
        turn_data_on,
        turn_data_saver_mode_on,
        turn_data_saver_mode_off,
        set_network_mode_preference,
        set_wifi_calling,
        break_apn_settings,
        break_apn_mms_setting,
        break_vpn,
        lock_sim_card,
        unseat_sim_card,
        remove_app_permission,
    )
}
AGENT_INIT: dict[str, Callable[..., Any]] = {
    "set_data_usage": set_data_usage,
    "suspend_line_for_overdue_bill": suspend_line_for_overdue_bill,
    "enable_roaming": _agent_tool("enable_roaming"),
    "disable_roaming": _agent_tool("disable_roaming"),
}
