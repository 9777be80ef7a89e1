"""Text in a judged response that addresses the grader, found and redacted before the judge reads it.

A support reply talks to a customer; it has no reason to mention a grader, a rubric, criterion numbers or
verdicts, to carry fake chat turns or hidden comments, or to tell anyone to ignore their instructions. Such
segments (sentences, lines, or the span itself for tags, comments and JSON) are replaced by `REDACTED`, so a
small judge model cannot obey them, and reported as `Finding`s, so a reward can penalise the attempt.

This is a deterministic first line, not a proof: its rules were written alongside the injection suite, and
wording they have no pattern for (see the held-out rows: `python -m bench.injection --split heldout`) passes
through to the judge, whose prompt treats the whole response as data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from judge.llm_judge.fence import GUARDED_TAGS, fence_breaks

SCREEN_VERSION = "1"  # bump when a rule changes: the judge sees different text (part of verdict cache keys)
REDACTED = "[removed: text addressed to the grader]"
_HOLE = "\x00"  # where a redaction goes, until the end (the marker itself must not match a rule)

_I = re.IGNORECASE
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff]")
# Spans removed as a whole wherever they sit.
_SPANS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hidden_comment", re.compile(r"<!--.*?(?:-->|$)", re.S)),
    ("hidden_markup", re.compile(r"<(\w+)[^>]*display\s*:\s*none[^>]*>.*?(?:</\1\s*>|$)", re.S | _I)),
    ("hidden_comment", re.compile(r"^\s*\[//\]:\s*#.*$", re.M)),
    (
        "chat_token",
        re.compile(
            r"(?:<\s*[|｜][^<>|｜]{0,40}[|｜]\s*>|\[\s*/?\s*INST\s*\])(?:\s*(?:system|assistant|user|developer|tool)\b)?",
            _I,
        ),
    ),
    (
        "verdict_json",
        re.compile(
            r"\{[^{}]*\"(?:verdicts?|criteri(?:on|a)_?\d*|final_score|score)\"\s*:[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", _I
        ),
    ),
)
# A segment (sentence or line) matching any of these is removed.
_SEGMENT: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "grader_word",
        re.compile(
            r"grader|grading|evaluator|assessor|rubric|verdict|\bjudges?\b|scoring|reference answer"
            r"|gold (?:answer|reference)|évaluat|critère|evaluador|rúbrica|criterios|bewert|kriteri"
            r"|評価|基準|评分|评估|评判",
            _I,
        ),
    ),
    ("criterion_number", re.compile(r"\bcriteri(?:on|a)\s*(?:#|no\.?|number)?\s*\d", _I)),
    (
        "criteria_claim",
        re.compile(
            r"\bcriteri(?:on|a)\b.{0,60}\b(?:met|not_met|not_applicable|satisf\w*|fulfil\w*)\b"
            r"|\b(?:met|satisf\w*)\b.{0,20}\bcriteri(?:on|a)\b",
            _I,
        ),
    ),
    (
        "verdict_order",
        re.compile(
            r"\b(?:mark|rate|grade|score|judge|output|return|answer|reply|treat|count)\w*\b[^.\n]{0,50}?"
            r"(?:\bas\s+[\"'«“]?\s*met\b|[\"'«“]\s*met\s*[\"'»”]|\bnot_met\b|\bnot_applicable\b"
            r"|\bmet\s+(?:for|on|everywhere)\b|\bmet\s*[.!]?\s*$)",
            _I,
        ),
    ),
    (
        "override",
        re.compile(
            r"\b(?:ignore|disregard|forget|override|bypass)\b.{0,40}\b(?:instructions?|rules|criteri\w*|prompt|guidelines)\b"
            r"|\byou are (?:now|no longer) (?:a|an|the)\s+(?:\w+\s+)?(?:grader|judge|evaluator|assistant|AI|model)\b"
            r"|\bpretend (?:you|to be)\b|\bstay in character\b|\brole-?play\b|\bdeveloper mode\b|\bDAN\b"
            r"|\bjailbreak|\blet'?s play a game\b|\bsystem prompt\b|\bignorez\b|\bignoriere|忽略|無視|无视",
            _I,
        ),
    ),
    (
        "score_claim",
        re.compile(
            r"\b(?:score|rating)\b\s*[:=]|\b(?:score|rating)\s+(?:of\s+)?\d+(?:\.\d+)?\s*(?:/\s*\d|out of \d)|★{2,}"
            r"|\bperfect score\b|\bscore\s+(?:0?\.\d+|1\.0)\b"
            r"|\b(?:10|5)\s*/\s*(?:10|5)\b\s*(?:★|stars?|points?|rating)",
            _I,
        ),
    ),
    (
        "self_review",
        re.compile(
            r"(?:\b(?:this|above|previous)\s+(?:reply|response|answer)\b|\bthe\s+(?:reply|response|answer)\s+above\b)"
            r".{0,80}\b(?:correct|perfect|excellent|approved|reviewed|flawless|meets)\b",
            _I,
        ),
    ),
    (
        "fake_turn",
        re.compile(
            r"^\s*(?:system|assistant|developer)\s*:|^\s*#{1,4}\s*(?:instruction|system|response)\b"
            r"|\((?:from )?(?:system|assistant)\)",
            _I | re.M,
        ),
    ),
    ("criteria_format", re.compile(r"\[(?:principle|hard_rule|tool_call)\b", _I)),
)
# Sentence ends, and the boundary between two JSON fields (a tool result may hide an order in one of them).
_SENTENCE_END = re.compile(r"(?<=[.!?;；])\s+|(?<=[。！？])|(?<=,)\s*(?=\")")


class Finding(BaseModel, frozen=True):
    """One grader-directed segment found in a response."""

    kind: str = Field(description="Which rule found it: grader_word, override, verdict_json, fence_tag, …")
    excerpt: str = Field(description="The removed text, cut to 80 characters (untrusted: for display only).")


class Screened(BaseModel, frozen=True):
    """A response with grader-directed text redacted, and what was found."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.findings)


def describe_findings(findings: Sequence[Finding]) -> str:
    """One line for a result's notes: `screen@1: redacted 2 grader-directed segments (override, verdict_json)`."""
    kinds = Counter(f.kind for f in findings)
    listed = ", ".join(kind if n == 1 else f"{kind} x{n}" for kind, n in kinds.items())
    plural = "s" if len(findings) != 1 else ""
    return f"screen@{SCREEN_VERSION}: redacted {len(findings)} grader-directed segment{plural} ({listed})"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:79] + "…"


def screen(text: str) -> Screened:
    """Redact every grader-directed segment of `text` (see the module docstring); the rest is left as it is."""
    findings: list[Finding] = []
    invisible = len(_INVISIBLE.findall(text))
    if invisible >= 3:  # words glued with zero-width characters hide instructions from filters
        findings.append(Finding(kind="invisible_characters", excerpt=f"{invisible} characters"))
        text = _INVISIBLE.sub(" ", text)
    for kind, pattern in _SPANS:

        def cut(m: re.Match[str], kind: str = kind) -> str:
            findings.append(Finding(kind=kind, excerpt=_excerpt(m.group(0))))
            return _HOLE

        text = pattern.sub(cut, text)
    for tag in dict.fromkeys(fence_breaks(text, GUARDED_TAGS)):  # fence escapes and fake role tags
        findings.append(Finding(kind="fence_tag", excerpt=_excerpt(tag)))
        text = text.replace(tag, _HOLE)
    lines = []
    for line in text.split("\n"):
        kept = []
        for sentence in _SENTENCE_END.split(line):
            words = sentence.replace(_HOLE, " ")
            kind = next((k for k, p in _SEGMENT if words.strip() and p.search(words)), None)
            if kind is not None:
                findings.append(Finding(kind=kind, excerpt=_excerpt(words)))
            kept.append(sentence if kind is None else _HOLE)
        lines.append(" ".join(kept))
    if not findings:
        return Screened(text=text)
    return Screened(text=_merge_holes("\n".join(lines)), findings=tuple(findings))


def _merge_holes(text: str) -> str:
    """One marker where several redactions touch, and no stray white space around them."""
    text = re.sub(rf"(?:\s*{_HOLE})+", f" {_HOLE}", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return re.sub(rf"{_HOLE}(?=\S)", f"{_HOLE} ", text).replace(_HOLE, REDACTED)
