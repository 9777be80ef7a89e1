"""Assertion env functions (``assert_*``); each returns a bool that is compared to ``assert_value``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from judge.verifiers.tau2.agent_tools import TelecomTools
from judge.verifiers.tau2.observables import can_send_mms, mobile_data_working, speed_test
from judge.verifiers.tau2.user_tools import TelecomUserTools

_NETWORK_STATUSES = ("connected", "searching", "no_service", "emergency_only")


# -- user side ---------------------------------------------------------------------------------
def assert_can_send_mms(u: TelecomUserTools, expected_status=True):
    return can_send_mms(u.device, u.surroundings) == expected_status


def assert_mobile_data_status(u: TelecomUserTools, expected_status):
    return mobile_data_working(u.device, u.surroundings) == expected_status


def assert_internet_speed(u: TelecomUserTools, expected_speed, expected_desc=None):
    speed, desc = speed_test(u.device, u.surroundings)
    speed = 0.0 if speed is None else speed
    if expected_desc is None:
        return speed >= expected_speed
    return speed >= expected_speed and desc.lower() == expected_desc.lower()


def assert_service_status(u: TelecomUserTools, expected_status):
    if expected_status not in _NETWORK_STATUSES:
        raise ValueError(f"'{expected_status}' is not a valid NetworkStatus")
    return u.device["network_connection_status"] == expected_status


def assert_airplane_mode_status(u: TelecomUserTools, expected_status):
    return u.device["airplane_mode"] == expected_status


def assert_mobile_roaming_status(u: TelecomUserTools, expected_status):
    return u.device["roaming_enabled"] == expected_status


def assert_mobile_data_saver_mode_status(u: TelecomUserTools, expected_status):
    return u.device["data_saver_mode"] == expected_status


def assert_internet_not_excellent(u: TelecomUserTools):
    return speed_test(u.device, u.surroundings)[1].lower() != "excellent"


def assert_mobile_data_usage_exceeded(u: TelecomUserTools, expected_status):
    return u.surroundings["mobile_data_usage_exceeded"] == expected_status


# -- agent side --------------------------------------------------------------------------------
def assert_data_refueling_amount(t: TelecomTools, customer_id, line_id, expected_amount):
    return abs(t.target_line(customer_id, line_id)["data_refueling_gb"] - expected_amount) < 1e-6


def assert_no_overdue_bill(t: TelecomTools, overdue_bill_id):
    try:
        bill = t.find_bill(overdue_bill_id)
    except ValueError:
        return True
    return bill["status"] == "Paid"


def assert_line_status(t: TelecomTools, customer_id, line_id, expected_status):
    return t.target_line(customer_id, line_id)["status"] == expected_status


def assert_overdue_bill_exists(t: TelecomTools, customer_id, overdue_bill_id):
    customer = t.find_customer(customer_id)
    if overdue_bill_id not in customer["bill_ids"]:
        raise ValueError(f"Bill {overdue_bill_id} not found for customer {customer_id}")
    if t.find_bill(overdue_bill_id)["status"] != "Overdue":
        raise ValueError(f"Bill {overdue_bill_id} is not overdue")
    return True


USER_ASSERTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        assert_can_send_mms,
        assert_mobile_data_status,
        assert_internet_speed,
        assert_service_status,
        assert_airplane_mode_status,
        assert_mobile_roaming_status,
        assert_mobile_data_saver_mode_status,
        assert_internet_not_excellent,
        assert_mobile_data_usage_exceeded,
    )
}
AGENT_ASSERTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (assert_data_refueling_amount, assert_no_overdue_bill, assert_line_status, assert_overdue_bill_exists)
}
