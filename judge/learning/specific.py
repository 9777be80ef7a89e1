"""Pair-specific rubrics: the ones a query-agnostic set must not carry.

A contrastive rubric often quotes its own pair ("… which is 'a 30 kHz spacing'", "… paging frames in the
idle-mode DRX cycle"). Judged against another question it pays for that pair's answer, not for quality. A rubric
is pair-specific when a phrase of it — a quoted span, or two adjacent content words — occurs in its source pair's
texts and in fewer than `min_support` of the learning pairs: domain vocabulary ("data roaming") recurs across
pairs, one question's answer does not.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[a-z0-9]+(?:[-_/.][a-z0-9]+)*")
_QUOTED = re.compile(r"""(?<![\w])['"‘“`]([^'"’”`]{2,80})['"’”`](?![\w])""")
# Function words and the words every rubric is made of; a phrase needs two words outside this list.
_COMMON = frozenset(
    """a an the and or but nor not no of to in on at by for with from into onto about as is are was were be been
    being it its this that these those there their them they he she his her we our you your i me my which who whom
    whose what when where why how than then so such very more most less least any all each every some other only
    also just both either neither if else do does did done doing has have had having can could may might must
    shall should will would one two three first second use uses used using make makes made
    response responses reply replies preferred rejected agent answer answers answered question questions request
    requests customer customers user users criterion criteria rubric rubrics grader mention mentions mentioned
    mentioning state states stated provide provides provided providing give gives given explain explains explained
    explanation include includes included clear clearly concise correct correctly incorrect accurate accurately
    directly explicitly specific specifically relevant detail details detailed good better best well""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (hyphenated, dotted and slashed terms stay one token: 'intra-level', 'N4')."""
    return _WORD.findall(text.lower())


def phrases(rubric: str) -> set[str]:
    """The phrases that could tie a rubric to one pair: quoted spans and adjacent content-word pairs."""
    found = {" ".join(words(q)) for q in _QUOTED.findall(rubric)}
    tokens = words(rubric)
    found |= {f"{a} {b}" for a, b in itertools.pairwise(tokens) if a not in _COMMON and b not in _COMMON}
    return {p for p in found if p}


def _padded(text: str) -> str:
    return f" {' '.join(words(text))} "


class SpecificityCheck:
    """Decides, for rubrics learned from `texts` (pair id → request and replies), which quote their own pair."""

    def __init__(self, texts: Mapping[str, str], min_support: int = 3) -> None:
        self._texts = {pid: _padded(t) for pid, t in texts.items()}
        self.min_support = min_support

    def support(self, phrase: str) -> int:
        """How many learning pairs' texts contain `phrase` as whole words."""
        needle = f" {phrase} "
        return sum(needle in text for text in self._texts.values())

    def quoted(self, rubric: str, sources: Iterable[str]) -> str | None:
        """The phrase of `rubric` that quotes one of its source pairs and is rare across pairs, or None."""
        if self.min_support <= 0:
            return None
        own = [self._texts[s] for s in sources if s in self._texts]
        for phrase in sorted(phrases(rubric)):
            needle = f" {phrase} "
            if any(needle in text for text in own) and self.support(phrase) < self.min_support:
                return phrase
        return None
