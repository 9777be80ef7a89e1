"""The TeleQnA job: read the upstream AES-encrypted zip in memory; one query per question with a choice check and,
where the explanation carries reasoning, a principle. The decrypted text is never written to disk or logged."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path

import pyzipper
from pydantic import BaseModel, ConfigDict, Field

from ingest.job import Located, write_records
from ingest.selection import select_items, slug
from ingest.summary import IngestSummary
from kb import (
    ChoiceCheck,
    Importance,
    InputProblem,
    KnowledgeBase,
    Provenance,
    QueryRecord,
    RubricKind,
    RubricRecord,
    RubricStatus,
    derived_id,
    normalise_text,
)

logger = logging.getLogger(__name__)

SOURCE = "teleqna"
DEFAULT_PASSWORD = "teleqnadataset"  # published in upstream's README
MEMBER = "TeleQnA.txt"
MAX_OPTIONS = 5
_KEY = re.compile(r"^question (\d+)$")
_KEY_LINE = re.compile(r'^\s*"(question \d+)"\s*:', re.MULTILINE)
_ANSWER = re.compile(r"^option (\d+)\s*:\s?(.*)$", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
MIN_NEW_WORDS = 6  # an explanation "carries reasoning" when it adds this many words beyond question and answer
MAX_PRINCIPLE_CHARS = 600


class TeleQnAItem(BaseModel):
    """One upstream item: `question`, `option 1`..`option 5` (2–5 present), `answer: "option K: text"`, …"""

    model_config = ConfigDict(extra="allow", frozen=True)

    question: str = Field(min_length=1)
    answer: str = Field(pattern=_ANSWER.pattern)
    explanation: str = ""
    category: str = Field(min_length=1)

    def options(self) -> list[str]:
        extra = self.model_extra or {}
        return [str(extra[f"option {i}"]) for i in range(1, MAX_OPTIONS + 1) if f"option {i}" in extra]

    def answer_parts(self) -> tuple[int, str]:
        match = _ANSWER.match(self.answer)
        return int(match.group(1)), match.group(2).strip()  # type: ignore[union-attr]


def read_teleqna(path: Path, password: str, problems: list[InputProblem]) -> tuple[str, dict[str, int], dict] | None:
    """Decrypt the zip member in memory: (display name, question key → line, parsed JSON object)."""
    try:
        archive = pyzipper.AESZipFile(path)
    except FileNotFoundError:
        problems.append(InputProblem(str(path), None, None, "file not found; expected the upstream TeleQnA.zip"))
        return None
    except (pyzipper.BadZipFile, zipfile.BadZipFile, OSError) as exc:
        problems.append(
            InputProblem(str(path), None, None, f"not a readable zip file ({exc}); expected the upstream TeleQnA.zip")
        )
        return None
    with archive:
        names = archive.namelist()
        member = MEMBER if MEMBER in names else next((n for n in names if n.endswith((".txt", ".json"))), None)
        if member is None:
            problems.append(InputProblem(str(path), None, None, f"no {MEMBER} inside (found {', '.join(names)})"))
            return None
        shown = f"{path}!{member}"
        try:
            raw = archive.read(member, pwd=password.encode())
        except RuntimeError as exc:
            if "password" not in str(exc).lower():
                raise
            problems.append(
                InputProblem(
                    shown,
                    None,
                    None,
                    f"wrong password; upstream publishes {DEFAULT_PASSWORD!r} (pass it with --password)",
                )
            )
            return None
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        problems.append(InputProblem(shown, line, None, f"not the TeleQnA JSON object ({type(exc).__name__})"))
        return None
    if not isinstance(data, dict):
        problems.append(InputProblem(shown, 1, None, 'expected a JSON object of "question N" → item'))
        return None
    lines: dict[str, int] = {}
    line, counted = 1, 0
    for match in _KEY_LINE.finditer(text):
        line, counted = line + text.count("\n", counted, match.start()), match.start()
        lines.setdefault(match.group(1), line)
    return shown, lines, data


def query_id(key: str) -> str:
    """`question 123` → `teleqna-q123`."""
    return f"teleqna-q{_KEY.match(key).group(1)}"  # type: ignore[union-attr]


def query_text(item: TeleQnAItem) -> str:
    """The question and its numbered options, as the agent sees them."""
    options = "\n".join(f"option {i}: {text}" for i, text in enumerate(item.options(), start=1))
    return f"{item.question.strip()}\n{options}"


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def principle_text(item: TeleQnAItem) -> str | None:
    """'The response grounds its choice in: <explanation>' when the explanation adds reasoning, else None."""
    explanation = " ".join(item.explanation.split())
    new_words = _words(explanation) - _words(item.question) - _words(item.answer)
    if len(new_words) < MIN_NEW_WORDS:
        return None
    if len(explanation) > MAX_PRINCIPLE_CHARS:
        cut = explanation[:MAX_PRINCIPLE_CHARS]
        explanation = cut[: cut.rfind(". ") + 1] if ". " in cut else cut.rstrip() + "…"
    return f"The response grounds its answer in this reasoning: {explanation}"


def item_record(key: str, item: TeleQnAItem, file: str, line: int | None) -> QueryRecord:
    """The question's query with its choice rule (one per question: equal option sets in other questions are other
    questions) and, when the explanation adds reasoning, a principle (shared by equal explanations in a category)."""
    options = item.options()
    number, _ = item.answer_parts()
    check = ChoiceCheck(answer=number, options=options)
    canonical = json.dumps(check.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    category = slug(item.category, prefix="category:")
    where = Provenance(file=file, line=line, dataset_id=key)
    shown_option = " ".join(options[number - 1].split())
    rubrics = [
        RubricRecord(
            id=derived_id("r", SOURCE, key, canonical),
            kind=RubricKind.HARD_RULE,
            importance=Importance.ESSENTIAL,
            text=f'The response selects option {number} ("{shown_option[:300]}")',
            check=check,
            tags=[SOURCE, category],
            theme="correct option",
            status=RubricStatus.APPROVED,
            source=SOURCE,
            provenance=where,
        )
    ]
    principle = principle_text(item)
    if principle is not None:
        rubrics.append(
            RubricRecord(
                id=derived_id("r", SOURCE, "principle", category, normalise_text(principle)),
                kind=RubricKind.PRINCIPLE,
                importance=Importance.IMPORTANT,
                text=principle,
                tags=[SOURCE, category],
                theme="reasoning",
                status=RubricStatus.APPROVED,
                source=SOURCE,
                provenance=where,
            )
        )
    return QueryRecord(
        id=query_id(key),
        text=query_text(item),
        tags=[SOURCE, category],
        source=SOURCE,
        rubrics=rubrics,
        provenance=where,
    )


def answer_mismatch(key: str, item: TeleQnAItem) -> str | None:
    """A note when the answer's text differs from the option it points to (reported, not fixed)."""
    number, text = item.answer_parts()
    option = item.options()[number - 1]
    if " ".join(text.split()) == " ".join(option.split()):
        return None
    return (
        f"{key}: answer text {text[:80]!r} differs from option {number} {option[:80]!r}; "
        f"kept option {number} as the answer"
    )


def load_teleqna(
    path: Path,
    *,
    password: str = DEFAULT_PASSWORD,
    problems: list[InputProblem],
    notes: list[str],
    limit: int | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> list[Located]:
    """Decrypt, validate and build query records; data problems go to `problems`, answer mismatches to `notes`."""
    loaded = read_teleqna(path, password, problems)
    if loaded is None:
        return []
    shown, lines, data = loaded
    items: list[tuple[str, TeleQnAItem]] = []
    for key, raw in data.items():
        line = lines.get(key)
        if not _KEY.match(key):
            problems.append(InputProblem(shown, line, None, f'key {key[:40]!r} is not "question N"'))
            continue
        if not isinstance(raw, dict):
            problems.append(InputProblem(shown, line, key, "expected an object"))
            continue
        try:
            item = TeleQnAItem.model_validate(raw)
        except ValueError as exc:
            for error in exc.errors():  # type: ignore[attr-defined]
                field = ".".join(str(p) for p in error["loc"])
                problems.append(InputProblem(shown, line, f"{key}.{field}", error["msg"]))
            continue
        options = item.options()
        number, _ = item.answer_parts()
        if len(options) < 2 or [f"option {i}" for i in range(1, len(options) + 1)] != sorted(
            k for k in (item.model_extra or {}) if k.startswith("option ")
        ):
            problems.append(InputProblem(shown, line, key, "expected options `option 1`..`option N` (2–5, no gaps)"))
            continue
        if not 1 <= number <= len(options):
            problems.append(
                InputProblem(
                    shown, line, f"{key}.answer", f"points to option {number}; the item has {len(options)} options"
                )
            )
            continue
        items.append((key, item))
    chosen = select_items(items, limit=limit, sample=sample, group=lambda pair: pair[1].category, seed=seed)
    located: list[Located] = []
    for key, item in chosen:
        note = answer_mismatch(key, item)
        if note:
            notes.append(note)
        located.append((shown, lines.get(key), item_record(key, item, shown, lines.get(key))))
    logger.info("teleqna: %d of %d questions selected, %d answer mismatches", len(located), len(items), len(notes))
    return located


def ingest_teleqna(
    kb: KnowledgeBase,
    path: Path,
    *,
    password: str = DEFAULT_PASSWORD,
    dry_run: bool = False,
    limit: int | None = None,
    sample: int | None = None,
    seed: int | None = None,
) -> IngestSummary:
    """Ingest TeleQnA from the upstream zip. Raises `InputRejected` and writes nothing on any problem."""
    problems: list[InputProblem] = []
    notes: list[str] = []
    located = load_teleqna(
        path,
        password=password,
        problems=problems,
        notes=notes,
        limit=limit,
        sample=sample,
        seed=kb.settings.seed if seed is None else seed,
    )
    return write_records(kb, "teleqna", [str(path)], located, problems, dry_run=dry_run, notes=notes)
