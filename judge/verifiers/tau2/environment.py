"""One telecom environment: both toolkits over one state, tool calls, env functions and sync."""

from __future__ import annotations

from typing import Any

from judge.verifiers.tau2.agent_tools import AGENT_TOOL_TYPES, WRITE, TelecomTools
from judge.verifiers.tau2.assertions import AGENT_ASSERTIONS, USER_ASSERTIONS
from judge.verifiers.tau2.init_functions import AGENT_INIT, USER_INIT
from judge.verifiers.tau2.state import TelecomState
from judge.verifiers.tau2.user_tools import USER_TOOL_TYPES, TelecomUserTools

_AGENT_ENV = {**AGENT_INIT, **AGENT_ASSERTIONS}
_USER_ENV = {**USER_INIT, **USER_ASSERTIONS}
MUTATING_TOOLS = frozenset(
    name for table in (AGENT_TOOL_TYPES, USER_TOOL_TYPES) for name, kind in table.items() if kind == WRITE
)
KNOWN_TOOLS = frozenset(AGENT_TOOL_TYPES) | frozenset(USER_TOOL_TYPES)


class TelecomEnvironment:
    """Runs tool calls and env functions on a :class:`TelecomState` (mutated in place)."""

    def __init__(self, state: TelecomState) -> None:
        self.state = state
        self.agent_tools = TelecomTools(state.agent)
        self.user_tools = TelecomUserTools(state.user)

    def sync(self) -> None:
        """Mirror the agent DB into the phone's surroundings (upstream ``sync_tools``)."""
        s = self.state.user["surroundings"]
        phone = s["phone_number"]
        if phone is None:
            return
        tools = self.agent_tools
        line = next((x for x in tools.db["lines"] if x["phone_number"] == phone), None)
        if line is None:
            raise ValueError(f"Line with phone number {phone} not found")
        s["line_active"] = line["status"] == "Active"
        s["roaming_allowed"] = line["roaming_enabled"]
        plan = tools.find_plan(line["plan_id"])
        s["mobile_data_usage_exceeded"] = line["data_used_gb"] >= plan["data_limit_gb"] + line["data_refueling_gb"]
        request = s["payment_request"]
        if request is not None and request["paid"]:
            tools.find_bill(request["bill_id"])["status"] = "Paid"
            s["payment_request"] = request = None
        if request is None:
            customer = tools.customer_by_phone(phone)
            for bill_id in customer["bill_ids"]:
                bill = tools.find_bill(bill_id)
                if bill["status"] == "Awaiting Payment":
                    s["payment_request"] = {"bill_id": bill_id, "amount_due": bill["total_due"], "paid": False}
                    break

    def call_tool(self, requestor: str, name: str, arguments: dict[str, Any], *, sync: bool = True) -> tuple[str, bool]:
        """Run one tool call as a live run does; return ``(content, error)``. Syncs after success."""
        if requestor == "assistant":
            toolkit: Any = self.agent_tools
            table = AGENT_TOOL_TYPES
        else:
            toolkit, table = self.user_tools, USER_TOOL_TYPES
        if name not in table:
            return f"Error: Tool '{name}' not found.", True
        try:
            result = getattr(toolkit, name)(**arguments)
        except Exception as exc:  # upstream turns every tool exception into an error message
            return f"Error: {exc}", True
        if sync:
            self.sync()
        return result, False

    def run_env_function(self, env_type: str, func_name: str, arguments: dict[str, Any]) -> Any:
        """Run an init or assertion function by name (exceptions propagate), then sync."""
        if env_type == "assistant":
            toolkit: Any = self.agent_tools
            func = _AGENT_ENV.get(func_name)
            tools = AGENT_TOOL_TYPES
        else:
            toolkit, func, tools = self.user_tools, _USER_ENV.get(func_name), USER_TOOL_TYPES
        if func is not None:
            result = func(toolkit, **arguments)
        elif func_name in tools:
            result = getattr(toolkit, func_name)(**arguments)
        else:
            raise ValueError(f"Function '{func_name}' not found on the {env_type} side")
        self.sync()
        return result
