"""The numeric verifier on the TeleMath-schema fixture (answers written in many formats) and on edge cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest import load_telemath
from judge.result import Verdict
from judge.verifiers import check_numeric
from kb import NumericCheck

FIXTURE = Path(__file__).resolve().parents[2] / "ingest" / "fixtures" / "telemath_sample.jsonl"


@pytest.fixture(scope="module")
def problems() -> list[tuple[str, NumericCheck]]:
    """(question, check) for the 12 fixture problems, through the real TeleMath ingestion (default tolerance)."""
    found: list = []
    located = load_telemath(FIXTURE, problems=found)
    assert found == []
    out = []
    for _, _, query in located:
        check = query.rubrics[0].check
        assert isinstance(check, NumericCheck)
        out.append((query.text, check))
    assert len(out) == 12
    return out


def unit_of(question: str) -> str:
    """The unit the question asks for ("in MHz?"), or ""."""
    match = re.search(r"\bin (dBm|dB|MHz|Mbit/s|ms|watts|bits)\b", question)
    return {"watts": "W"}.get(match.group(1), match.group(1)) if match else ""


def sci(value: float) -> tuple[str, str]:
    """Mantissa and exponent of `value` to 4 significant figures."""
    mantissa, exponent = f"{value:.3e}".split("e")
    return mantissa, str(int(exponent))


def right_answers(value: float, unit: str) -> dict[str, str]:
    mantissa, exponent = sci(value)
    plain = f"{value:g}"
    return {
        "plain": plain,
        "with_unit": f"{plain} {unit}".strip(),
        "glued_unit": f"{plain}{unit}" if unit not in ("", "bits") else plain,
        "answer_is": f"The answer is {plain} {unit}.",
        "final_answer_colon": f"Final answer: {plain}",
        "boxed": f"So we get \\boxed{{{plain}}}",
        "equals_chain": f"x = 2 × 3 = 6, so the result = {plain} {unit}",
        "derivation_then_last": f"First 17 and 12.5 give 212.5.\nThat leaves {plain} {unit}",
        "e_notation": f"{mantissa}e{exponent}",
        "times_ten_caret": f"{mantissa} × 10^{exponent} {unit}",
        "x_ten_braces": f"{mantissa} x 10^{{{exponent}}}",
        "rounded_3_sig": f"About {value:.3g} {unit}",
        "approx": f"Result ≈ {value:.4g}",
    }


def test_fixture_answers_in_many_formats(problems: list[tuple[str, NumericCheck]]) -> None:
    failures = []
    checked = 0
    for question, check in problems:
        for style, response in right_answers(check.value, unit_of(question)).items():
            outcome = check_numeric(response, check)
            checked += 1
            if outcome.verdict is not Verdict.MET:
                failures.append((check.value, style, response, outcome.reason))
    assert checked == 12 * 13
    assert failures == []


def test_fixture_wrong_answers(problems: list[tuple[str, NumericCheck]]) -> None:
    failures = []
    for question, check in problems:
        unit = unit_of(question)
        for factor in (1.05, 0.9, 10.0, -1.0):
            wrong = check.value * factor
            for response in (
                f"{wrong:g} {unit}",
                f"The answer is {wrong:g}.",
                f"{check.value:g} at first, then {wrong:g}",
            ):
                outcome = check_numeric(response, check)
                if outcome.verdict is not Verdict.NOT_MET:
                    failures.append((check.value, response, outcome.reason))
    assert failures == []


def test_tolerance_comes_from_the_check() -> None:
    assert check_numeric("98.0", NumericCheck(value=98.28)).verdict is Verdict.MET  # 0.3 % off, default 1 %
    assert check_numeric("98.0", NumericCheck(value=98.28, rel_tol=1e-3)).verdict is Verdict.NOT_MET
    assert check_numeric("0.004", NumericCheck(value=0.0, abs_tol=0.01)).verdict is Verdict.MET
    assert check_numeric("0.004", NumericCheck(value=0.0)).verdict is Verdict.NOT_MET


@pytest.mark.parametrize(
    ("response", "value"),
    [
        ("1.2e-3", 0.0012),
        ("1.2E-3 s", 0.0012),
        ("1.2×10^-3", 0.0012),
        ("1.2 x 10^{-3}", 0.0012),
        ("1.2 · 10^(-3) W", 0.0012),
        ("1.2 × 10⁻³ s", 0.0012),
        ("10^{-3}", 0.001),
        ("10⁻³", 0.001),
        ("3.5e9 Hz", 3.5e9),
        ("1,234,567", 1_234_567),
        ("1 234 567 bits", 1_234_567),
        ("1,234.5 Mbps", 1234.5),
        ("The noise floor is −97 dBm", -97),  # U+2212 minus
        ("-97.0dBm", -97),
        ("+2 dB", 2),
        ("The throughput is 10.49Mbit/s", 10.49),
        ("The delay is 50 ms", 50),
        ("FSPL = 20log10(d) + 20log10(f) - 147.55 = 80.05 dB", 80.05),  # log10, 20log10 are not numbers
        ("C = 20 log2(1+15) = 80 Mbit/s", 80),
        ("Answer: 80 Mbps. Check: 20 MHz x 4 = 80", 80),
        ("EIRP = 35 dBm, so the answer is 3.162 W", 3.162),
        ("The answer is 3.162 W (35 dBm)", 3.162),  # the explicit marker beats the last number
        ("T = 1/(100-80) = 0.05 s\nso 50 ms", 50),  # the last line with a number
        ("With 5G NR and 3GPP rel. 15 numerology, 98.28", 98.28),
        ("P = 1 - e^{-0.1} ≈ 0.0952", 0.09516),
        ("\\boxed{45}", 45),
    ],
)
def test_reads_the_final_number(response: str, value: float) -> None:
    outcome = check_numeric(response, NumericCheck(value=value))
    assert outcome.verdict is Verdict.MET, outcome.reason
    assert outcome.verifier == "numeric"


def test_percent_is_compared_both_ways() -> None:
    as_fraction = check_numeric("The blocking probability is 20 %.", NumericCheck(value=0.2))
    assert as_fraction.verdict is Verdict.MET
    assert "as 0.2" in as_fraction.reason
    as_written = check_numeric("45%", NumericCheck(value=45.0))
    assert as_written.verdict is Verdict.MET and "as 45 " in as_written.reason
    neither = check_numeric("30 percent", NumericCheck(value=0.2))
    assert neither.verdict is Verdict.NOT_MET and "neither 30 nor 0.3" in neither.reason
    assert check_numeric("0.2", NumericCheck(value=20.0)).verdict is Verdict.NOT_MET  # no % sign, no rescaling


@pytest.mark.parametrize(
    ("response", "read"),
    [
        ("values 1,2 and 7", 7.0),  # "1,2" is a list, not 12
        ("1 GHz", 1.0),  # units are stripped, never converted
        ("20 MHz bandwidth, 4 bit/s/Hz", 4.0),
    ],
)
def test_lists_and_units(response: str, read: float) -> None:
    outcome = check_numeric(response, NumericCheck(value=read))
    assert outcome.verdict is Verdict.MET, outcome.reason


@pytest.mark.parametrize("response", ["", "I cannot compute this.", "It works on 5G and LTE."])
def test_no_number(response: str) -> None:
    outcome = check_numeric(response, NumericCheck(value=6.0))
    assert (outcome.verdict, outcome.reason) == (Verdict.NOT_MET, "no number found (expected 6)")


def test_reason_says_what_was_read() -> None:
    outcome = check_numeric("so the answer is 97 MHz", NumericCheck(value=98.28))
    assert outcome.verdict is Verdict.NOT_MET
    assert outcome.reason == "read 97 after 'answer is' (expected 98.28, rel_tol 0.01)"
