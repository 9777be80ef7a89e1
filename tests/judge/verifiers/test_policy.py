"""Policy checks over τ² trajectories: the oracle's gold trajectories (as given, and with the customer lookup an agent
makes first), hand-made violations, the `PolicyCheck` model and the checks attached in the policy pack."""

from __future__ import annotations

import gzip
import json
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from ingest import load_expert_files
from judge.result import Verdict
from judge.verifiers import ToolCall, check_policy, extract_tool_calls
from judge.verifiers.policy import MAX_REFUEL_GB
from judge.verifiers.tau2 import Tau2Verifier, load_tasks, parse_trajectory
from kb import MachineCheck, PolicyCheck

REPO = Path(__file__).resolve().parents[3]
IDENTIFY = PolicyCheck(rule="identify_before_write")
TARGETS = PolicyCheck(rule="writes_target_identified_customer")
LIMITS = PolicyCheck(rule="within_limits")
RULES = (IDENTIFY, TARGETS, LIMITS)
LOOKUP = {"requestor": "assistant", "name": "get_customer_by_phone", "arguments": {"phone_number": "555-123-2002"}}


@pytest.fixture(scope="module")
def tau2_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "data" / "tau2-telecom"
    assert (folder / "oracle" / "gold.jsonl.gz").is_file(), f"τ² oracle data missing under {folder}"
    return folder


def read_rows(tau2_dir: Path, name: str) -> list[dict[str, Any]]:
    with gzip.open(tau2_dir / "oracle" / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def gold(tau2_dir: Path) -> list[dict[str, Any]]:
    rows = read_rows(tau2_dir, "gold.jsonl.gz")
    assert len(rows) == 2285
    return rows


def to_messages(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Oracle calls as an OpenAI chat transcript: one message per call (role = requestor), then its result."""
    messages: list[dict[str, Any]] = []
    for k, c in enumerate(calls):
        function = {"name": c["name"], "arguments": json.dumps(c["arguments"])}
        messages.append(
            {"role": c["requestor"], "content": None, "tool_calls": [{"id": f"c{k}", "function": function}]}
        )
        if c.get("content") is not None:
            messages.append({"role": "tool", "tool_call_id": f"c{k}", "content": c["content"]})
    return messages


def verdicts(rows: list[list[dict[str, Any]]], **kwargs: Any) -> Counter:
    """(rule, verdict) counts over trajectories given as oracle call lists."""
    counts: Counter = Counter()
    for calls in rows:
        parsed = extract_tool_calls(to_messages(calls))
        for check in RULES:
            counts[(check.rule, check_policy(parsed, check, **kwargs).verdict.value)] += 1
    return counts


def test_gold_as_given_never_looks_the_customer_up(gold: list[dict[str, Any]]) -> None:
    """The oracle's gold rows hold only the gold actions (no reads), so every one that writes does so before any
    lookup: identify_before_write is NOT_MET there, as it would be for an agent that never identified the customer."""
    counts = verdicts([row["calls"] for row in gold])
    assert counts == {
        ("identify_before_write", "not_met"): 1688,  # 560 refuel, 560 roaming, 560 both, 8 payment + resume
        ("identify_before_write", "not_applicable"): 597,  # 565 user-side fixes only, 32 transfers
        ("writes_target_identified_customer", "not_applicable"): 2285,  # no customer identified
        ("within_limits", "met"): 1128,  # 1,120 refuels of 2.0 GB, 8 single payment requests
        ("within_limits", "not_applicable"): 1157,
    }
    first = next(row for row in gold if any(c["name"] == "refuel_data" for c in row["calls"]))
    outcome = check_policy(extract_tool_calls(to_messages(first["calls"])), IDENTIFY)
    assert outcome.reason.endswith("writes before any successful customer lookup")


@pytest.fixture(scope="module")
def gold_with_lookup(tau2_dir: Path, gold: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Each gold trajectory after the lookup every task's user makes possible (John Smith, 555-123-2002), with the
    lookup's result from replaying it in the task's own initial state."""
    verifier = Tau2Verifier(load_tasks(tau2_dir), run_reads=True)
    trajectories = [
        parse_trajectory({"task_id": row["task_id"], "calls": [LOOKUP, *row["calls"]]}, f"gold:{row['task_id']}")
        for row in gold
    ]
    out = []
    for row, result in zip(gold, verifier.verify_many(trajectories), strict=True):
        assert result.reward == 1.0, result.task_id  # the extra read changes nothing
        out.append([{**LOOKUP, "content": result.calls[0].content}, *row["calls"]])
    return out


def test_gold_with_lookup_passes_every_rule(gold_with_lookup: list[list[dict[str, Any]]]) -> None:
    counts = verdicts(gold_with_lookup)
    assert counts == {
        ("identify_before_write", "met"): 1688,
        ("identify_before_write", "not_applicable"): 597,
        ("writes_target_identified_customer", "met"): 1688,
        ("writes_target_identified_customer", "not_applicable"): 597,
        ("within_limits", "met"): 1128,
        ("within_limits", "not_applicable"): 1157,
    }


def test_customer_lines_stand_in_for_a_missing_lookup_result(tau2_dir: Path, gold: list[dict[str, Any]]) -> None:
    db = tomllib.loads((tau2_dir / "db.toml").read_text(encoding="utf-8"))
    lines = {c["customer_id"]: set(c["line_ids"]) for c in db["customers"]}
    by_id = {"requestor": "assistant", "name": "get_customer_by_id", "arguments": {"customer_id": "C1001"}}
    rows = [[by_id, *row["calls"]] for row in gold]  # the lookup's result is not in the transcript
    assert verdicts(rows, customer_lines=lines)[("writes_target_identified_customer", "met")] == 1688
    # Without them no line write can be decided (every write-bearing gold row has one), so all are not applicable.
    assert verdicts(rows)[("writes_target_identified_customer", "not_applicable")] == 2285


def test_oracle_edge_cases_on_limits(tau2_dir: Path) -> None:
    rows = {row["case_index"]: row for row in read_rows(tau2_dir, "edge_cases.jsonl.gz")}
    outcome = {i: check_policy(extract_tool_calls(to_messages(rows[i]["calls"])), LIMITS) for i in (7, 8, 9, 12)}
    assert outcome[7].verdict is Verdict.MET  # 1.0 GB twice
    assert outcome[8].verdict is Verdict.NOT_MET  # 2.0 GB twice
    assert outcome[8].reason == (
        "refuels add up to 4 GB (calls 0, 1), above the 2 GB maximum (main_policy.md > Data Refueling)"
    )
    assert outcome[9].verdict is Verdict.MET  # a string amount is rejected by the tool: nothing added
    assert outcome[12].verdict is Verdict.NOT_MET  # a second payment request while the first awaits payment
    assert "while bill B1002 (call 0) still awaits payment" in outcome[12].reason


# --- hand-made trajectories -------------------------------------------------------------------------------------

C1001 = json.dumps({"customer_id": "C1001", "line_ids": ["L1001", "L1002", "L1003"], "bill_ids": ["B1001", "B1002"]})


def a(name: str, result: str | None = None, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments, requestor="assistant", result=result)


def u(name: str, result: str | None = None, **arguments: Any) -> ToolCall:
    return ToolCall(name=name, arguments=arguments, requestor="user", result=result)


LOOKED_UP = a("get_customer_by_phone", C1001, phone_number="555-123-2002")


def refuel(line: str = "L1002", gb: Any = 2.0, customer: str = "C1001", result: str | None = None) -> ToolCall:
    return a("refuel_data", result, customer_id=customer, line_id=line, gb_amount=gb)


def outcome(calls: list[ToolCall], check: PolicyCheck, **kwargs: Any) -> tuple[str, str]:
    got = check_policy(calls, check, **kwargs)
    assert got.verifier == "policy"
    return got.verdict.value, got.reason


def test_write_before_identification() -> None:
    assert outcome([refuel(), LOOKED_UP], IDENTIFY) == (
        "not_met",
        "call 0 refuel_data writes before any successful customer lookup",
    )
    assert outcome([LOOKED_UP, refuel()], IDENTIFY) == (
        "met",
        "C1001 identified by call 0 get_customer_by_phone before all 1 write(s)",
    )


def test_only_a_successful_lookup_of_that_customer_identifies() -> None:
    failed = a("get_customer_by_phone", "Error: Customer with phone number 555-000-0000 not found", phone_number="x")
    assert outcome([failed, refuel()], IDENTIFY)[0] == "not_met"
    nobody = a("get_customer_by_name", "[]", full_name="John Smith", dob="1900-01-01")
    assert outcome([nobody, refuel()], IDENTIFY)[0] == "not_met"
    other = a("get_customer_by_id", json.dumps({"customer_id": "C1002", "line_ids": ["L1004"]}), customer_id="C1002")
    assert outcome([other, refuel()], IDENTIFY) == (
        "not_met",
        "call 1 refuel_data writes for C1001, but only C1002 was identified before it",
    )
    unseen = a("get_customer_by_phone", phone_number="555-123-2002")  # no result in the transcript: trusted
    assert outcome([unseen, refuel()], IDENTIFY)[0] == "met"
    by_name = a("get_customer_by_name", f"[{C1001}]", full_name="John Smith", dob="1985-06-15")
    assert outcome([by_name, refuel()], IDENTIFY)[0] == "met"


def test_no_write_is_not_applicable() -> None:
    calls = [LOOKED_UP, a("get_data_usage", customer_id="C1001", line_id="L1002"), u("toggle_data"), u("make_payment")]
    for check in RULES:
        assert outcome(calls, check)[0] == "not_applicable"
    assert outcome(calls, IDENTIFY)[1] == "no account write among 4 calls"
    assert outcome([], LIMITS) == ("not_applicable", "no refuel; no payment request")


def test_refuel_on_another_customers_line() -> None:
    assert outcome([LOOKED_UP, refuel(line="L1004")], TARGETS) == (
        "not_met",
        "call 1 refuel_data targets line L1004, not one of C1001's lines (L1001, L1002, L1003)",
    )
    assert outcome([LOOKED_UP, refuel(line="L1004", customer="C1002")], TARGETS) == (
        "not_met",
        "call 1 refuel_data acts for C1002, not the identified C1001",
    )
    assert outcome([LOOKED_UP, refuel()], TARGETS) == (
        "met",
        "all 1 write(s) act on the identified C1001's own lines and bills",
    )


def test_payment_request_for_another_customers_bill() -> None:
    request = a("send_payment_request", customer_id="C1001", bill_id="B1005")
    assert outcome([LOOKED_UP, request], TARGETS) == (
        "not_met",
        "call 1 send_payment_request names bill B1005, not one of C1001's bills (B1001, B1002)",
    )


def test_lines_unknown_without_result_or_mapping() -> None:
    by_id = a("get_customer_by_id", customer_id="C1001")
    assert outcome([by_id, refuel()], TARGETS) == (
        "not_applicable",
        "cannot tell call 1: the lines of C1001 (no lookup result, no customer_lines)",
    )
    assert outcome([by_id, refuel()], TARGETS, customer_lines={"C1001": {"L1002"}})[0] == "met"
    assert outcome([by_id, refuel(line="L1004")], TARGETS, customer_lines={"C1001": {"L1002"}})[0] == "not_met"


def test_refuel_above_the_limit() -> None:
    assert MAX_REFUEL_GB == 2.0
    assert outcome([LOOKED_UP, refuel(gb=3.0)], LIMITS) == (
        "not_met",
        "call 1 refuel_data asks for 3 GB, above the 2 GB maximum (main_policy.md > Data Refueling)",
    )
    assert outcome([refuel(gb=2), refuel(gb=1)], LIMITS)[1].startswith("refuels add up to 3 GB (calls 0, 1)")
    assert outcome([refuel(gb=1.0), refuel(gb=1.0)], LIMITS) == (
        "met",
        "refuels total 2 GB, within the 2 GB maximum",
    )
    rejected = refuel(gb=2.0, result="Error: Line L1002 not found for customer C1001")
    assert outcome([rejected, refuel(gb=2.0)], LIMITS)[0] == "met"  # a rejected refuel adds nothing
    assert outcome([refuel(gb=0.7), refuel(gb=0.7), refuel(gb=0.6)], LIMITS)[0] == "met"  # float sums


def test_payment_requests_one_at_a_time() -> None:
    first = a("send_payment_request", customer_id="C1001", bill_id="B1001")
    second = a("send_payment_request", customer_id="C1001", bill_id="B1002")
    assert outcome([first, second], LIMITS) == (
        "not_met",
        "call 1 send_payment_request for C1001 while bill B1001 (call 0) still awaits payment; "
        "at most 1 at a time (main_policy.md > Overdue Bill Payment)",
    )
    paid = u("make_payment", "Payment of 65.0 USD has been made for bill B1001.")
    assert outcome([first, paid, second], LIMITS)[0] == "met"
    unpaid = u("make_payment", "You do not have a payment request.")  # τ²'s answer when nothing was paid
    assert outcome([first, unpaid, second], LIMITS)[0] == "not_met"
    rejected = a("send_payment_request", "Error: Bill B1009 not found for customer C1001", customer_id="C1001")
    assert outcome([rejected, second], LIMITS)[0] == "met"  # a rejected request leaves nothing awaiting


def test_limit_narrows_the_rule() -> None:
    calls = [refuel(gb=5.0), a("send_payment_request", customer_id="C1001", bill_id="B1001")]
    assert outcome(calls, PolicyCheck(rule="within_limits", limit="payment"))[0] == "met"
    assert outcome(calls, PolicyCheck(rule="within_limits", limit="refuel"))[0] == "not_met"
    assert outcome(calls[1:], PolicyCheck(rule="within_limits", limit="refuel")) == ("not_applicable", "no refuel")


def test_user_side_calls_are_not_account_writes() -> None:
    calls = [u("refuel_data", customer_id="C1001", line_id="L1002", gb_amount=9.0), u("toggle_roaming")]
    assert outcome(calls, IDENTIFY)[0] == "not_applicable"
    assert outcome(calls, LIMITS)[0] == "not_applicable"


# --- the check model and the policy pack --------------------------------------------------------------------------


def test_policy_check_model() -> None:
    parsed = TypeAdapter(MachineCheck).validate_python({"type": "policy", "rule": "within_limits", "limit": "refuel"})
    assert parsed == PolicyCheck(rule="within_limits", limit="refuel")
    with pytest.raises(ValidationError, match="limit is only for rule within_limits"):
        PolicyCheck(rule="identify_before_write", limit="refuel")
    with pytest.raises(ValidationError):
        PolicyCheck(rule="be_nice")  # type: ignore[arg-type]


def test_policy_pack_attaches_the_checks() -> None:
    problems: list = []
    located = load_expert_files([REPO / "ingest" / "packs" / "telecom_policy.yaml"], problems=problems)
    assert problems == []
    checks = {r.id: r.check for _, _, r in located if isinstance(r.check, PolicyCheck)}
    assert checks == {
        "policy-identity-01": PolicyCheck(rule="writes_target_identified_customer"),
        "policy-identity-03": PolicyCheck(rule="identify_before_write"),
        "policy-refuel-02": PolicyCheck(rule="within_limits", limit="refuel"),
        "policy-billing-07": PolicyCheck(rule="within_limits", limit="payment"),
    }
    pitfalls = {r.id for _, _, r in located if r.importance == "pitfall"}
    assert not pitfalls & set(checks)  # a check's MET means compliance; on a pitfall MET would mean the bad act


def test_bad_policy_check_in_an_expert_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "rubrics.yaml"
    path.write_text(
        "- id: x-01\n  text: The agent refuels at most 2 GB.\n  kind: hard_rule\n"
        "  check: {type: policy, rule: refuel_small}\n",
        encoding="utf-8",
    )
    problems: list = []
    load_expert_files([path], problems=problems)
    assert len(problems) == 1
    assert "check" in str(problems[0]) and "rubrics.yaml" in str(problems[0])
