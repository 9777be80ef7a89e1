"""The 13 agent tools over the agent DB (upstream ``TelecomTools``), returning content strings.

Tools are called as ``getattr(tools, name)(**arguments)`` with the arguments exactly as parsed
from JSON, so a missing or extra argument raises Python's own ``TypeError`` with the upstream
wording (``TelecomTools.refuel_data() missing 1 required positional argument: 'gb_amount'``).
Every check runs before the first write, so an exception leaves the DB unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

TODAY = "2025-02-25"
CYCLE_END = "2025-02-28"
READ, WRITE, GENERIC = "read", "write", "generic"

AGENT_TOOL_TYPES: dict[str, str] = {
    "get_customer_by_phone": READ,
    "get_customer_by_id": READ,
    "get_customer_by_name": READ,
    "get_details_by_id": READ,
    "get_bills_for_customer": READ,
    "get_data_usage": READ,
    "suspend_line": WRITE,
    "resume_line": WRITE,
    "send_payment_request": WRITE,
    "enable_roaming": WRITE,
    "disable_roaming": WRITE,
    "refuel_data": WRITE,
    "transfer_to_human_agents": GENERIC,
}


def dump(obj: Any) -> str:
    """Encode a result like upstream ``to_json_str`` (``json.dumps(..., default=str)``)."""
    return json.dumps(obj, default=str)


class TelecomTools:
    """Agent-side toolkit bound to one agent DB dict."""

    def __init__(self, db: dict[str, Any]) -> None:
        self.db = db

    # -- lookups (not tools) -------------------------------------------------------------------
    def find_customer(self, customer_id: Any) -> dict[str, Any]:
        for customer in self.db["customers"]:
            if customer["customer_id"] == customer_id:
                return customer
        raise ValueError(f"Customer with ID {customer_id} not found")

    def find_line(self, line_id: Any) -> dict[str, Any]:
        for line in self.db["lines"]:
            if line["line_id"] == line_id:
                return line
        raise ValueError(f"Line with ID {line_id} not found")

    def find_plan(self, plan_id: Any) -> dict[str, Any]:
        for plan in self.db["plans"]:
            if plan["plan_id"] == plan_id:
                return plan
        raise ValueError(f"Plan with ID {plan_id} not found")

    def find_device(self, device_id: Any) -> dict[str, Any]:
        for device in self.db["devices"]:
            if device["device_id"] == device_id:
                return device
        raise ValueError(f"Device with ID {device_id} not found")

    def find_bill(self, bill_id: Any) -> dict[str, Any]:
        for bill in self.db["bills"]:
            if bill["bill_id"] == bill_id:
                return bill
        raise ValueError(f"Bill with ID {bill_id} not found")

    def target_line(self, customer_id: Any, line_id: Any) -> dict[str, Any]:
        customer = self.find_customer(customer_id)
        if line_id not in customer["line_ids"]:
            raise ValueError(f"Line {line_id} not found for customer {customer_id}")
        return self.find_line(line_id)

    def customer_by_phone(self, phone_number: Any) -> dict[str, Any]:
        for customer in self.db["customers"]:
            if customer["phone_number"] == phone_number:
                return customer
            for line_id in customer["line_ids"]:
                if self.find_line(line_id)["phone_number"] == phone_number:
                    return customer
        raise ValueError(f"Customer with phone number {phone_number} not found")

    # -- read tools ----------------------------------------------------------------------------
    def get_customer_by_phone(self, phone_number):
        return dump(self.customer_by_phone(phone_number))

    def get_customer_by_id(self, customer_id):
        return dump(self.find_customer(customer_id))

    def get_customer_by_name(self, full_name, dob):
        return dump(
            [
                c
                for c in self.db["customers"]
                if c["full_name"].lower() == full_name.lower() and c["date_of_birth"] == dob
            ]
        )

    def get_details_by_id(self, id):  # noqa: A002 - upstream argument name
        if id.startswith("L"):
            return dump(self.find_line(id))
        if id.startswith("D"):
            return dump(self.find_device(id))
        if id.startswith("B"):
            return dump(self.find_bill(id))
        if id.startswith("C"):
            return dump(self.find_customer(id))
        if id.startswith("P"):
            return dump(self.find_plan(id))
        raise ValueError(f"Unknown ID format or type: {id}")

    def get_bills_for_customer(self, customer_id, limit=12):
        customer = self.find_customer(customer_id)
        bills = [self.find_bill(b) for b in customer["bill_ids"]]
        bills = sorted(bills, key=lambda b: b["issue_date"], reverse=True)
        return dump(bills[:limit])

    def get_data_usage(self, customer_id, line_id):
        line = self.target_line(customer_id, line_id)
        plan = self.find_plan(line["plan_id"])
        return dump(
            {
                "line_id": line_id,
                "data_used_gb": str(line["data_used_gb"]),
                "data_limit_gb": str(plan["data_limit_gb"]),
                "data_refueling_gb": str(line["data_refueling_gb"]),
                "cycle_end_date": CYCLE_END,
            }
        )

    # -- write tools ---------------------------------------------------------------------------
    def suspend_line(self, customer_id, line_id, reason):
        line = self.target_line(customer_id, line_id)
        if line["status"] != "Active":
            raise ValueError("Line must be active to suspend")
        line["status"] = "Suspended"
        line["suspension_start_date"] = TODAY
        return dump({"message": "Line suspended successfully. $5/month holding fee will apply.", "line": line})

    def resume_line(self, customer_id, line_id):
        line = self.target_line(customer_id, line_id)
        if line["status"] not in ("Suspended", "Pending Activation"):
            raise ValueError("Line must be suspended to resume")
        line["status"] = "Active"
        line["suspension_start_date"] = None
        return dump({"message": "Line resumed successfully", "line": line})

    def send_payment_request(self, customer_id, bill_id):
        customer = self.find_customer(customer_id)
        for other in customer["bill_ids"]:
            if self.find_bill(other)["status"] == "Awaiting Payment":
                raise ValueError("A bill is already awaiting payment for this customer")
        if bill_id not in customer["bill_ids"]:
            raise ValueError(f"Bill {bill_id} not found for customer {customer_id}")
        self.find_bill(bill_id)["status"] = "Awaiting Payment"
        return f"Payment request sent to the customer for bill {bill_id}"

    def enable_roaming(self, customer_id, line_id):
        line = self.target_line(customer_id, line_id)
        if line["roaming_enabled"]:
            return "Roaming was already enabled"
        line["roaming_enabled"] = True
        return "Roaming enabled successfully"

    def disable_roaming(self, customer_id, line_id):
        line = self.target_line(customer_id, line_id)
        if not line["roaming_enabled"]:
            return "Roaming was already disabled"
        line["roaming_enabled"] = False
        return "Roaming disabled successfully"

    def refuel_data(self, customer_id, line_id, gb_amount):
        line = self.target_line(customer_id, line_id)
        if gb_amount <= 0:
            raise ValueError("Refuel amount must be positive")
        plan = self.find_plan(line["plan_id"])
        price = plan["data_refueling_price_per_gb"]
        charge = gb_amount * price
        new_total = line["data_refueling_gb"] + gb_amount
        bill = self._draft_bill(self.find_customer(customer_id))
        line["data_refueling_gb"] = new_total
        bill["line_items"].append(
            {
                "description": f"Data refueling: {gb_amount} GB at ${price}/GB",
                "amount": charge,
                "date": TODAY,
                "item_type": "Credit" if charge < 0 else "Charge",
            }
        )
        bill["total_due"] = bill["total_due"] + charge
        return dump(
            {
                "message": f"Successfully added {gb_amount} GB of data for line {line_id} for ${charge:.2f}",
                "new_data_refueling_gb": str(new_total),
                "charge": str(charge),
            }
        )

    def _draft_bill(self, customer: dict[str, Any]) -> dict[str, Any]:
        for bill_id in customer["bill_ids"]:
            bill = self.find_bill(bill_id)
            if bill["status"] == "Draft":
                return bill
        # Upstream uses a random id (uuid4); a deterministic one keeps replays reproducible.
        seed = f"{customer['customer_id']}:{len(self.db['bills'])}".encode()
        bill = {
            "bill_id": "B" + hashlib.sha256(seed).hexdigest()[:8].upper(),
            "customer_id": customer["customer_id"],
            "period_start": "2025-03-01",
            "period_end": "2025-03-31",
            "issue_date": "2025-03-01",
            "total_due": 0.0,
            "due_date": "2025-03-15",
            "line_items": [],
            "status": "Draft",
        }
        self.db["bills"].append(bill)
        customer["bill_ids"].append(bill["bill_id"])
        return bill

    def transfer_to_human_agents(self, summary):
        return "Transfer successful"
