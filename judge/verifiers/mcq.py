"""Multiple-choice verifier: which option does a free-form answer pick, and is it the expected one.

An answer is read in three places, first that yields a pick: the text after an explicit marker ("the answer
is", "Answer:", "final answer", "I choose" …; the last marker first), then the answer's first line, then the
whole text. An option is named by number ("option 3", "3)", "3: …"), by letter ("(C)", "C.", "answer is c";
A = 1) or by its text (case and punctuation ignored; where one option's text contains another's, an occurrence
inside the longer one counts for the longer one only). Naming several different options is a verdict of its own
(not met), never met by luck. Reasons name option numbers only, never option text, so a verdict can be logged
without leaking dataset text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from judge.result import Verdict
from judge.verifiers.outcome import CheckOutcome
from kb import ChoiceCheck

VERIFIER = "mcq"
LETTERS = "abcdefghij"

_MARKER = re.compile(
    r"\b(?:(?:final|correct|right|best)\s+(?:answer|option|choice)\s*(?:\bis\b|\bwould\s+be\b|[:=\-–])?"
    r"|answer\s*(?:\bis\b|\bwould\s+be\b|[:=\-–])"
    r"|I\s+(?:would\s+)?(?:choose|pick|select|go\s+with)\b)\s*:?",
    re.IGNORECASE,
)
_KEYWORD = re.compile(r"\s*(?:the\s+)?(?:options?|choices?|answers?)\s*(?:#|no\.|number)?\s*", re.IGNORECASE)
_KEYWORD_ANYWHERE = re.compile(r"\b(?:options?|choices?)\b", re.IGNORECASE)
_CONNECTOR = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bor\b|\bas\s+well\s+as\b)\s*", re.IGNORECASE)
_REF = r"[0-9a-jA-J]"
# "(3)", "[C]", "3)" are bracketed references; a bare "3" or "C" must be followed by an end of reference.
_TOKEN = re.compile(rf"\(({_REF})\)|\[({_REF})\]|({_REF})\)|({_REF})(?!\w)")
_AFTER_BARE = re.compile(r"[ \t]*(?:$|\n|[.:;,)\]](?!\w)|\s[-–—]\s|\s(?:or|and)\b)")
_BRACKETED_ANYWHERE = re.compile(rf"(?<!\w)\(({_REF})\)(?!\w)")
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Reading:
    """What an answer picks: the option numbers (1-based) and how they were read."""

    picked: frozenset[int]
    how: str  # "number", "letter", "text", or a note on a conflict


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces (punctuation dropped)."""
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _value(raw: str, n_options: int) -> tuple[int, str] | None:
    value, how = (int(raw), "number") if raw.isdigit() else (LETTERS.index(raw.lower()) + 1, "letter")
    return (value, how) if 1 <= value <= n_options else None


def _head_refs(text: str, n_options: int) -> tuple[set[int], str, int] | None:
    """References at the start of `text` ("3", "(C)", "option 2", "1 or 3", "options A and C"): the option
    numbers, how they were named, and where the references end."""
    keyword = _KEYWORD.match(text)
    pos = keyword.end() if keyword else 0
    named = keyword is not None  # "options 3 and 1": the keyword covers the whole list
    found: set[int] = set()
    hows: set[str] = set()
    while True:
        pos += len(text[pos:]) - len(text[pos:].lstrip(" \t"))
        token = _TOKEN.match(text, pos)
        if token is None:
            break
        bare = token.group(4) is not None and not named
        if bare and _AFTER_BARE.match(text, token.end()) is None:
            break  # "3 GHz", "a handover": the digit or letter is part of the text
        value = _value(next(g for g in token.groups() if g is not None), n_options)
        if value is None:
            break
        found.add(value[0])
        hows.add(value[1])
        pos = token.end()
        connector = _CONNECTOR.match(text, pos)
        if connector is None or connector.end() == pos:
            break
        keyword = _KEYWORD.match(text, connector.end())
        pos = keyword.end() if keyword else connector.end()
        if _TOKEN.match(text, pos) is None:
            break
    if not found:
        return None
    return found, "/".join(sorted(hows)), pos


def _light(text: str) -> str:
    """Case-folded, whitespace collapsed, outer quotes and punctuation dropped: tells apart options that differ
    only in symbols ("a+b" and "a-b"), which `normalise` merges."""
    return " ".join(text.casefold().split()).strip(" \"'`“”‘’.,;:!?")


def _contains(haystack: str, needle: str) -> bool:
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def _split_ties(picks: set[int], options: list[str], matches_lightly: Callable[[str], bool]) -> set[int]:
    """Options with equal normalised text are told apart by their light form where it decides."""
    by_form: dict[str, set[int]] = {}
    for number in picks:
        by_form.setdefault(normalise(options[number - 1]), set()).add(number)
    out: set[int] = set()
    for group in by_form.values():
        kept = {n for n in group if matches_lightly(_light(options[n - 1]))} if len(group) > 1 else group
        forms = {n: _light(options[n - 1]) for n in kept}  # "5G+" over "5G" when both match
        out |= {n for n in kept if not any(o != forms[n] and forms[n] in o for o in forms.values())} or group
    return out


def _text_picks(region: str, options: list[str]) -> set[int]:
    """Options whose normalised text occurs in `region`; an occurrence inside an occurrence of a longer option's
    text counts only for the longer option (so "LTE" is not read from "LTE-Advanced")."""
    haystack = f" {normalise(region)} "
    needles = {n: normalise(o) for n, o in enumerate(options, start=1)}
    spans: dict[int, list[tuple[int, int]]] = {}
    for number, needle in needles.items():
        if needle:
            found = [(m.start(), m.start() + len(needle) + 2) for m in re.finditer(re.escape(f" {needle} "), haystack)]
            if found:
                spans[number] = found
    picks: set[int] = set()
    for number, own in spans.items():
        longer = [
            span for other, theirs in spans.items() if len(needles[other]) > len(needles[number]) for span in theirs
        ]
        if any(not any(s <= start and end <= e for s, e in longer) for start, end in own):
            picks.add(number)
    light = _light(region)
    return _split_ties(picks, options, lambda form: _contains(light, form))


def _refs_anywhere(region: str, n_options: int) -> tuple[set[int], str] | None:
    """Every "option(s) …" reference list and every bracketed "(C)" in `region`."""
    found: set[int] = set()
    hows: set[str] = set()
    for keyword in _KEYWORD_ANYWHERE.finditer(region):
        refs = _head_refs(region[keyword.start() :], n_options)
        if refs is not None:
            found |= refs[0]
            hows.add(refs[1])
    for token in _BRACKETED_ANYWHERE.finditer(region):
        value = _value(token.group(1), n_options)
        if value is not None:
            found.add(value[0])
            hows.add(value[1])
    return (found, "/".join(sorted(hows))) if found else None


def _echoed_text(rest: str, options: list[str]) -> int | None:
    """The option whose text directly follows a reference ("3: <text>", "(C) <text>"), longest first."""
    head = f"{normalise(rest)} "
    echoed = {n for n, o in enumerate(options, start=1) if normalise(o) and head.startswith(f"{normalise(o)} ")}
    if not echoed:
        return None
    longest = max(len(normalise(options[n - 1])) for n in echoed)
    echoed = {n for n in echoed if len(normalise(options[n - 1])) == longest}
    light = _light(re.sub(r"^[\s:.)]*(?:[-–—]\s+)?", "", rest))  # "3: -1/x" keeps its minus sign
    echoed = _split_ties(echoed, options, lambda form: light.startswith(form))
    return min(echoed) if len(echoed) == 1 else None


def _reading(refs: tuple[set[int], str] | None, texts: set[int], echoed: int | None = None) -> Reading | None:
    if refs is not None:
        picked, how = refs
        if len(picked) == 1 and echoed is not None and echoed not in picked:
            return Reading(frozenset({*picked, echoed}), f"{how} says {min(picked)}, the text after it is {echoed}'s")
        return Reading(frozenset(picked), how)
    if texts:
        return Reading(frozenset(texts), "text")
    return None


def _read_head(region: str, options: list[str]) -> Reading | None:
    """A region that starts the answer: references at its head, else option text in its first line."""
    line = region.split("\n", 1)[0]
    head = _head_refs(line, len(options))
    if head is not None:
        return _reading(head[:2], set(), _echoed_text(line[head[2] :], options))
    echoed = _echoed_text(line.lstrip(" \t\"'`“‘*"), options)  # "The answer is <text>, because …"
    return _reading(None, {echoed} if echoed is not None else _text_picks(line, options))


def read_choice(response: str, options: list[str]) -> Reading | None:
    """The option(s) `response` picks, or None when it names none."""
    whole, light = normalise(response), _light(response)
    exact = {i for i, option in enumerate(options, start=1) if normalise(option) == whole}
    exact = _split_ties(exact, options, lambda form: form == light)
    bare = _head_refs(response.strip(), len(options))
    if bare is not None and bare[2] < len(response.strip()):
        bare = None if response.strip()[bare[2] :].strip(" .)") else bare
    if exact and bare is not None and not exact & bare[0]:
        shown = response.strip()[: bare[2]].strip()
        return Reading(frozenset(exact | bare[0]), f"ambiguous: {shown!r} is option {min(exact)}'s text")
    if exact:
        return Reading(frozenset(exact), "text")
    for marker in reversed(list(_MARKER.finditer(response))):
        reading = _read_head(response[marker.end() :], options)
        if reading is not None:
            return reading
    first_line = response.strip().split("\n", 1)[0]
    if normalise(first_line) not in {normalise(o) for o in options}:  # a listed option text is not a reference
        reading = _read_head(first_line, options)
        if reading is not None and reading.how != "text":
            return reading
    return _reading(
        _refs_anywhere(_without_option_texts(response, options), len(options)), _text_picks(response, options)
    )


def _without_option_texts(response: str, options: list[str]) -> str:
    """The response with quoted option texts blanked, so "(a)" inside an option's text is not read as option A."""
    for option in sorted(options, key=len, reverse=True):
        if len(" ".join(option.split())) >= 3:
            pattern = r"\s+".join(re.escape(word) for word in option.split())
            response = re.sub(pattern, " ", response, flags=re.IGNORECASE)
    return response


def check_choice(response: str, check: ChoiceCheck) -> CheckOutcome:
    """MET when `response` picks exactly option `check.answer`; several options or none is NOT_MET."""
    expected = check.answer
    reading = read_choice(response, list(check.options))
    if reading is None:
        return _outcome(Verdict.NOT_MET, f"no option identified (expected {expected})")
    picked = sorted(reading.picked)
    if len(picked) > 1:
        shown = ", ".join(str(p) for p in picked)
        note = f"; {reading.how}" if reading.how not in ("number", "letter", "text", "letter/number") else ""
        return _outcome(Verdict.NOT_MET, f"picks several options ({shown}){note} (expected {expected})")
    verdict = Verdict.MET if picked[0] == expected else Verdict.NOT_MET
    return _outcome(verdict, f"picked option {picked[0]} (expected {expected}) by {reading.how}")


def _outcome(verdict: Verdict, reason: str) -> CheckOutcome:
    return CheckOutcome(verdict=verdict, reason=reason, verifier=VERIFIER)
