"""Provenance of learned rubrics (pair ids, round) survives the SQL round trip; rows without those fields still load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kb import KnowledgeBase, Provenance, RubricKind, RubricRecord


def test_pair_ids_and_round_round_trip(kb: KnowledgeBase) -> None:
    record = RubricRecord(
        text="The agent checks the APN MMSC URL before anything else.",
        kind=RubricKind.HARD_RULE,
        source="learned",
        provenance=Provenance(file="pairs.jsonl", generator="m", pair_ids=["p1", "p7"], round=2),
    )
    kb.apply([record], actor="test")
    view = kb.rubrics([record.rubric_id])[record.rubric_id]
    assert view.provenance == {"file": "pairs.jsonl", "generator": "m", "pair_ids": ["p1", "p7"], "round": 2}
    assert Provenance.model_validate(view.provenance) == record.provenance


def test_rows_without_the_new_fields_load_as_none(kb: KnowledgeBase) -> None:
    record = RubricRecord(
        text="The response names the setting to change.",
        kind=RubricKind.PRINCIPLE,
        provenance=Provenance(file="rubrics.jsonl", line=3, dataset_id="q-9", section="2.1"),
    )
    kb.apply([record], actor="test")
    stored = kb.rubrics([record.rubric_id])[record.rubric_id].provenance
    assert stored == {"file": "rubrics.jsonl", "line": 3, "dataset_id": "q-9", "section": "2.1"}  # as before
    loaded = Provenance.model_validate(stored)
    assert loaded.pair_ids is None and loaded.round is None


def test_round_is_not_negative() -> None:
    with pytest.raises(ValidationError):
        Provenance(round=-1)
