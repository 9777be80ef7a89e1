"""The 30 phone tools the simulated user calls (upstream ``TelecomUserTools``), as content strings."""

from __future__ import annotations

import enum
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from judge.verifiers.tau2.observables import (
    apn_attr,
    can_send_mms,
    effective_sim_status,
    enum_value,
    mobile_data_working,
    network_search,
    speed_test,
    status_bar,
)
from judge.verifiers.tau2.state import DEFAULT_APN

READ, WRITE = "read", "write"
_READS = (
    "check_status_bar check_network_status check_network_mode_preference run_speed_test check_sim_status "
    "check_data_restriction_status check_apn_settings check_wifi_status check_wifi_calling_status "
    "check_vpn_status check_installed_apps check_app_status check_app_permissions can_send_mms "
    "check_payment_request"
).split()
_WRITES = (
    "set_network_mode_preference toggle_airplane_mode reseat_sim_card toggle_data toggle_roaming "
    "toggle_data_saver_mode set_apn_settings reset_apn_settings toggle_wifi toggle_wifi_calling connect_vpn "
    "disconnect_vpn grant_app_permission reboot_device make_payment"
).split()
USER_TOOL_TYPES: dict[str, str] = {**dict.fromkeys(_READS, READ), **dict.fromkeys(_WRITES, WRITE)}

NETWORK_MODES = ("4g_5g_preferred", "4g_only", "3g_only", "2g_only")
PERMISSIONS = ("sms", "storage", "phone", "network")
DEFAULT_VPN = {"server_address": "192.168.1.1", "protocol": "OpenVPN", "server_performance": "excellent"}
PYDANTIC_DOCS_VERSION = "2.14"  # the pydantic version whose error URLs the oracle recorded
_ADVICE = {
    "Very Poor": "Connection is very slow. Basic web browsing might be difficult.",
    "Poor": "Connection is slow. Web browsing may be sluggish, streaming difficult.",
    "Fair": "Connection is okay for web browsing and some standard definition streaming.",
    "Good": "Connection is good for most activities, including HD streaming.",
    "Excellent": "Connection is very fast.",
}


def _apn_model() -> type[BaseModel]:
    names = enum.Enum("APNNames", {"INTERNET": "internet", "BROKEN": "broken"}, type=str)
    return create_model(
        "APNSettings",
        __config__=ConfigDict(extra="forbid"),
        apn_name=(names, "internet"),
        reset_at_reboot=(bool, False),
        mms_apn=(str | None, "mms"),
        mmsc_url=(str | None, "http://mms.carrier.com/mms/wapenc"),
        mms_proxy=(str | None, None),
        mms_port=(int | None, None),
    )


_APNSettings = _apn_model()


def _validation_text(exc: ValidationError) -> str:
    text = str(exc)
    major_minor = ".".join(pydantic.VERSION.split(".")[:2])
    return text.replace(f"errors.pydantic.dev/{major_minor}/", f"errors.pydantic.dev/{PYDANTIC_DOCS_VERSION}/")


class TelecomUserTools:
    """Phone-side toolkit bound to one user DB dict (``device`` and ``surroundings``)."""

    def __init__(self, db: dict[str, Any]) -> None:
        self.db = db
        self.device: dict[str, Any] = db["device"]
        self.surroundings: dict[str, Any] = db["surroundings"]

    def search(self) -> None:
        network_search(self.device, self.surroundings)

    def _bar(self, message: str) -> str:
        return f"{message}\nStatus Bar: {status_bar(self.device)}"

    # -- read tools ----------------------------------------------------------------------------
    def check_status_bar(self):
        return f"Status Bar: {status_bar(self.device)}"

    def check_network_status(self):
        d = self.device
        lines = [
            f"Airplane Mode: {'ON' if d['airplane_mode'] else 'OFF'}",
            f"SIM Card Status: {effective_sim_status(d)}",
            f"Cellular Connection: {d['network_connection_status']}",
            f"Cellular Signal: {d['network_signal_strength']}",
            f"Cellular Network Type: {d['network_technology_connected']}",
            f"Mobile Data Enabled: {'Yes' if d['data_enabled'] else 'No'}",
            f"Data Roaming Enabled: {'Yes' if d['roaming_enabled'] else 'No'}",
            f"Wi-Fi Radio: {'ON' if d['wifi_enabled'] else 'OFF'}",
            f"Wi-Fi Connected: {'Yes' if d['wifi_connected'] else 'No'}",
        ]
        if d["wifi_connected"]:
            lines.append(f"Connected Wi-Fi Network: {d['wifi_ssid']}")
        return "\n".join(lines)

    def check_network_mode_preference(self):
        return f"Network Mode Preference: {enum_value(self.device['network_mode_preference'])}"

    def run_speed_test(self):
        speed, desc = speed_test(self.device, self.surroundings)
        if speed is None:
            return f"Speed test failed: {desc}."
        return f"Speed Test Result: {speed:.2f} Mbps ({desc}). {_ADVICE[desc]}"

    def check_sim_status(self):
        return {
            "active": "Your SIM card is active and working.",
            "missing": "No SIM card detected in the phone.",
            "locked_pin": "The SIM card is locked with a PIN code.",
            "locked_puk": "The SIM card is locked with a PUK code.",
        }[effective_sim_status(self.device)]

    def check_data_restriction_status(self):
        if self.device["data_saver_mode"]:
            return "Data Saver mode is ON (limits data usage)."
        return "Data Saver mode is OFF."

    def check_apn_settings(self):
        name = apn_attr(self.device, "apn_name")
        url = apn_attr(self.device, "mmsc_url")
        return (
            f"Current APN Name: {name}\nMMSC URL (for picture messages): {url or 'Not Set'}\n"
            "(These are technical settings, usually best left unchanged.)"
        )

    def check_wifi_status(self):
        d = self.device
        if not d["wifi_enabled"]:
            return "Wi-Fi is turned OFF."
        if d["wifi_connected"]:
            return f"Wi-Fi is ON and connected to '{d['wifi_ssid']}'. Signal strength: {d['wifi_signal_strength']}."
        return "Wi-Fi is ON but not connected to any network."

    def check_wifi_calling_status(self):
        return f"Wi-Fi Calling is currently turned {'ON' if self.device['wifi_calling_enabled'] else 'OFF'}."

    def check_vpn_status(self):
        d = self.device
        if d["vpn_connected"]:
            details = d["vpn_details"]
            if details:
                perf = details["server_performance"]
                text = (
                    f"{{'server_address': {details['server_address']!r}, 'protocol': {details['protocol']!r}, "
                    f"'server_performance': <PerformanceLevel.{str(perf).upper()}: {perf!r}>}}"
                )
                return f"VPN is ON and connected. Details: {text}"
            return "VPN is ON and connected (no specific details available)."
        if d["vpn_enabled_setting"]:
            return "VPN is turned ON in settings, but currently not connected."
        return "VPN is turned OFF."

    def check_installed_apps(self):
        return f"The following apps are installed on the phone: {', '.join(self.device['app_statuses'])}"

    def check_app_status(self, app_name):
        app = self.device["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        granted = [p for p, on in app["permissions"].items() if on]
        if not granted:
            return f"Status for App: {app_name}\n - Permissions: None granted."
        return f"Status for App: {app_name}\n - Permissions Granted:" + "".join(f"\n   - {p}" for p in granted)

    def check_app_permissions(self, app_name):
        app = self.device["app_statuses"].get(app_name)
        if app is None:
            return f"App '{app_name}' not found on this phone."
        granted = [p for p, on in app["permissions"].items() if on]
        if not granted:
            return f"App '{app_name}' currently has no permissions granted."
        return f"App '{app_name}' has permission for: {', '.join(granted)}."

    def can_send_mms(self):
        if can_send_mms(self.device, self.surroundings):
            return "Your messaging app can send MMS messages."
        return "Your messaging app cannot send MMS messages."

    def check_payment_request(self):
        request = self.surroundings["payment_request"]
        if request is None:
            return "No payment request has been made."
        return f"You have a payment request for bill {request['bill_id']} of {request['amount_due']} USD."

    # -- write tools ---------------------------------------------------------------------------
    def set_network_mode_preference(self, mode):
        if isinstance(mode, str):
            if mode not in NETWORK_MODES:
                options = ", ".join(NETWORK_MODES)
                return self._bar(
                    f"Failed to set network mode: '{mode}' is not a valid option. Please use one of: {options}"
                )
        self.device["network_mode_preference"] = mode
        self.search()
        return self._bar(f"Preferred Network Mode set to: {enum_value(mode)}")

    def toggle_airplane_mode(self):
        d = self.device
        d["airplane_mode"] = not d["airplane_mode"]
        if d["airplane_mode"]:
            self._clear_wifi()
            if d["vpn_connected"]:
                d["vpn_connected"] = False
                d["vpn_details"] = None
        else:
            d["network_connection_status"] = "searching"
            if d["wifi_enabled"]:
                self._clear_wifi()
        self.search()
        return self._bar(f"Airplane Mode is now {'ON' if d['airplane_mode'] else 'OFF'}.")

    def _clear_wifi(self) -> None:
        self.device["wifi_connected"] = False
        self.device["wifi_ssid"] = None
        self.device["wifi_signal_strength"] = "none"

    def reseat_sim_card(self):
        self.device["sim_card_missing"] = False
        self.search()
        return self._bar("SIM card re-seated successfully.")

    def toggle_data(self):
        self.device["data_enabled"] = not self.device["data_enabled"]
        self.search()
        return self._bar(f"Mobile Data is now {'ON' if self.device['data_enabled'] else 'OFF'}.")

    def toggle_roaming(self):
        self.device["roaming_enabled"] = not self.device["roaming_enabled"]
        self.search()
        return self._bar(f"Data Roaming is now {'ON' if self.device['roaming_enabled'] else 'OFF'}.")

    def toggle_data_saver_mode(self):
        self.device["data_saver_mode"] = not self.device["data_saver_mode"]
        return self._bar(f"Data Saver Mode is now {'ON' if self.device['data_saver_mode'] else 'OFF'}.")

    def set_apn_settings(self, apn_settings):
        if isinstance(apn_settings, dict):
            try:
                model = _APNSettings(**apn_settings)
            except ValidationError as exc:
                raise ValueError(_validation_text(exc)) from None
            apn_settings = {**model.model_dump(), "apn_name": model.apn_name.value}
        self.device["active_apn_settings"] = apn_settings
        self.search()
        return self._bar(f"APN settings set to: {apn_attr(self.device, 'apn_name')}")

    def reset_apn_settings(self):
        apn_attr(self.device, "reset_at_reboot")
        self.device["active_apn_settings"]["reset_at_reboot"] = True
        self.search()
        return self._bar("APN settings will reset at reboot.")

    def toggle_wifi(self):
        d = self.device
        if d["airplane_mode"]:
            return self._bar("Cannot change Wi-Fi settings while Airplane Mode is ON.")
        d["wifi_enabled"] = not d["wifi_enabled"]
        if not d["wifi_enabled"]:
            self._clear_wifi()
        return self._bar(f"Wi-Fi is now {'ON' if d['wifi_enabled'] else 'OFF'}.")

    def toggle_wifi_calling(self):
        self.device["wifi_calling_enabled"] = not self.device["wifi_calling_enabled"]
        return self._bar(f"Wi-Fi Calling is now {'ON' if self.device['wifi_calling_enabled'] else 'OFF'}.")

    def connect_vpn(self):
        if self.device["vpn_connected"]:
            return "VPN already connected."
        self.device["vpn_connected"] = True
        self.device["vpn_details"] = dict(DEFAULT_VPN)  # upstream shares one object (spec §10.1)
        return self._bar("VPN connected successfully.")

    def disconnect_vpn(self):
        if not self.device["vpn_connected"]:
            return self._bar("No active VPN connection to disconnect.")
        self.device["vpn_connected"] = False
        self.device["vpn_details"] = None
        return self._bar("VPN disconnected successfully.")

    def grant_app_permission(self, app_name, permission):
        permission = permission.lower()
        app = self.device["app_statuses"].get(app_name)
        if app is None:
            return self._bar(f"Error. App '{app_name}' not found. Cannot grant permission.")
        if permission not in app["permissions"]:
            return self._bar(
                f"Error. Permission '{permission}' not tracked for app '{app_name}', "
                f"available permissions: {list(PERMISSIONS)}"
            )
        app["permissions"][permission] = True
        return self._bar(f"Success. Permission '{permission}' granted to app '{app_name}'.")

    def reboot_device(self):
        lines = []
        if apn_attr(self.device, "reset_at_reboot"):
            self.device["active_apn_settings"] = dict(DEFAULT_APN)
            lines.append("Resetting APN settings...")
        lines.append("Restarting network services...")
        self.device["network_connection_status"] = "searching"
        self.search()
        return self._bar("\n".join(lines))

    def make_payment(self):
        request = self.surroundings["payment_request"]
        if request is None:
            return "You do not have a payment request."
        request["paid"] = True
        return f"Payment of {request['amount_due']} USD has been made for bill {request['bill_id']}."

    # helpers used by init and assertions
    def data_working(self) -> bool:
        return mobile_data_working(self.device, self.surroundings)
