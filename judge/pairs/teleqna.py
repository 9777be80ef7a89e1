"""TeleQnA as preference pairs, built in memory (the zip's decrypted text is never written or logged).

Multiple choice: the right option vs a wrong one, both with the same template justification (no label cue).
Open questions: the options removed, the right option and its explanation kept as the judge's `reference`, a right
and a wrong free-form answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest import load_teleqna
from judge.pairs.model import PreferencePair
from kb import ChoiceCheck, InputProblem, InputRejected, QueryRecord

logger = logging.getLogger(__name__)

_PRINCIPLE_PREFIX = "The response grounds its answer in this reasoning: "
# Options that mean nothing once the options are removed (open questions skip these items).
_RELATIVE_OPTION = re.compile(r"\b(all|none|both) of the (above|options)\b|^(true|false|yes|no)$", re.I)
_PLAUSIBLE = "{option} is the correct choice here: it is what the relevant 3GPP specification defines for this case."


@dataclass(frozen=True)
class McqItem:
    """One TeleQnA question as the builders need it."""

    id: str
    question: str
    options: tuple[str, ...]
    answer: int  # 1-based
    explanation: str | None
    category: str


def _item(record: QueryRecord) -> McqItem | None:
    check = next((r.check for r in record.rubrics if isinstance(r.check, ChoiceCheck)), None)
    if check is None:
        return None
    principle = next((r.text for r in record.rubrics if r.text.startswith(_PRINCIPLE_PREFIX)), None)
    category = next((t.split(":", 1)[1] for t in record.tags if t.startswith("category:")), "")
    question = record.text.split("\noption 1:", 1)[0].strip()
    return McqItem(
        id=record.query_id,
        question=question,
        options=tuple(check.options),
        answer=check.answer,
        explanation=principle[len(_PRINCIPLE_PREFIX) :] if principle else None,
        category=category,
    )


def load_mcq_items(path: Path, *, sample: int | None = None, seed: int = 0) -> list[McqItem]:
    """TeleQnA questions from the upstream zip (or an Open-Telco export).

    Raises:
        InputRejected: the file could not be read or has invalid rows.
    """
    problems: list[InputProblem] = []
    located = load_teleqna(path, problems=problems, notes=[], sample=sample, seed=seed)
    if problems:
        raise InputRejected(problems)
    items = [i for _, _, record in located if isinstance(record, QueryRecord) and (i := _item(record)) is not None]
    logger.info("teleqna: %d questions", len(items))
    return items


def _wrong_option(item: McqItem, rng: np.random.Generator) -> int:
    wrong = [n for n in range(1, len(item.options) + 1) if n != item.answer]
    return int(rng.choice(wrong))


def mcq_pairs(items: list[McqItem], *, seed: int = 0) -> list[PreferencePair]:
    """One pair per question: the right option vs a (seeded) wrong one, each with the same plausible justification.

    Neither side carries TeleQnA's own explanation: only the right option has one, so it would tell a judge (or a
    trained reward model) which side is chosen without any telecom knowledge."""
    rng = np.random.default_rng(seed)
    pairs = []
    for item in items:
        wrong = _wrong_option(item, rng)
        right_text, wrong_text = item.options[item.answer - 1], item.options[wrong - 1]
        prompt = item.question + "\n" + "\n".join(f"option {n}: {o}" for n, o in enumerate(item.options, start=1))
        pairs.append(
            PreferencePair(
                id=f"{item.id}:mcq",
                prompt=prompt,
                chosen=f"The answer is option {item.answer}: {right_text}. {_PLAUSIBLE.format(option=right_text)}",
                rejected=f"The answer is option {wrong}: {wrong_text}. {_PLAUSIBLE.format(option=wrong_text)}",
                category=item.category,
                source="teleqna-mcq",
            )
        )
    return pairs


def open_pairs(items: list[McqItem], *, seed: int = 0) -> list[PreferencePair]:
    """One pair per question whose options stand on their own: the question without options, the right option (and
    explanation) as `reference`, the right option vs a (seeded) wrong one as free-form answers."""
    rng = np.random.default_rng(seed)
    pairs = []
    for item in items:
        if any(_RELATIVE_OPTION.search(o.strip()) for o in item.options):
            continue
        wrong = _wrong_option(item, rng)
        right_text, wrong_text = item.options[item.answer - 1], item.options[wrong - 1]
        reference = right_text + (f". {item.explanation}" if item.explanation else "")
        pairs.append(
            PreferencePair(
                id=f"{item.id}:open",
                prompt=item.question,
                chosen=f"{right_text.rstrip('.')}.",
                rejected=f"{wrong_text.rstrip('.')}.",
                reference=reference,
                category=item.category,
                source="teleqna-open",
            )
        )
    return pairs
