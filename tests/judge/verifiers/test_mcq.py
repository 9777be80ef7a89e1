"""The multiple-choice verifier on real TeleQnA items (decrypted in memory, never printed: failures list only
question ids, styles and reasons, which name option numbers only) and on hand-written edge cases."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import load_teleqna
from judge.result import Verdict
from judge.verifiers import check_choice
from kb import ChoiceCheck

LETTERS = "ABCDEFGHIJ"
SAMPLE = 300


def _items(shared_dir: Path, sample: int | None) -> list[tuple[str, ChoiceCheck]]:
    problems: list = []
    located = load_teleqna(shared_dir / "data" / "teleqna" / "TeleQnA.zip", problems=problems, notes=[], sample=sample)
    assert problems == [], f"{len(problems)} problems reading TeleQnA"
    items = []
    for _, _, query in located:
        check = query.rubrics[0].check
        assert isinstance(check, ChoiceCheck)
        items.append((query.id, check))
    return items


@pytest.fixture(scope="module")
def teleqna_sample(shared_dir: Path) -> list[tuple[str, ChoiceCheck]]:
    return _items(shared_dir, SAMPLE)


def single_styles(n: int, text: str) -> dict[str, str]:
    """Ways to answer with option `n` (whose text is `text`)."""
    letter = LETTERS[n - 1]
    return {
        "bare_number": f"{n}",
        "option_number": f"option {n}",
        "answer_is_number": f"The answer is {n}.",
        "answer_colon_paren": f"Answer: {n})",
        "letter_paren": f"({letter})",
        "letter_dot": f"{letter}.",
        "answer_is_lower_letter": f"The answer is {letter.lower()}",
        "answer_is_n_text": f"The answer is {n}: {text}",
        "text_alone": text,
        "quoted_text": f'I would pick "{text}".',
        "reasoned": f"Let me think step by step about each option.\nThe correct answer is option {n}: {text}",
    }


def multi_styles(a: int, b: int, options: list[str]) -> dict[str, str]:
    """Ways to pick two options, or all of them."""
    lo, hi = sorted((a, b))
    return {
        "n_or_n": f"{lo} or {hi}",
        "options_letters": f"options {LETTERS[lo - 1]} and {LETTERS[hi - 1]}",
        "answer_is_list": f"The answer is {lo}, {hi}.",
        "all_texts_listed": "\n".join(options),
        "all_texts_sentence": "It could be " + ", ".join(f'"{o}"' for o in options) + ".",
    }


def ambiguous(options: list[str]) -> bool:
    """Items no reader can get right in every style: an option whose text is a lone option number or letter
    ("2" as option 1's text), or two options with the same text."""
    lone = re.compile(rf"[1-{len(options)}]|[a-{LETTERS[len(options) - 1].lower()}]")
    texts = [" ".join(o.casefold().split()) for o in options]
    return any(lone.fullmatch(re.sub(r"\W", "", t)) for t in texts) or len({t.strip(" .") for t in texts}) < len(texts)


def agreement(items: list[tuple[str, ChoiceCheck]]) -> tuple[Counter, Counter, list[tuple[str, str, str, bool]]]:
    """Totals and agreements per style, and every disagreement as (question id, style, reason, ambiguous item)."""
    total: Counter = Counter()
    agreed: Counter = Counter()
    wrong: list[tuple[str, str, str, bool]] = []

    def run(qid: str, check: ChoiceCheck, style: str, response: str, ok: Callable) -> None:
        outcome = check_choice(response, check)
        total[style] += 1
        if ok(outcome):
            agreed[style] += 1
        else:
            wrong.append((qid, style, outcome.reason, ambiguous(check.options)))

    for qid, check in items:
        right, other = check.answer, check.answer % len(check.options) + 1
        for style, response in single_styles(right, check.options[right - 1]).items():
            run(qid, check, f"right:{style}", response, lambda o: o.verdict is Verdict.MET)
        for style, response in single_styles(other, check.options[other - 1]).items():
            expected = f"picked option {other} "
            run(
                qid,
                check,
                f"wrong:{style}",
                response,
                lambda o, e=expected: o.verdict is Verdict.NOT_MET and o.reason.startswith(e),
            )
        for style, response in multi_styles(right, other, check.options).items():
            run(
                qid,
                check,
                f"several:{style}",
                response,
                lambda o: o.verdict is Verdict.NOT_MET and o.reason.startswith("picks several options"),
            )
    return total, agreed, wrong


def test_teleqna_sample_in_every_style(teleqna_sample: list[tuple[str, ChoiceCheck]]) -> None:
    assert len(teleqna_sample) >= 200
    total, agreed, wrong = agreement(teleqna_sample)
    assert len(total) == 27 and all(n == len(teleqna_sample) for n in total.values())
    # Measured on this sample (300 items × 27 styles = 8,100 answers): 8,093 read as intended; the 7 others are
    # on the 5 items that are ambiguous by construction (see `ambiguous`), where "picks several" is the verdict.
    assert [w for w in wrong if not w[3]] == []
    assert sum(agreed.values()) / sum(total.values()) >= 0.995, wrong


@pytest.mark.slow
def test_all_of_teleqna_in_every_style(shared_dir: Path) -> None:
    items = _items(shared_dir, None)
    total, agreed, wrong = agreement(items)
    assert sum(total.values()) == 10_000 * 27
    # Measured: 269,934 of 270,000 agree; the 66 others are all on ambiguous items (an option whose text is "2"
    # or "B", or duplicated options), where "picks several options" is the honest answer.
    assert [w for w in wrong if not w[3]] == []
    assert len(wrong) <= 100


def test_reasons_never_quote_option_text(teleqna_sample: list[tuple[str, ChoiceCheck]]) -> None:
    for _, check in teleqna_sample[:50]:
        for option in check.options:
            reason = check_choice(f"The answer is {option}", check).reason
            assert len(option) < 4 or option not in reason


OPTIONS = ["LTE", "LTE-Advanced", "5G NR", "3 GHz", "All of the above"]


@pytest.mark.parametrize(
    ("response", "picked"),
    [
        ("2", 2),
        ("Option 2", 2),
        ("The answer is 2: LTE-Advanced", 2),
        ("Answer: 2)", 2),
        ("(B)", 2),
        ("B.", 2),
        ("the answer is b", 2),
        ("My choice: option B.", 2),
        ("Reasoning first.\nThe answer is (B)", 2),
        ("2. LTE-Advanced", 2),
        ("The correct option is 2", 2),
        ("LTE-Advanced", 2),
        ("lte advanced", 2),  # case and punctuation do not matter
        ('I think it is "LTE-Advanced".', 2),
        ("The answer is LTE-Advanced, because plain LTE is older.", 2),  # the text right after the marker decides
        ("Answer: 2) because LTE is old", 2),  # other option text in the explanation does not count
        ("Option 2, because option 1 is too old", 2),
        ("LTE", 1),  # a substring of option 2 is still option 1 when it stands alone
        ("The answer is 3 GHz", 4),  # "3 GHz" is option 4's text, not option 3
        ("The answer is 5G NR (5G) for sure", 3),  # "(5G)" is not option 5
        ("answer is c", 3),
    ],
)
def test_reads_one_option(response: str, picked: int) -> None:
    outcome = check_choice(response, ChoiceCheck(answer=2, options=OPTIONS))
    assert outcome.reason.startswith(f"picked option {picked} (expected 2)"), outcome.reason
    assert outcome.verdict is (Verdict.MET if picked == 2 else Verdict.NOT_MET)
    assert outcome.verifier == "mcq"


@pytest.mark.parametrize(
    "response",
    [
        "1 or 2",
        "options A and B",
        "The answer is 1 or 2.",
        "Either option 2 or option 3.",
        "LTE, LTE-Advanced, 5G NR, 3 GHz, All of the above",
        "The answer is 2: 5G NR",  # number and text disagree
    ],
)
def test_several_options_are_not_met(response: str) -> None:
    outcome = check_choice(response, ChoiceCheck(answer=2, options=OPTIONS))
    assert outcome.verdict is Verdict.NOT_MET
    assert outcome.reason.startswith("picks several options"), outcome.reason


@pytest.mark.parametrize("response", ["", "I am not sure.", "The answer is a handover procedure.", "It depends on 7."])
def test_no_option(response: str) -> None:
    outcome = check_choice(response, ChoiceCheck(answer=2, options=OPTIONS))
    assert (outcome.verdict, outcome.reason) == (Verdict.NOT_MET, "no option identified (expected 2)")


def test_options_that_differ_only_in_symbols() -> None:
    check = ChoiceCheck(answer=2, options=["C = B log2(1+S/N)", "C = B log2(1-S/N)", "C = B/2"])
    assert check_choice("C = B log2(1-S/N)", check).verdict is Verdict.MET
    assert check_choice("The answer is C = B log2(1+S/N)", check).reason.startswith("picked option 1")


def test_numeric_option_texts() -> None:
    check = ChoiceCheck(answer=3, options=["2", "3", "4", "5"])
    assert check_choice("option 3", check).verdict is Verdict.MET  # "option N" is always a number
    assert check_choice("The answer is 3: 4", check).verdict is Verdict.MET
    ambiguous_reply = check_choice("3", check)  # option 3 by number, option 2 by text
    assert ambiguous_reply.verdict is Verdict.NOT_MET
    assert ambiguous_reply.reason.startswith("picks several options (2, 3)"), ambiguous_reply.reason


def test_identical_options_cannot_be_told_apart() -> None:
    check = ChoiceCheck(answer=1, options=["Handover", "Handover", "Paging"])
    assert check_choice("Handover", check).reason.startswith("picks several options (1, 2)")
    assert check_choice("option 1", check).verdict is Verdict.MET
