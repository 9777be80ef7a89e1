"""Plain-dict data model of the τ²-bench telecom agent DB and phone (user DB).

State is kept as plain dicts whose keys follow the upstream model field order, so tool results
serialise byte-for-byte like upstream. Dates are kept as ``YYYY-MM-DD`` strings and datetimes as
``YYYY-MM-DD HH:MM:SS`` strings (``str()`` of the Python value), which is what both upstream
content strings and upstream DB hashes print.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judge.verifiers.tau2.errors import Tau2DataError

_REQUIRED = object()
_DATE, _DATETIME, _FLOAT = "date", "datetime", "float"

# (field, default, kind) per entity, in upstream field order.
_PLAN = (
    ("plan_id", _REQUIRED, None),
    ("name", _REQUIRED, None),
    ("data_limit_gb", _REQUIRED, _FLOAT),
    ("price_per_month", _REQUIRED, _FLOAT),
    ("data_refueling_price_per_gb", _REQUIRED, _FLOAT),
)
_DEVICE = (
    ("device_id", _REQUIRED, None),
    ("device_type", _REQUIRED, None),
    ("model", _REQUIRED, None),
    ("imei", None, None),
    ("is_esim_capable", _REQUIRED, None),
    ("activated", False, None),
    ("activation_date", None, _DATETIME),
    ("last_esim_transfer_date", None, _DATETIME),
)
_LINE = (
    ("line_id", _REQUIRED, None),
    ("phone_number", _REQUIRED, None),
    ("status", "Pending Activation", None),
    ("plan_id", _REQUIRED, None),
    ("device_id", None, None),
    ("data_used_gb", 0.0, _FLOAT),
    ("data_refueling_gb", 0.0, _FLOAT),
    ("roaming_enabled", False, None),
    ("contract_end_date", None, _DATE),
    ("last_plan_change_date", None, _DATE),
    ("last_sim_replacement_date", None, _DATE),
    ("suspension_start_date", None, _DATE),
)
_LINE_ITEM = (
    ("description", _REQUIRED, None),
    ("amount", _REQUIRED, _FLOAT),
    ("date", _REQUIRED, _DATE),
    ("item_type", _REQUIRED, None),
)
_BILL = (
    ("bill_id", _REQUIRED, None),
    ("customer_id", _REQUIRED, None),
    ("period_start", _REQUIRED, _DATE),
    ("period_end", _REQUIRED, _DATE),
    ("issue_date", _REQUIRED, _DATE),
    ("total_due", _REQUIRED, _FLOAT),
    ("due_date", _REQUIRED, _DATE),
    ("line_items", (), _LINE_ITEM),
    ("status", "Draft", None),
)
_ADDRESS = (
    ("street", _REQUIRED, None),
    ("city", _REQUIRED, None),
    ("state", _REQUIRED, None),
    ("zip_code", _REQUIRED, None),
)
_PAYMENT_METHOD = (
    ("method_type", _REQUIRED, None),
    ("account_number_last_4", _REQUIRED, None),
    ("expiration_date", _REQUIRED, None),
)
_CUSTOMER = (
    ("customer_id", _REQUIRED, None),
    ("full_name", _REQUIRED, None),
    ("date_of_birth", _REQUIRED, None),
    ("email", _REQUIRED, None),
    ("phone_number", _REQUIRED, None),
    ("address", _REQUIRED, ("object", _ADDRESS)),
    ("account_status", "Pending Verification", None),
    ("payment_methods", (), _PAYMENT_METHOD),
    ("line_ids", (), "list"),
    ("bill_ids", (), "list"),
    ("created_at", "2025-01-01 00:00:00", _DATETIME),
    ("last_extension_date", None, _DATE),
    ("goodwill_credit_used_this_year", 0.0, _FLOAT),
)
AGENT_TABLES = (("plans", _PLAN), ("customers", _CUSTOMER), ("lines", _LINE), ("bills", _BILL), ("devices", _DEVICE))
ID_FIELD = {
    "plans": "plan_id",
    "customers": "customer_id",
    "lines": "line_id",
    "bills": "bill_id",
    "devices": "device_id",
}
DATETIME_FIELDS = frozenset({"activation_date", "last_esim_transfer_date", "created_at"})

DEFAULT_APN: dict[str, Any] = {
    "apn_name": "internet",
    "reset_at_reboot": False,
    "mms_apn": "mms",
    "mmsc_url": "http://mms.carrier.com/mms/wapenc",
    "mms_proxy": None,
    "mms_port": None,
}
_DEVICE_DEFAULTS: dict[str, Any] = {
    "sim_card_status": "active",
    "sim_card_missing": False,
    "airplane_mode": False,
    "network_signal_strength": "good",
    "network_technology_connected": "5G",
    "network_connection_status": "connected",
    "battery_level": 80,
    "data_enabled": True,
    "roaming_enabled": False,
    "network_mode_preference": "4g_5g_preferred",
    "active_apn_settings": None,  # filled with DEFAULT_APN
    "wifi_enabled": False,
    "wifi_connected": False,
    "wifi_ssid": None,
    "wifi_signal_strength": "none",
    "wifi_calling_enabled": False,
    "wifi_calling_mms_over_wifi": False,
    "data_saver_mode": False,
    "vpn_enabled_setting": False,
    "vpn_connected": False,
    "vpn_details": None,
    "app_statuses": None,  # filled with the two default apps
}
_DEFAULT_APPS: dict[str, dict[str, Any]] = {
    "messaging": {
        "app_name": "messaging",
        "permissions": {"sms": True, "storage": True, "phone": True, "network": False},
    },
    "browser": {"app_name": "browser", "permissions": {"sms": False, "storage": True, "phone": False, "network": True}},
}
_PERMISSIONS = ("sms", "storage", "phone", "network")


def default_surroundings() -> dict[str, Any]:
    """The user's surroundings as upstream defaults them (nothing in ``user_db.toml`` sets them)."""
    return {
        "name": None,
        "phone_number": None,
        "is_abroad": False,
        "roaming_allowed": False,
        "signal_strength": {"2G": "poor", "3G": "fair", "4G": "good", "5G": "excellent"},
        "mobile_data_usage_exceeded": False,
        "line_active": True,
        "payment_request": None,
    }


@dataclass(slots=True)
class TelecomState:
    """Both databases of one environment: ``agent`` (TelecomDB) and ``user`` (device + surroundings)."""

    agent: dict[str, Any]
    user: dict[str, Any]

    def clone(self) -> TelecomState:
        """Copy every part a tool can write; plans, devices, addresses and signal tables are shared."""
        a, u = self.agent, self.user
        agent = {
            "plans": a["plans"],
            "customers": [
                {**c, "line_ids": list(c["line_ids"]), "bill_ids": list(c["bill_ids"])} for c in a["customers"]
            ],
            "lines": [dict(x) for x in a["lines"]],
            "bills": [{**b, "line_items": [dict(i) for i in b["line_items"]]} for b in a["bills"]],
            "devices": a["devices"],
        }
        d = u["device"]
        device = dict(d)
        if isinstance(d["active_apn_settings"], dict):
            device["active_apn_settings"] = dict(d["active_apn_settings"])
        if isinstance(d["vpn_details"], dict):
            device["vpn_details"] = dict(d["vpn_details"])
        device["app_statuses"] = {k: {**v, "permissions": dict(v["permissions"])} for k, v in d["app_statuses"].items()}
        s = dict(u["surroundings"])
        if isinstance(s["payment_request"], dict):
            s["payment_request"] = dict(s["payment_request"])
        return TelecomState(agent=agent, user={"device": device, "surroundings": s})


def _convert(value: Any, kind: Any, where: str) -> Any:
    if value is None:
        return None
    if kind == _FLOAT:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if kind in (_DATE, _DATETIME):
        if isinstance(value, dt.datetime | dt.date):
            return str(value)
        if not isinstance(value, str):
            raise Tau2DataError(f"{where}: expected a date string, got {value!r}")
        if kind == _DATETIME:
            try:
                return str(dt.datetime.fromisoformat(value))
            except ValueError as exc:
                raise Tau2DataError(f"{where}: {exc}") from exc
        return value
    if kind == "list":
        return list(value)
    if isinstance(kind, tuple) and kind and kind[0] == "object":
        return _build(value, kind[1], where)
    if isinstance(kind, tuple):  # list of objects
        return [_build(v, kind, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _build(raw: dict[str, Any], schema: tuple, where: str) -> dict[str, Any]:
    unknown = set(raw) - {f for f, _, _ in schema}
    if unknown:
        raise Tau2DataError(f"{where}: unknown field(s) {sorted(unknown)}")
    out: dict[str, Any] = {}
    for field, default, kind in schema:
        if field in raw:
            out[field] = _convert(raw[field], kind, f"{where}.{field}")
        elif default is _REQUIRED:
            raise Tau2DataError(f"{where}: missing required field {field!r}")
        else:
            out[field] = list(default) if isinstance(default, tuple) else default
    return out


def read_db_text(path: Path) -> str:
    """The text of a DB file (``db.toml`` or ``user_db.toml``)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise Tau2DataError(f"{path}: file not found; pass the folder holding db.toml and user_db.toml") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise Tau2DataError(f"{path}: cannot read: {exc}") from exc


def _parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise Tau2DataError(f"{where}: invalid TOML: {exc}") from exc


def parse_agent_db(text: str, where: str) -> dict[str, Any]:
    """The agent DB dict from ``db.toml`` text; ``where`` names the source in errors."""
    raw = _parse_toml(text, where)
    unknown = set(raw) - {t for t, _ in AGENT_TABLES}
    if unknown:
        raise Tau2DataError(f"{where}: unknown table(s) {sorted(unknown)}")
    return {
        table: [_build(row, schema, f"{where}:{table}[{i}]") for i, row in enumerate(raw.get(table, []))]
        for table, schema in AGENT_TABLES
    }


def parse_user_db(text: str, where: str) -> dict[str, Any]:
    """The user DB dict from ``user_db.toml`` text, with upstream defaults; ``where`` names the source in errors."""
    raw = _parse_toml(text, where)
    dev_raw = raw.get("device", {})
    unknown = set(dev_raw) - set(_DEVICE_DEFAULTS)
    if unknown:
        raise Tau2DataError(f"{where}: device: unknown field(s) {sorted(unknown)}")
    device = {k: dev_raw.get(k, v) for k, v in _DEVICE_DEFAULTS.items()}
    device["active_apn_settings"] = {**DEFAULT_APN, **dev_raw.get("active_apn_settings", {})}
    apps = dev_raw.get("app_statuses")
    if apps is None:
        apps = _DEFAULT_APPS
    device["app_statuses"] = {
        name: {
            "app_name": app.get("app_name", name),
            "permissions": {p: bool(app.get("permissions", {}).get(p, False)) for p in _PERMISSIONS},
        }
        for name, app in apps.items()
    }
    if isinstance(device["vpn_details"], dict):
        device["vpn_details"] = {
            "server_address": device["vpn_details"].get("server_address"),
            "protocol": device["vpn_details"].get("protocol"),
            "server_performance": device["vpn_details"].get("server_performance", "unknown"),
        }
    surroundings = default_surroundings()
    surroundings.update(raw.get("surroundings", {}))
    return {"device": device, "surroundings": surroundings}


def canonical_json(db: dict[str, Any]) -> str:
    """Upstream's hash input: ``json.dumps(model_dump(), sort_keys=True, default=str)``."""
    return json.dumps(db, sort_keys=True, default=str)


def db_hash(db: dict[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json`, equal to upstream's DB hash."""
    return hashlib.sha256(canonical_json(db).encode()).hexdigest()
