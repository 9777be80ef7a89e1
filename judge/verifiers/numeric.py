"""Numeric-answer verifier: read the final number of a free-form answer and compare it within tolerance.

Which number is the answer, first rule that finds one: the last `\\boxed{…}`; the first number after the last
explicit marker on its line ("final answer", "the answer is", "Answer:", "result is"); in the last line that holds
a number, the number after its last `=` or `≈`, else its last number. A number may be signed (`-`, `−`), use
thousands separators (`1,234,567`, `1 234 567`; `1,2` is two numbers), scientific notation (`1.2e-3`,
`1.2×10^-3`, `1.2 x 10^{-3}`, `10⁻³`) and a percent sign. Units after it (dB, dBm, Mbps, kHz, ms …) are stripped,
never converted; a number glued to letters that are not a unit (`5G`, `3GPP`, `L1002`, `log2`) is not a number.
A percentage is compared both as written (45) and as a fraction (0.45); the reason says which reading matched.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from judge.result import Verdict
from judge.verifiers.outcome import CheckOutcome
from kb import NumericCheck

VERIFIER = "numeric"

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_MINUS = "-−–"  # hyphen-minus, U+2212 minus sign, en dash
_MANTISSA = (
    r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,234,567.8
    r"|\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:\.\d+)?(?![\d,])"  # 1 234 567 (space, no-break or thin space)
    r"|\d+(?:\.\d+)?|\.\d+)"
)
_EXPONENT = (
    r"(?:[eE](?P<e>[+\-−]?\d+)"
    r"|\s*(?:×|x|X|\*|·|⋅)\s*10\s*(?:\^|\*\*)\s*\{?\s*\(?(?P<p>[+\-−]?\d+)\)?\s*\}?"
    r"|\s*(?:×|x|X|\*|·|⋅)\s*10(?P<s>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))"
)
# Units that may be glued to a number ("20dBm", "5ms", "45%"); longest first so "dBm" wins over "dB".
UNITS = (
    "dBm", "dBi", "dBW", "dBc", "dBd", "dB",
    "THz", "GHz", "MHz", "kHz", "Hz",
    "Tbps", "Gbps", "Mbps", "kbps", "Kbps", "bps",
    "Tbit/s", "Gbit/s", "Mbit/s", "kbit/s", "bit/s", "b/s", "B/s", "Msps", "ksps", "sps",
    "Msymbol/s", "ksymbol/s", "symbols", "symbol", "bits", "bit", "bytes", "byte",
    "TB", "GB", "MB", "kB", "KB",
    "km", "cm", "mm", "nm", "µm", "um", "m",
    "ms", "µs", "us", "ns", "ps", "s", "min", "h",
    "mW", "kW", "MW", "W", "mV", "V", "mA", "A", "K", "Erlangs", "Erlang", "erl", "E",
    "°", "deg", "x",
)  # fmt: skip
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
NUMBER = re.compile(
    rf"(?<![\w.^/])(?P<sign>[+\-−–])?(?P<m>{_MANTISSA})(?:{_EXPONENT})?"
    rf"(?P<pct>\s?(?:%|percent\b))?(?P<glued>(?:{_UNIT})(?![A-Za-z]))?(?![\w^⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺])"
    rf"|(?<![\w.])(?P<sign2>[+\-−–])?10\s*(?:\^|\*\*)\s*\{{?\s*\(?(?P<p2>[+\-−]?\d+)\)?\s*\}}?(?![\w^])"
    rf"|(?<![\w.])(?P<sign3>[+\-−–])?10(?P<s2>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)(?![\w])"
)
_MARKERS = re.compile(
    r"\b(?:final\s+(?:answer|result)|answer\s*(?:is\b|:|=)|result\s*(?:is\b|:|=))"
    r"(?:\s*(?:is\b|:|=|≈|~|about\b|approximately\b|roughly\b))*",
    re.IGNORECASE,
)
_BOXED = re.compile(r"\\boxed\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_EQUALS = re.compile(r"=|≈|≅|~=|\bapprox(?:imately)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """The number read from an answer, where it was found, and whether it carried a percent sign."""

    value: float
    shown: str  # the number as written (no units), for the reason
    percent: bool
    where: str  # "boxed", "after 'answer is'", "after '='", "last number"


def _to_float(match: re.Match[str]) -> float | None:
    groups = match.groupdict()
    if groups["m"] is None:  # a bare power of ten: 10^-3, 10⁻³
        power = groups["p2"] if groups["p2"] is not None else groups["s2"].translate(_SUPERSCRIPTS)
        sign = groups["sign2"] or groups["sign3"]
        return (-1.0 if sign and sign in _MINUS else 1.0) * 10.0 ** int(power.replace("−", "-"))
    mantissa = re.sub(r"[,\s\u00a0\u202f\u2009]", "", groups["m"])
    exponent = groups["e"] or groups["p"] or (groups["s"].translate(_SUPERSCRIPTS) if groups["s"] else None)
    try:
        value = float(mantissa) * (10.0 ** int(exponent.replace("−", "-")) if exponent else 1.0)
    except (ValueError, OverflowError):
        return None
    if groups["sign"] and groups["sign"] in _MINUS:
        value = -value
    return value if math.isfinite(value) else None


def _numbers(text: str) -> list[tuple[re.Match[str], float]]:
    found = []
    for match in NUMBER.finditer(text):
        value = _to_float(match)
        if value is not None:
            found.append((match, value))
    return found


def _reading(match: re.Match[str], value: float, where: str) -> Reading:
    percent = bool(match.groupdict().get("pct"))
    return Reading(value=value, shown=f"{value:.10g}", percent=percent, where=where)


def read_number(response: str) -> Reading | None:
    """The answer's final number, or None when the text holds none."""
    boxed = list(_BOXED.finditer(response))
    if boxed:
        numbers = _numbers(boxed[-1].group(1))
        if numbers:
            return _reading(*numbers[-1], "in \\boxed{}")
    for marker in reversed(list(_MARKERS.finditer(response))):
        numbers = _numbers(response[marker.end() : _line_end(response, marker.end())])
        if numbers:
            label = " ".join(marker.group(0).split()).rstrip(":=≈~ ").lower()
            return _reading(*numbers[0], f"after '{label}'")
    lines = [line for line in response.splitlines() if _numbers(line)]
    if not lines:
        return None
    last = lines[-1]
    for sign in reversed(list(_EQUALS.finditer(last))):
        numbers = _numbers(last[sign.end() :])
        if numbers:
            return _reading(*numbers[0], f"after '{sign.group(0)}'")
    return _reading(*_numbers(last)[-1], "last number")


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _close(got: float, check: NumericCheck) -> bool:
    return math.isclose(got, check.value, rel_tol=check.rel_tol, abs_tol=check.abs_tol)


def check_numeric(response: str, check: NumericCheck) -> CheckOutcome:
    """MET when the answer's final number is within `rel_tol` / `abs_tol` of `check.value` (units stripped)."""
    want = f"{check.value:g}"
    tol = f"rel_tol {check.rel_tol:g}" + (f", abs_tol {check.abs_tol:g}" if check.abs_tol else "")
    reading = read_number(response)
    if reading is None:
        return _outcome(Verdict.NOT_MET, f"no number found (expected {want})")
    if not reading.percent:
        verdict = Verdict.MET if _close(reading.value, check) else Verdict.NOT_MET
        return _outcome(verdict, f"read {reading.shown} {reading.where} (expected {want}, {tol})")
    fraction = reading.value / 100.0
    if _close(reading.value, check):
        return _outcome(
            Verdict.MET, f"read {reading.shown}% {reading.where} as {reading.value:g} (expected {want}, {tol})"
        )
    if _close(fraction, check):
        return _outcome(Verdict.MET, f"read {reading.shown}% {reading.where} as {fraction:g} (expected {want}, {tol})")
    return _outcome(
        Verdict.NOT_MET,
        f"read {reading.shown}% {reading.where}, neither {reading.value:g} nor {fraction:g} (expected {want}, {tol})",
    )


def _outcome(verdict: Verdict, reason: str) -> CheckOutcome:
    return CheckOutcome(verdict=verdict, reason=reason, verifier=VERIFIER)
