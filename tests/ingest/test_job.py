"""The shared job runner and the one pydantic error mapping: every entry is validated whatever the selection, record
rules become located problems, progress is reported, and field paths are dotted names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ingest.expert.schema import QueryEntry
from ingest.job import Dataset, load_dataset
from ingest.reader import Entry
from ingest.selection import Selection
from ingest.validation import validate_entry
from kb.errors import InputProblem
from kb.records import RubricKind, RubricRecord


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    group: str = Field(min_length=1)


class RecordingProgress:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, total: int, label: str) -> None:
        self.calls.append(("start", (total, label)))

    def advance(self, n: int) -> None:
        self.calls.append(("advance", n))

    def close(self) -> None:
        self.calls.append(("close", None))


def dataset(rows: list[object]) -> Dataset[Row]:
    return Dataset(
        job="demo",
        files=["rows.jsonl"],
        read=lambda problems: [Entry("rows.jsonl", i, row) for i, row in enumerate(rows, start=1)],
        validate=lambda e, problems: validate_entry(Row, e.data, e.file, e.line, problems),
        build=lambda e: RubricRecord(text=e.data.text, kind=RubricKind.PRINCIPLE),
        group=lambda row: row.group,
    )


GOOD = [{"text": f"The agent checks item {i}.", "group": "ab"[i % 2]} for i in range(6)]


def test_selection_happens_after_every_entry_is_validated() -> None:
    problems: list[InputProblem] = []
    located = load_dataset(
        dataset([*GOOD, {"text": "t", "group": ""}]), problems=problems, notes=[], selection=Selection(limit=2)
    )
    assert [line for _, line, _ in located] == [1, 2]
    assert [(p.line, p.field) for p in problems] == [(7, "group")]


def test_a_seeded_sample_is_balanced_and_repeatable() -> None:
    def picked(seed: int) -> list[int | None]:
        located = load_dataset(dataset(GOOD), problems=[], notes=[], selection=Selection(sample=2, seed=seed))
        return [line for _, line, _ in located]

    assert picked(4) == picked(4)
    assert {GOOD[line - 1]["group"] for line in picked(4)} == {"a", "b"}


def test_a_record_rule_becomes_a_located_problem() -> None:
    problems: list[InputProblem] = []
    located = load_dataset(dataset([GOOD[0], {"text": "   ", "group": "a"}]), problems=problems, notes=[])
    assert len(located) == 1
    (problem,) = problems
    assert (problem.file, problem.line, problem.field) == ("rows.jsonl", 2, "text") and "empty" in problem.message


def test_progress_covers_validation_and_building() -> None:
    progress = RecordingProgress()
    load_dataset(dataset(GOOD[:3]), problems=[], notes=[], progress=progress)
    starts = [args for call, args in progress.calls if call == "start"]
    assert starts == [(3, "demo: validating"), (3, "demo: building records")]
    assert sum(n for call, n in progress.calls if call == "advance") == 6
    assert progress.calls[-1] == ("close", None)


def test_field_paths_are_dotted_and_unknown_nested_fields_list_their_own_model() -> None:
    problems: list[InputProblem] = []
    data = {"query": "q", "rubrics": [{"text": "t", "kind": "principle", "colour": "red"}]}
    assert validate_entry(QueryEntry, data, "f.yaml", 3, problems, prefix="item 1") is None
    (problem,) = problems
    assert problem.field == "item 1.rubrics[0].colour"
    assert "expected one of" in problem.message and "importance" in problem.message and "query" not in problem.message
