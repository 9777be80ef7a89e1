"""Device simulation: network search and the derived observables (data, speed, MMS, status bar)."""

from __future__ import annotations

from typing import Any

_TECH_BY_MODE = {"4g_only": "4G", "3g_only": "3G", "2g_only": "2G"}
_SPEED_RANGE = {"2G": (0.1, 0.4), "3G": (1.0, 5.0), "4G": (10.0, 100.0), "5G": (50.0, 500.0), "none": (0, 0)}
_SIGNAL_FACTOR = {"poor": 0.2, "fair": 0.5, "good": 0.8, "excellent": 1.0, "none": 0.0}
_SIGNAL_BAR = {
    "none": "\U0001f4f5 No Signal",
    "poor": "\U0001f4f6\u00b9 Poor",
    "fair": "\U0001f4f6\u00b2 Fair",
    "good": "\U0001f4f6\u00b3 Good",
    "excellent": "\U0001f4f6\u2074 Excellent",
}


def apn_attr(device: dict[str, Any], name: str) -> Any:
    """Read an APN field; a non-object APN (stored raw by a bad call) fails like upstream."""
    apn = device["active_apn_settings"]
    if not isinstance(apn, dict):
        raise AttributeError(f"'{type(apn).__name__}' object has no attribute '{name}'")
    return apn[name]


def enum_value(value: Any) -> str:
    """The ``.value`` of an enum field; a raw non-string stored by a bad call fails like upstream."""
    if isinstance(value, str):
        return value
    raise AttributeError(f"'{type(value).__name__}' object has no attribute 'value'")


def effective_sim_status(device: dict[str, Any]) -> str:
    """``missing`` if the SIM is out, otherwise the SIM status."""
    return "missing" if device["sim_card_missing"] else device["sim_card_status"]


def network_search(device: dict[str, Any], surroundings: dict[str, Any]) -> None:
    """Recompute connection status, technology and signal from SIM, mode, APN and line state."""
    if effective_sim_status(device) == "active":
        signals = surroundings["signal_strength"]
        mode = device["network_mode_preference"]
        if mode == "4g_5g_preferred":
            tech = "4G" if signals.get("5G", "none") == "none" else "5G"
        else:
            tech = _TECH_BY_MODE.get(mode, "4G") if isinstance(mode, str) else "4G"
        status, signal = "connected", signals.get(tech, "none")
    else:
        status, tech, signal = "no_service", "none", "none"
    if device["airplane_mode"] or apn_attr(device, "apn_name") == "broken" or not surroundings["line_active"]:
        status, tech, signal = "no_service", "none", "none"
    device["network_connection_status"] = status
    device["network_technology_connected"] = tech
    device["network_signal_strength"] = signal


def mobile_data_working(device: dict[str, Any], surroundings: dict[str, Any]) -> bool:
    """Whether mobile data works (airplane, signal, service, roaming abroad, data switch, usage)."""
    if device["airplane_mode"] or device["network_signal_strength"] == "none":
        return False
    if device["network_connection_status"] == "no_service":
        return False
    if surroundings["is_abroad"] and (not device["roaming_enabled"] or not surroundings["roaming_allowed"]):
        return False
    if not device["data_enabled"]:
        return False
    return not surroundings["mobile_data_usage_exceeded"]


def speed_test(device: dict[str, Any], surroundings: dict[str, Any]) -> tuple[float | None, str]:
    """Return ``(speed in Mbps or None, description)`` exactly as upstream's formula rounds it."""
    if not mobile_data_working(device, surroundings):
        return None, "No Connection"
    factor = 1.0
    vpn = device["vpn_details"]
    if device["vpn_connected"] and vpn is not None and vpn.get("server_performance") == "poor":
        factor = 0.1
    if device["data_saver_mode"]:
        factor = factor * 0.2
    low, high = _SPEED_RANGE.get(device["network_technology_connected"], (0, 0))
    signal_factor = _SIGNAL_FACTOR.get(device["network_signal_strength"], 0.0)
    speed = round(((low + high) / 2.0) * signal_factor * factor, 2)
    if speed < 1:
        desc = "Very Poor"
    elif speed < 5:
        desc = "Poor"
    elif speed < 25:
        desc = "Fair"
    elif speed < 100:
        desc = "Good"
    else:
        desc = "Excellent"
    return speed, desc


def can_send_mms(device: dict[str, Any], surroundings: dict[str, Any]) -> bool:
    """Whether the messaging app can send MMS (data, ≥3G, no MMS-over-Wi-Fi, MMSC URL, permissions)."""
    if not mobile_data_working(device, surroundings):
        return False
    if device["network_technology_connected"] == "2G":
        return False
    if device["wifi_calling_enabled"] and device["wifi_calling_mms_over_wifi"]:
        return False
    if apn_attr(device, "mmsc_url") is None:
        return False
    app = device["app_statuses"].get("messaging")
    return app is not None and bool(app["permissions"]["storage"]) and bool(app["permissions"]["sms"])


def status_bar(device: dict[str, Any]) -> str:
    """The phone's status bar string (indicators joined with ``" | "``)."""
    parts: list[str] = []
    if device["airplane_mode"]:
        parts.append("\u2708\ufe0f Airplane Mode")
    else:
        parts.append(_SIGNAL_BAR.get(device["network_signal_strength"], _SIGNAL_BAR["none"]))
        tech = device["network_technology_connected"]
        if tech != "none":
            parts.append(enum_value(tech))
        if device["data_enabled"] and tech != "none":
            parts.append("\U0001f4f1 Data Enabled")
            if device["data_saver_mode"]:
                parts.append("\U0001f53d Data Saver")
        else:
            parts.append("\U0001f4f5 Data Disabled")
    if device["wifi_enabled"] and device["wifi_connected"]:
        ssid = device["wifi_ssid"]
        parts.append(f"\U0001f4e1 Connected to {ssid}" if ssid else "\U0001f4e1 Enabled")
    if device["vpn_connected"]:
        parts.append("\U0001f512 VPN Connected")
    parts.append(f"\U0001f50b {device['battery_level']}%")
    return " | ".join(parts)


def observables(device: dict[str, Any], surroundings: dict[str, Any]) -> dict[str, Any]:
    """The derived observables the oracle's ``tool_probe`` records."""
    speed, desc = speed_test(device, surroundings)
    return {
        "network_connection_status": device["network_connection_status"],
        "network_technology_connected": device["network_technology_connected"],
        "network_signal_strength": device["network_signal_strength"],
        "mobile_data_working": mobile_data_working(device, surroundings),
        "can_send_mms": can_send_mms(device, surroundings),
        "speed_mbps": speed,
        "speed_desc": desc,
    }
