"""Identifiers a rubric set may not carry: customer, line, bill and phone ids that the request does not contain.

A neighbour's rubric was written for another customer ("refuels 2.0 GB of data on line L1002 for customer
C1001"). Carried into a new request's rubric set it would pay an agent for writing to someone the request never
named. Texts are generalised ("on the customer's line"); machine checks keep only the compared arguments whose
values the request contains (the tool name is still checked).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb import MachineCheck, ToolCallCheck

# (pattern, generic phrase). Order matters: phone numbers before bare digit runs.
_IDENTIFIERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bcustomer\s+C\d{3,}\b", re.IGNORECASE), "the customer"),
    (re.compile(r"\bC\d{4,}\b"), "the customer"),
    (re.compile(r"\bline\s+L\d{3,}\b", re.IGNORECASE), "the customer's line"),
    (re.compile(r"\bL\d{4,}\b"), "the customer's line"),
    (re.compile(r"\bbill\s+B\d{3,}\b", re.IGNORECASE), "the bill"),
    (re.compile(r"\bB\d{4,}\b"), "the bill"),
    (re.compile(r"(?<![\w-])(?:\+\d{1,3}[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "the customer's phone number"),
    (re.compile(r"\b\d{15,20}\b"), "the device or SIM identifier"),  # IMEI / ICCID / IMSI
)
ANY_IDENTIFIER = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _IDENTIFIERS), re.IGNORECASE)


def identifiers(text: str) -> set[str]:
    """Every identifier-looking token in `text` (ids like C1001 / L1002 / B1234, phone numbers, long digit runs)."""
    found: set[str] = set()
    for pattern, _ in _IDENTIFIERS:
        found.update(m.group(0).strip() for m in pattern.finditer(text))
    return {_core(f) for f in found}


def foreign_identifiers(text: str, request: str) -> set[str]:
    """Identifiers in `text` that `request` does not contain."""
    return {i for i in identifiers(text) if i.lower() not in request.lower()}


def generalise(text: str, request: str) -> str:
    """`text` with every identifier the request does not contain replaced by a generic phrase."""
    for pattern, phrase in _IDENTIFIERS:
        text = pattern.sub(lambda m, p=phrase: m.group(0) if _core(m.group(0)).lower() in request.lower() else p, text)
    return re.sub(r"\s{2,}", " ", text).strip()


def scrub_check(check: MachineCheck | None, request: str) -> MachineCheck | None:
    """A tool-call check keeps only compared arguments whose values occur in the request; others are dropped
    from the comparison and the reference arguments (the tool name and requestor are still checked). Any other
    check that carries a foreign identifier (an end-state assertion on another customer's bill) is dropped: the
    item is then judged by its text alone."""
    if check is None:
        return None
    if not isinstance(check, ToolCallCheck):
        return None if foreign_identifiers(check.model_dump_json(), request) else check
    if not check.arguments:
        return check
    compared = check.compare_args if check.compare_args is not None else list(check.arguments)
    kept = [a for a in compared if a in check.arguments and _occurs(check.arguments[a], request)]
    if kept == compared:
        return check
    return check.model_copy(
        update={"arguments": {a: check.arguments[a] for a in kept}, "compare_args": kept},
    )


def has_foreign(texts: Sequence[str], request: str) -> bool:
    return any(foreign_identifiers(t, request) for t in texts)


def _occurs(value: object, request: str) -> bool:
    text = str(value).strip().lower()
    return bool(text) and text in request.lower()


def _core(token: str) -> str:
    """The id inside a matched phrase: 'customer C1001' → 'C1001'; phone numbers keep their digits' layout."""
    m = re.search(r"[CLB]\d{3,}", token)
    return m.group(0) if m else token.strip()
