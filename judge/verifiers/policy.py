"""Policy checks over the tool calls of a τ²-bench telecom trajectory (main_policy.md), one rule per `PolicyCheck`.

- `identify_before_write`: every account write (the six agent write tools) comes after a successful customer lookup
  (get_customer_by_phone / _by_id / _by_name, or get_details_by_id on a customer id) that identified the customer
  it writes for.
- `writes_target_identified_customer`: every write names an identified customer and, for line tools, a line of
  that customer; a payment request names one of the customer's bills when the lookup result lists them.
- `within_limits`: refuels stay at or below `MAX_REFUEL_GB` per call and in total over the conversation; a payment
  request is never sent while another bill of the customer still awaits payment.

The rule is not applicable when its trigger never happens (no write; no refuel or payment request). Who a lookup
identified is read from its result in the transcript; without a result, `get_customer_by_id` identifies its
argument and the other lookups identify "a customer" whose id is unknown. A call counts as failed when its result
is flagged as an error or its content starts with "Error" (τ²'s convention); a failed lookup identifies no one and
a failed write adds nothing to a total, but an attempted write is still checked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from judge.result import Verdict
from judge.verifiers.outcome import CheckOutcome
from judge.verifiers.tau2.agent_tools import AGENT_TOOL_TYPES, WRITE
from judge.verifiers.tool_calls import ToolCall
from kb import PolicyCheck

VERIFIER = "policy"

# main_policy.md > Data Refueling: "The maximum amount of data that can be refueled is 2GB." Read as at most 2 GB in
# total within one conversation (docs/policy-pack.md, "Points where the policy is ambiguous").
MAX_REFUEL_GB = 2.0
REFUEL_SECTION = "main_policy.md > Data Refueling"
# main_policy.md > Overdue Bill Payment: "A user can only have one bill in the AWAITING PAYMENT status at a time."
MAX_AWAITING_PAYMENTS = 1
PAYMENT_SECTION = "main_policy.md > Overdue Bill Payment"

LOOKUP_TOOLS = frozenset({"get_customer_by_phone", "get_customer_by_id", "get_customer_by_name"})
WRITE_TOOLS = frozenset(name for name, kind in AGENT_TOOL_TYPES.items() if kind == WRITE)
PAYMENT_REQUEST = "send_payment_request"
REFUEL = "refuel_data"
USER_PAYMENT = "make_payment"  # the phone tool that pays the pending request
NO_PAYMENT_REQUEST = "You do not have a payment request"  # make_payment's answer when nothing was paid (not an error)
_EPSILON = 1e-9


@dataclass(frozen=True)
class Identified:
    """A customer a lookup identified: id None when the lookup's result is not in the transcript."""

    call_index: int
    tool: str
    customer_id: str | None
    line_ids: frozenset[str] | None = None
    bill_ids: frozenset[str] | None = None


def failed(call: ToolCall) -> bool:
    """The call's recorded result is an error (flag, or content starting with "Error" as τ² writes it)."""
    if call.error is not None:
        return call.error
    return call.result is not None and call.result.lstrip().startswith("Error")


def _ids(value: Any) -> frozenset[str] | None:
    return frozenset(str(v) for v in value) if isinstance(value, list) else None


def _from_result(index: int, call: ToolCall) -> list[Identified]:
    try:
        content = json.loads(call.result or "")
    except json.JSONDecodeError:
        content = None
    records = content if isinstance(content, list) else [content]
    found = [
        Identified(index, call.name, str(r["customer_id"]), _ids(r.get("line_ids")), _ids(r.get("bill_ids")))
        for r in records
        if isinstance(r, dict) and r.get("customer_id") is not None
    ]
    if found or isinstance(content, list | dict):
        return found  # an empty list or a customer-less object: nobody identified
    return _from_arguments(index, call)  # content that is not JSON: read the call like one without a result


def _from_arguments(index: int, call: ToolCall) -> list[Identified]:
    customer = call.arguments.get("customer_id", call.arguments.get("id"))
    return [Identified(index, call.name, str(customer) if customer is not None else None)]


def identified_customers(calls: Sequence[ToolCall]) -> list[Identified]:
    """Every customer the assistant's successful lookups identified, in call order."""
    out: list[Identified] = []
    for index, call in enumerate(calls):
        if call.requestor != "assistant" or failed(call):
            continue
        is_customer_details = call.name == "get_details_by_id" and str(call.arguments.get("id", "")).startswith("C")
        if call.name not in LOOKUP_TOOLS and not is_customer_details:
            continue
        if call.result is not None:
            out += _from_result(index, call)
        elif call.name in ("get_customer_by_id", "get_details_by_id"):
            out += _from_arguments(index, call)
        else:
            out.append(Identified(index, call.name, None))
    return out


def account_writes(calls: Sequence[ToolCall]) -> list[tuple[int, ToolCall]]:
    """(index, call) of every write the assistant attempted."""
    return [(i, c) for i, c in enumerate(calls) if c.requestor == "assistant" and c.name in WRITE_TOOLS]


def check_policy(
    calls: Sequence[ToolCall],
    check: PolicyCheck,
    *,
    customer_lines: Mapping[str, set[str]] | None = None,
) -> CheckOutcome:
    """Run one policy rule over the calls. `customer_lines` (customer id → line ids, e.g. from the τ² DB) stands in
    for line lists that no lookup result in the transcript shows."""
    if check.rule == "identify_before_write":
        return _identify_before_write(calls)
    if check.rule == "writes_target_identified_customer":
        return _writes_target_identified(calls, customer_lines or {})
    return _within_limits(calls, check.limit)


def _identify_before_write(calls: Sequence[ToolCall]) -> CheckOutcome:
    writes = account_writes(calls)
    if not writes:
        return _outcome(Verdict.NOT_APPLICABLE, f"no account write among {len(calls)} calls")
    identities = identified_customers(calls)
    for i, call in writes:
        before = [p for p in identities if p.call_index < i]
        target = call.arguments.get("customer_id")
        if not before:
            return _outcome(Verdict.NOT_MET, f"call {i} {call.name} writes before any successful customer lookup")
        if target is not None and not any(p.customer_id in (None, str(target)) for p in before):
            shown = ", ".join(sorted({p.customer_id for p in before if p.customer_id}))
            return _outcome(
                Verdict.NOT_MET, f"call {i} {call.name} writes for {target}, but only {shown} was identified before it"
            )
    first = identities[0]
    who = first.customer_id or "the customer"
    return _outcome(
        Verdict.MET, f"{who} identified by call {first.call_index} {first.tool} before all {len(writes)} write(s)"
    )


def _writes_target_identified(calls: Sequence[ToolCall], customer_lines: Mapping[str, set[str]]) -> CheckOutcome:
    writes = account_writes(calls)
    if not writes:
        return _outcome(Verdict.NOT_APPLICABLE, f"no account write among {len(calls)} calls")
    identities = identified_customers(calls)
    if not identities:
        return _outcome(Verdict.NOT_APPLICABLE, "no customer was identified (identify_before_write covers that)")
    known = {p.customer_id for p in identities if p.customer_id is not None}
    unknown_lookup = any(p.customer_id is None for p in identities)
    undecided: list[str] = []
    for i, call in writes:
        target = call.arguments.get("customer_id")
        target = None if target is None else str(target)
        if target not in known:
            if unknown_lookup:
                undecided.append(f"call {i}: whom the lookup without a result identified")
                continue
            shown = ", ".join(sorted(known))
            return _outcome(Verdict.NOT_MET, f"call {i} {call.name} acts for {target}, not the identified {shown}")
        mine = [p for p in identities if p.customer_id == target]
        if call.name == PAYMENT_REQUEST:
            bills = _union(p.bill_ids for p in mine)
            bill = call.arguments.get("bill_id")
            if bills is not None and str(bill) not in bills:
                return _outcome(
                    Verdict.NOT_MET,
                    f"call {i} {call.name} names bill {bill}, not one of {target}'s bills ({_list(bills)})",
                )
            continue
        lines = _union(p.line_ids for p in mine)
        if lines is None and target in customer_lines:
            lines = frozenset(customer_lines[target])
        line = call.arguments.get("line_id")
        if lines is None:
            undecided.append(f"call {i}: the lines of {target}")
        elif str(line) not in lines:
            return _outcome(
                Verdict.NOT_MET,
                f"call {i} {call.name} targets line {line}, not one of {target}'s lines ({_list(lines)})",
            )
    if undecided:
        return _outcome(Verdict.NOT_APPLICABLE, f"cannot tell {undecided[0]} (no lookup result, no customer_lines)")
    return _outcome(
        Verdict.MET, f"all {len(writes)} write(s) act on the identified {_list(known)}'s own lines and bills"
    )


def _within_limits(calls: Sequence[ToolCall], limit: str | None) -> CheckOutcome:
    checks = []
    if limit in (None, "refuel"):
        checks.append(_refuel_limit(calls))
    if limit in (None, "payment"):
        checks.append(_payment_limit(calls))
    for outcome in checks:
        if outcome.verdict is Verdict.NOT_MET:
            return outcome
    met = [o.reason for o in checks if o.verdict is Verdict.MET]
    if not met:
        return _outcome(Verdict.NOT_APPLICABLE, "; ".join(o.reason for o in checks))
    return _outcome(Verdict.MET, "; ".join(met))


def _amount(call: ToolCall) -> float | None:
    value = call.arguments.get("gb_amount")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _refuel_limit(calls: Sequence[ToolCall]) -> CheckOutcome:
    refuels = [(i, c) for i, c in enumerate(calls) if c.requestor == "assistant" and c.name == REFUEL]
    if not refuels:
        return _outcome(Verdict.NOT_APPLICABLE, "no refuel")
    total, applied = 0.0, []
    for i, call in refuels:
        amount = _amount(call)
        if amount is None:
            continue  # no numeric amount: the tool rejects it and nothing is added
        if amount > MAX_REFUEL_GB + _EPSILON:
            return _outcome(
                Verdict.NOT_MET,
                f"call {i} {REFUEL} asks for {amount:g} GB, above the {MAX_REFUEL_GB:g} GB maximum ({REFUEL_SECTION})",
            )
        if failed(call):
            continue  # rejected by the tool: nothing was added
        total += amount
        applied.append(str(i))
        if total > MAX_REFUEL_GB + _EPSILON:
            return _outcome(
                Verdict.NOT_MET,
                f"refuels add up to {total:g} GB (calls {', '.join(applied)}), above the {MAX_REFUEL_GB:g} GB "
                f"maximum ({REFUEL_SECTION})",
            )
    return _outcome(Verdict.MET, f"refuels total {total:g} GB, within the {MAX_REFUEL_GB:g} GB maximum")


def _payment_limit(calls: Sequence[ToolCall]) -> CheckOutcome:
    awaiting: dict[str, list[tuple[int, str]]] = {}  # customer → (call index, bill) of requests not yet paid
    requests = 0
    for i, call in enumerate(calls):
        if call.name == USER_PAYMENT and call.requestor == "user":
            if not failed(call) and not (call.result or "").startswith(NO_PAYMENT_REQUEST):
                awaiting.clear()  # the phone holds one pending request; paying it clears it
            continue
        if call.name != PAYMENT_REQUEST or call.requestor != "assistant":
            continue
        requests += 1
        customer = str(call.arguments.get("customer_id"))
        pending = awaiting.get(customer, [])
        if len(pending) >= MAX_AWAITING_PAYMENTS:
            index, bill = pending[-1]
            return _outcome(
                Verdict.NOT_MET,
                f"call {i} {PAYMENT_REQUEST} for {customer} while bill {bill} (call {index}) still awaits payment; "
                f"at most {MAX_AWAITING_PAYMENTS} at a time ({PAYMENT_SECTION})",
            )
        if not failed(call):
            awaiting.setdefault(customer, []).append((i, str(call.arguments.get("bill_id"))))
    if not requests:
        return _outcome(Verdict.NOT_APPLICABLE, "no payment request")
    return _outcome(Verdict.MET, f"{requests} payment request(s), never more than {MAX_AWAITING_PAYMENTS} awaiting")


def _union(sets: Iterable[frozenset[str] | None]) -> frozenset[str] | None:
    known = [s for s in sets if s is not None]
    return frozenset().union(*known) if known else None


def _list(ids: Iterable[str]) -> str:
    return ", ".join(sorted(ids))


def _outcome(verdict: Verdict, reason: str) -> CheckOutcome:
    return CheckOutcome(verdict=verdict, reason=reason, verifier=VERIFIER)
