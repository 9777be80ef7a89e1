"""No identifier the request does not contain reaches a rubric set: texts generalised, checks narrowed."""

from __future__ import annotations

from kb import EnvAssertionCheck, ToolCallCheck
from retrieval.identifiers import foreign_identifiers, generalise, scrub_check

REQUEST = "My line L1002 has no data since this morning; my number is 555-123-2002."


def test_foreign_ids_are_generalised_and_the_requests_own_are_kept() -> None:
    text = "The agent refuels 2.0 GB of data on line L1002 for customer C1001 and bills B1234 to 555-987-6543."
    assert foreign_identifiers(text, REQUEST) == {"C1001", "B1234", "555-987-6543"}
    out = generalise(text, REQUEST)
    assert "L1002" in out and not foreign_identifiers(out, REQUEST)
    assert "the customer" in out and "the customer's phone number" in out
    assert generalise("The agent looks up 555-123-2002.", REQUEST) == "The agent looks up 555-123-2002."
    assert generalise("IMEI 356938035643809 is checked", REQUEST) == "IMEI the device or SIM identifier is checked"


def test_a_check_keeps_only_arguments_the_request_contains() -> None:
    check = ToolCallCheck(name="refuel_data", arguments={"line_id": "L1002", "customer_id": "C1001", "gb_amount": 2.0})
    narrowed = scrub_check(check, REQUEST)
    assert narrowed == ToolCallCheck(name="refuel_data", arguments={"line_id": "L1002"}, compare_args=["line_id"])
    plain = ToolCallCheck(name="toggle_airplane_mode", requestor="user")
    assert scrub_check(plain, REQUEST) is plain


def test_an_assertion_on_a_foreign_bill_is_dropped_and_a_clean_one_kept() -> None:
    foreign = EnvAssertionCheck(
        env_type="assistant", func_name="assert_no_overdue_bill", arguments={"overdue_bill_id": "B1234321"}
    )
    assert scrub_check(foreign, REQUEST) is None
    clean = EnvAssertionCheck(env_type="user", func_name="assert_can_send_mms", arguments={})
    assert scrub_check(clean, REQUEST) is clean
