"""Untrusted text (the judged response, tool results, the request) made safe to put inside a prompt fence.

The prompt renderer (`kb.neutralise`) turns our ASCII fence tags (`</response>`) into `‹/response›`. This adds
what it does not see: look-alike tags (fullwidth `＜/response＞`, Cyrillic `</rеsponse>`, zero-width characters,
`< /response>`), role tags (`<system>`) and chat-template special tokens (`<|im_start|>`), which a server may
tokenise as real control tokens. Only tag-shaped spans change; the rest of the text is left as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Tag names an injected response could use to break out of its fence or fake a turn.
GUARDED_TAGS = frozenset(
    {
        "request",
        "response",
        "response_a",
        "response_b",
        "reference",
        "criteria",
        "criterion",
        "transcript",
        "system",
        "assistant",
        "user",
        "tool",
        "instructions",
        "verdict",
        "verdicts",
        "sys",
        "s",
    }
)
_OPEN, _CLOSE, _SLASH = "<＜﹤〈⟨〈‹", ">＞﹥〉⟩〉›", "/／⁄∕"
_GAP = r"[\s\u00ad\u200b-\u200f\u2060-\u2064\ufeff]*"  # white space or invisible characters
_TAGLIKE = re.compile(
    rf"[{_OPEN}]{_GAP}(?P<slash>[{_SLASH}]?){_GAP}(?P<name>[^\s{_OPEN}{_CLOSE}{_SLASH}]{{1,40}}?)"
    r"""(?:\s+[\w:.-]+\s*=\s*(?:"[^"]{0,80}"|'[^']{0,80}'|[^\s"'<>]{1,40}))*"""
    rf"{_GAP}[{_SLASH}]?{_GAP}[{_CLOSE}]"
)
_SPECIAL_TOKEN = re.compile(r"<\s*[|｜](?P<body>[^<>|｜]{0,40})[|｜]\s*>")
_BRACKET_TOKEN = re.compile(
    r"\[\s*(?P<body>/?\s*(?:INST|SYS|SYSTEM_PROMPT|TOOL_RESULTS|TOOL_CALLS|AVAILABLE_TOOLS))\s*\]", re.I
)
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))
# Latin look-alikes from Cyrillic and Greek (what NFKC leaves alone).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһԛԝкмнтвАВЕКМНОРСТХІЈЅαοριεκνντυχζΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhqwkmhtbabekmhopctxijsaopiekvvtuxzabezhikmnoptyx",
)


def fold_name(name: str) -> str:
    """A tag name as a reader would see it: invisible characters dropped, NFKC, Latin look-alikes, lower case."""
    return unicodedata.normalize("NFKC", name.translate(_INVISIBLE)).translate(_CONFUSABLES).lower()


def defuse(text: str, names: Iterable[str] = GUARDED_TAGS) -> str:
    """Rewrite every tag-shaped span whose name reads as one of `names` (in any look-alike spelling) to the
    neutral `‹/name›`, and chat-template special tokens `<|x|>` to `‹|x|›`."""
    guarded = frozenset(n.lower() for n in names)

    def tag(m: re.Match[str]) -> str:
        name = fold_name(m["name"])
        return f"‹{'/' if m['slash'] else ''}{name}›" if name in guarded else m.group(0)

    text = _SPECIAL_TOKEN.sub(lambda m: f"‹|{m['body']}|›", text)
    text = _BRACKET_TOKEN.sub(lambda m: f"⟦{m['body']}⟧", text)
    return _TAGLIKE.sub(tag, text)


def fence_breaks(text: str, names: Iterable[str] = GUARDED_TAGS) -> list[str]:
    """Tag-shaped spans in `text` that read as one of `names` (any spelling): what `defuse` leaves should have none."""
    guarded = frozenset(n.lower() for n in names)
    found = [m.group(0) for m in _TAGLIKE.finditer(text) if fold_name(m["name"]) in guarded and m.group(0)[0] != "‹"]
    return found + [m.group(0) for pattern in (_SPECIAL_TOKEN, _BRACKET_TOKEN) for m in pattern.finditer(text)]
