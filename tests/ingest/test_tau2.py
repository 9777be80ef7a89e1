"""τ²-bench telecom ingestion: every task's gold criteria recoverable from its rubrics, shared rubrics, tags,
all-or-nothing errors, idempotence and search, on the real data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from ingest.tau2 import criteria_from_checks, ingest_tau2, load_tau2, query_id
from ingest.validation import check_duplicate_ids
from kb.errors import InputProblem, InputRejected
from kb.records import MachineCheck, QueryRecord, RubricKind, RubricStatus
from kb.store import KnowledgeBase
from kb.tables import QueryRubricLink, Rubric

CHECK = TypeAdapter(MachineCheck)


def upstream_criteria(task: dict[str, Any]) -> dict[str, Any]:
    ec = task["evaluation_criteria"]
    return {
        "actions": [{k: a[k] for k in ("requestor", "name", "arguments", "compare_args")} for a in ec["actions"] or []],
        "env_assertions": [
            {k: e[k] for k in ("env_type", "func_name", "arguments", "assert_value", "message")}
            for e in ec["env_assertions"] or []
        ],
        "reward_basis": ec["reward_basis"],
    }


@pytest.fixture(scope="module")
def upstream(tau2_dir: Path) -> list[dict[str, Any]]:
    return json.loads((tau2_dir / "tasks.json").read_text())


@pytest.fixture(scope="module")
def full_records(tau2_dir: Path) -> list[tuple[str, int | None, QueryRecord]]:
    problems: list[InputProblem] = []
    located = load_tau2(tau2_dir / "tasks.json", tau2_dir / "split_tasks.json", problems=problems)
    assert problems == []
    return located  # type: ignore[return-value]


def test_every_task_criteria_rebuild_from_records(upstream, full_records) -> None:
    assert len(full_records) == len(upstream) == 2285
    by_id = {q.provenance.dataset_id: q for _, _, q in full_records}
    for task in upstream:
        record = by_id[task["id"]]
        assert criteria_from_checks([r.check for r in record.rubrics]) == upstream_criteria(task), task["id"]


def test_recurring_checks_are_one_rubric(full_records) -> None:
    problems: list[InputProblem] = []
    check_duplicate_ids(full_records, problems)  # one id ⇒ one content across all tasks
    assert problems == []
    rubrics = {r.rubric_id: r for _, _, q in full_records for r in q.rubrics}
    kinds = [r.kind for r in rubrics.values()]
    assert kinds.count(RubricKind.TOOL_CALL) == 19  # 18 distinct gold actions + one repeated reboot
    assert kinds.count(RubricKind.HARD_RULE) == 9  # 7 distinct assertions + 2 reward bases
    assert all(r.status is RubricStatus.APPROVED and r.source == "tau2" for r in rubrics.values())
    refuel = [r for r in rubrics.values() if r.check and r.check.type == "tool_call" and r.check.name == "refuel_data"]
    assert [r.text for r in refuel] == ["The agent refuels 2.0 GB of data on line L1002 for customer C1001"]


def test_repeated_action_keeps_order_and_stays_distinct(full_records) -> None:
    task_id = "[service_issue]break_apn_settings|overdue_bill_suspension[PERSONA:None]"
    record = next(q for _, _, q in full_records if q.provenance.dataset_id == task_id)
    reboots = [r for r in record.rubrics if r.check.type == "tool_call" and r.check.name == "reboot_device"]
    assert len(reboots) == 2 and reboots[0].rubric_id != reboots[1].rubric_id
    assert reboots[1].text.endswith("(2nd time in the task)")
    assert len({r.rubric_id for r in record.rubrics}) == len(record.rubrics)


def test_query_text_and_tags(full_records) -> None:
    tags = [set(q.tags) for _, _, q in full_records]
    assert sum("split:test" in t for t in tags) == 40 and sum("split:base" in t for t in tags) == 114
    assert sum("service_issue" in t for t in tags) == 47 and sum("mobile_data_issue" in t for t in tags) == 254
    assert sum("persona:hard" in t for t in tags) == 756
    _, line, first = full_records[0]
    assert line == 3 and "subissue:user_abroad_roaming_enabled_off" in first.tags
    assert first.text.startswith("My mobile data is not working") and "\nTicket: The user" in first.text


def _subset(upstream: list[dict[str, Any]], tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """A small tasks.json: the four tasks with a repeated action, two unfixable ones, and a few of each family."""
    picks: list[dict[str, Any]] = []
    repeated = [t for t in upstream if "overdue_bill_suspension" in t["id"] and "break_apn_settings" in t["id"]]
    unfixable = [t for t in upstream if "ACTION" in t["evaluation_criteria"]["reward_basis"]][:2]
    mobile = [t for t in upstream if t["id"].startswith("[mobile_data_issue]")][:2]
    mms = [t for t in upstream if t["id"].startswith("[mms_issue]")][:3]
    for task in repeated + unfixable + mobile + mms:
        if task not in picks:
            picks.append(task)
    folder = tmp_path / "tau2"
    folder.mkdir()
    (folder / "tasks.json").write_text(json.dumps(picks, indent=2))
    return folder, picks


def linked_checks(kb: KnowledgeBase, qid: str) -> list[Any]:
    with Session(kb.engine) as session:
        rows = session.exec(
            select(Rubric.check)
            .join(QueryRubricLink, col(QueryRubricLink.rubric_id) == Rubric.id)
            .where(QueryRubricLink.query_id == qid)
            .order_by(col(QueryRubricLink.position))
        ).all()
    return [CHECK.validate_python(c) for c in rows]


def test_ingest_end_to_end_rebuilds_from_kb_and_rerun_is_noop(kb, upstream, tmp_path) -> None:
    folder, picks = _subset(upstream, tmp_path)
    summary = ingest_tau2(kb, folder)
    assert summary.queries.added == len(picks) and summary.rejected == []
    assert any("no split_tasks.json" in n for n in summary.notes)
    for task in picks:
        assert criteria_from_checks(linked_checks(kb, query_id(task["id"]))) == upstream_criteria(task), task["id"]
    again = ingest_tau2(kb, folder)
    assert again.kb_version is None and again.queries.unchanged == len(picks) and again.rubrics.added == 0
    assert kb.doctor().clean
    assert kb.stats().queries_by_source == {"tau2": len(picks)}
    hits = [h for h in kb.search("my phone says no service since this morning", k=10) if h.collection == "queries"]
    assert "service_issue" in hits[0].tags


def test_bad_task_is_rejected_with_line_and_field(kb, upstream, tmp_path) -> None:
    task = json.loads(json.dumps(upstream[0]))
    del task["user_scenario"]["instructions"]["reason_for_call"]
    broken = tmp_path / "tasks.json"
    broken.write_text(json.dumps([upstream[1], task], indent=2))
    with pytest.raises(InputRejected) as caught:
        ingest_tau2(kb, broken)
    (problem,) = caught.value.problems
    assert problem.file == str(broken) and problem.line is not None and problem.line > 3
    assert problem.field == "user_scenario.instructions.reason_for_call"
    assert kb.stats().queries_by_source == {}


def test_cli_dry_run_sample_json(tau2_dir, tmp_path) -> None:
    from ui.cli.main import app

    args = ["--data-dir", str(tmp_path / "kb"), "ingest", "tau2", str(tau2_dir), "--sample", "6", "--dry-run", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["dry_run"] and summary["records"] == 6 and summary["queries"]["added"] == 6
    assert summary["kb_version"] is None
