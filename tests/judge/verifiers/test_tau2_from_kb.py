"""Verifying through the KB: after τ² ingestion, the tasks as the KB holds them (initial state, base DBs and the
criteria rebuilt from their rubrics' checks) give exactly the oracle's results."""

# ruff: noqa: F811  (pytest fixtures imported from test_tau2_support are redefined as parameters)

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.tau2 import ingest_tau2, load_tau2
from ingest.tau2.job import resolve_db_paths
from judge.verifiers.tau2 import Tau2Verifier, parse_trajectory, read_trajectories
from kb import Embedder, InputProblem, KnowledgeBase, Tau2Criteria, Tau2VerifiableTask, load_settings
from tests.judge.verifiers.test_tau2_support import compare_with_oracle, read_oracle, tau2_dir  # noqa: F401

KB_SAMPLE = 300  # tasks ingested into a real KB (SQLite + milvus-lite), beside the edge-case tasks


class RecordTasks:
    """Tasks as ingestion's records carry them (what the KB stores), without a store: fast enough for all tasks."""

    def __init__(self, tau2_dir: Path) -> None:
        problems: list[InputProblem] = []
        tasks = tau2_dir / "tasks.json"
        located = load_tau2(tasks, None, problems=problems, db_paths=resolve_db_paths(tasks, None, None))
        assert problems == []
        self.tasks: dict[str, Tau2VerifiableTask] = {}
        for _, _, record in located:
            state = record.tau2
            self.tasks[state.task_id] = Tau2VerifiableTask(
                task_id=state.task_id,
                initial_state=state.initial_state,
                criteria=Tau2Criteria.from_checks([r.check for r in record.rubrics]),
                environment=state.environment,
            )

    def get(self, task_id: str) -> Tau2VerifiableTask | None:
        return self.tasks.get(task_id)


@pytest.fixture(scope="module")
def record_verifier(tau2_dir: Path) -> Tau2Verifier:
    return Tau2Verifier(RecordTasks(tau2_dir), with_state_diff=True, with_hashes=True)


@pytest.mark.parametrize("name", ["gold.jsonl.gz", "empty.jsonl.gz", "edge_cases.jsonl.gz"])
def test_every_task_from_ingested_records_agrees(record_verifier: Tau2Verifier, tau2_dir: Path, name: str) -> None:
    rows = read_oracle(tau2_dir, name)
    bad, first = compare_with_oracle(record_verifier.verify_many(read_trajectories(tau2_dir / "oracle" / name)), rows)
    assert not bad, f"{name}: disagreements {dict(bad)}; first of each: {first}"


@pytest.fixture(scope="module")
def ingested(
    tau2_dir: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[KnowledgeBase, set[str]]]:
    """A real KB holding a seeded sample of tasks plus every edge-case task, ingested as a user's own tasks file."""
    tasks = json.loads((tau2_dir / "tasks.json").read_text())
    edge = {row["task_id"] for row in read_oracle(tau2_dir, "edge_cases.jsonl.gz")}
    picked = set(random.Random(0).sample([t["id"] for t in tasks], KB_SAMPLE)) | edge
    folder = tmp_path_factory.mktemp("tau2")
    (folder / "tasks.json").write_text(json.dumps([t for t in tasks if t["id"] in picked], indent=1))
    for name in ("db.toml", "user_db.toml"):
        shutil.copy(tau2_dir / name, folder / name)
    with KnowledgeBase(load_settings(data_dir=tmp_path_factory.mktemp("kb")), embedder=embedder) as kb:
        summary = ingest_tau2(kb, folder)
        assert summary.rejected == [] and summary.queries.added == len(picked)
        yield kb, picked


@pytest.mark.parametrize("name", ["gold.jsonl.gz", "empty.jsonl.gz", "drop_one.jsonl.gz", "edge_cases.jsonl.gz"])
def test_verifying_through_the_kb_agrees_with_the_oracle(
    ingested: tuple[KnowledgeBase, set[str]], tau2_dir: Path, name: str
) -> None:
    kb, picked = ingested
    verifier = Tau2Verifier.from_kb(kb, with_state_diff=True, with_hashes=True)
    pairs = [
        (t, row)
        for t, row in zip(read_trajectories(tau2_dir / "oracle" / name), read_oracle(tau2_dir, name), strict=True)
        if t.task_id in picked
    ]
    assert len(pairs) >= {"gold.jsonl.gz": KB_SAMPLE, "drop_one.jsonl.gz": KB_SAMPLE}.get(name, 30)
    bad, first = compare_with_oracle(verifier.verify_many(t for t, _ in pairs), [row for _, row in pairs])
    assert not bad, f"{name}: disagreements {dict(bad)}; first of each: {first}"


def test_unknown_and_unverifiable_tasks_are_error_values(ingested: tuple[KnowledgeBase, set[str]]) -> None:
    kb, _ = ingested
    verifier = Tau2Verifier.from_kb(kb)
    unknown = verifier.verify(parse_trajectory({"task_id": "[mms_issue]nope[PERSONA:None]", "calls": []}, "mem"))
    assert unknown.reward is None and "unknown task id" in unknown.error
    task_id = "[service_issue]airplane_mode_on[PERSONA:None]"
    stored = kb.tau2_task(task_id)
    assert stored is not None
    fix = {"requestor": "user", "name": "toggle_airplane_mode", "arguments": {}}
    trajectory = parse_trajectory({"task_id": task_id, "calls": [fix]}, "mem")
    assert verifier.verify(trajectory).reward == 1.0
    no_dbs = verifier.verify_task(stored.model_copy(update={"environment": None}), trajectory)
    assert no_dbs.reward is None and "no base environment" in no_dbs.error
