"""τ²-bench telecom ingestion: every task's gold criteria recoverable from its rubrics, conditional fix rubrics
without identifiers, the sub-issue table, shared rubrics, tags, the stored initial state, all-or-nothing errors,
idempotence and search, on the real data."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from ingest.tau2 import SUBISSUES, ingest_tau2, load_tau2, query_id
from ingest.tau2.job import resolve_db_paths
from ingest.validation import check_duplicate_ids
from kb import Tau2Criteria, Tau2InitialState
from kb.errors import InputProblem, InputRejected
from kb.records import MachineCheck, QueryRecord, RubricKind, RubricStatus
from kb.store import KnowledgeBase
from kb.tables import QueryRubricLink, Rubric

CHECK = TypeAdapter(MachineCheck)
TASK_ID = re.compile(r"^\[(?P<family>[a-z_]+)\](?P<subissues>[^\[\]]*)\[PERSONA:")
# customer, line, bill, device ids (C1001, L1002, B1234321, D1001) and phone numbers (555-123-2002)
IDENTIFIER = re.compile(r"\b[CLBD]\d{3,}\b|\b\d{3}-\d{3}-\d{4}\b|\b\d{10}\b")


def comparable(criteria: Tau2Criteria) -> dict[str, Any]:
    """Criteria as a dict without action ids (the KB derives them by position) and with null lists as []."""
    return {
        "actions": [a.model_dump(exclude={"action_id"}) for a in criteria.actions or []],
        "env_assertions": [e.model_dump() for e in criteria.env_assertions or []],
        "reward_basis": list(criteria.reward_basis),
    }


def upstream_criteria(task: dict[str, Any]) -> dict[str, Any]:
    return comparable(Tau2Criteria.model_validate(task["evaluation_criteria"]))


def rebuilt(checks: list[Any]) -> dict[str, Any]:
    return comparable(Tau2Criteria.from_checks(checks))


def subissues_of(task_id: str) -> list[str]:
    return [s for s in TASK_ID.match(task_id)["subissues"].split("|") if s]


@pytest.fixture(scope="module")
def upstream(tau2_dir: Path) -> list[dict[str, Any]]:
    return json.loads((tau2_dir / "tasks.json").read_text())


@pytest.fixture(scope="module")
def full_records(tau2_dir: Path) -> list[tuple[str, int | None, QueryRecord]]:
    problems: list[InputProblem] = []
    tasks = tau2_dir / "tasks.json"
    located = load_tau2(
        tasks, tau2_dir / "split_tasks.json", problems=problems, db_paths=resolve_db_paths(tasks, None, None)
    )
    assert problems == []
    return located  # type: ignore[return-value]


def test_every_task_criteria_rebuild_from_records(upstream, full_records) -> None:
    assert len(full_records) == len(upstream) == 2285
    by_id = {q.provenance.dataset_id: q for _, _, q in full_records}
    for task in upstream:
        record = by_id[task["id"]]
        assert rebuilt([r.check for r in record.rubrics]) == upstream_criteria(task), task["id"]
        assert record.tau2 is not None and record.tau2.task_id == task["id"]
        assert record.tau2.initial_state == Tau2InitialState.model_validate(task["initial_state"]), task["id"]


def test_positional_action_ids_are_upstreams_except_the_transfer(upstream, full_records) -> None:
    by_id = {q.provenance.dataset_id: q for _, _, q in full_records}
    for task in upstream:
        ours = Tau2Criteria.from_checks([r.check for r in by_id[task["id"]].rubrics]).actions or []
        theirs = task["evaluation_criteria"]["actions"] or []
        for a, b in zip(ours, theirs, strict=True):
            assert a.action_id == b["action_id"] or b["action_id"] == "transfer_to_human_agents", task["id"]


def test_one_environment_shared_by_every_task(full_records) -> None:
    environments = {q.tau2.environment for _, _, q in full_records}
    (environment,) = environments
    assert environment is not None and len(environment.id) == 64 and "[[customers]]" in environment.agent_db


def test_recurring_checks_are_one_rubric(full_records) -> None:
    problems: list[InputProblem] = []
    check_duplicate_ids(full_records, problems)  # one id ⇒ one content across all tasks
    assert problems == []
    rubrics = {r.rubric_id: r for _, _, q in full_records for r in q.rubrics}
    kinds = [r.kind for r in rubrics.values()]
    # 18 distinct gold actions; under their conditions: 27 (reboot, reset_apn, grants, enable_roaming, toggle_roaming
    # and the transfer each fix several sub-issues, the transfer also both unfixable ones at once)
    assert kinds.count(RubricKind.TOOL_CALL) == 27
    assert kinds.count(RubricKind.HARD_RULE) == 9  # 7 distinct assertions + 2 reward bases
    assert all(r.status is RubricStatus.APPROVED and r.source == "tau2" for r in rubrics.values())
    refuel = [r for r in rubrics.values() if r.check and r.check.type == "tool_call" and r.check.name == "refuel_data"]
    assert [r.text for r in refuel] == [
        "If the line's data usage has exceeded its plan's data limit, the agent refuels the requested amount of data "
        "(at most 2 GB, price confirmed) on the customer's line"
    ]
    assert refuel[0].check.arguments == {"customer_id": "C1001", "line_id": "L1002", "gb_amount": 2.0}


def test_repeated_action_keeps_order_and_stays_distinct(full_records) -> None:
    task_id = "[service_issue]break_apn_settings|overdue_bill_suspension[PERSONA:None]"
    record = next(q for _, _, q in full_records if q.provenance.dataset_id == task_id)
    reboots = [r for r in record.rubrics if r.check.type == "tool_call" and r.check.name == "reboot_device"]
    assert len(reboots) == 2 and reboots[0].rubric_id != reboots[1].rubric_id
    assert [r.condition for r in reboots] == [
        SUBISSUES["break_apn_settings"].cause,
        SUBISSUES["overdue_bill_suspension"].cause,
    ]
    assert len({r.rubric_id for r in record.rubrics}) == len(record.rubrics)


def test_no_rubric_text_carries_an_identifier(full_records) -> None:
    texts = {r.text for _, _, q in full_records for r in q.rubrics} | {
        r.condition for _, _, q in full_records for r in q.rubrics if r.condition
    }
    assert not [t for t in texts if IDENTIFIER.search(t)]
    assert IDENTIFIER.search("refuels 2.0 GB on line L1002 for customer C1001, phone 555-123-2002")


def test_every_gold_fix_is_a_conditional_rubric_of_its_subissues(upstream, full_records) -> None:
    by_id = {q.provenance.dataset_id: q for _, _, q in full_records}
    for task in upstream:
        fixes = [r for r in by_id[task["id"]].rubrics if r.kind is RubricKind.TOOL_CALL]
        assert len(fixes) == len(task["evaluation_criteria"]["actions"] or []), task["id"]
        for rubric in fixes:
            assert rubric.condition and rubric.text.startswith(f"If {rubric.condition}, the agent "), rubric.text
            named = {t.removeprefix("subissue:") for t in rubric.tags if t.startswith("subissue:")}
            assert named and named <= set(subissues_of(task["id"])), (task["id"], rubric.text)
        outcomes = [r for r in by_id[task["id"]].rubrics if r.check.type == "env_assertion"]
        assert outcomes and all(r.condition is None and r.text.startswith("At the end, ") for r in outcomes)


def test_every_subissue_in_the_tasks_has_a_reviewed_condition(upstream) -> None:
    found = {s for task in upstream for s in subissues_of(task["id"])}
    assert len(found) == 19 and found == set(SUBISSUES)
    for name, entry in SUBISSUES.items():
        assert entry.cause and entry.steps and "tech_support_manual.md § " in entry.section, name
        assert not IDENTIFIER.search(entry.cause + " ".join(s.phrase for s in entry.steps)), name
    for task in upstream:  # a single fixable sub-issue: the table's steps are exactly the gold actions
        (only, *rest) = subissues_of(task["id"]) or [None]
        if not rest and not SUBISSUES[only].unfixable:
            gold = [(a["requestor"], a["name"]) for a in task["evaluation_criteria"]["actions"]]
            assert gold == [(s.requestor, s.tool) for s in SUBISSUES[only].steps], task["id"]


def test_query_text_and_tags(full_records) -> None:
    tags = [set(q.tags) for _, _, q in full_records]
    assert sum("split:test" in t for t in tags) == 40 and sum("split:base" in t for t in tags) == 114
    assert sum("service" in t for t in tags) == 47 and sum("mobile_data" in t for t in tags) == 254
    assert sum("mms" in t for t in tags) == 1984
    assert not [t for t in tags if t & {"mms_issue", "mobile_data_issue", "service_issue"}]
    assert sum("persona:hard" in t for t in tags) == 756
    _, line, first = full_records[0]
    assert line == 3 and "subissue:user_abroad_roaming_enabled_off" in first.tags
    assert first.text.startswith("My mobile data is not working") and "\nTicket: The user" in first.text


def _subset(
    upstream: list[dict[str, Any]], tmp_path: Path, dbs: Path | None = None
) -> tuple[Path, list[dict[str, Any]]]:
    """A small tasks.json: the four tasks with a repeated action, two unfixable ones, and a few of each family; with
    the base DBs of `dbs` beside it when given."""
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
    for name in ("db.toml", "user_db.toml") if dbs else ():
        shutil.copy(dbs / name, folder / name)
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


def test_ingest_end_to_end_rebuilds_from_kb_and_rerun_is_noop(kb, upstream, tau2_dir, tmp_path) -> None:
    folder, picks = _subset(upstream, tmp_path, dbs=tau2_dir)
    summary = ingest_tau2(kb, folder)
    assert summary.queries.added == len(picks) and summary.rejected == []
    assert any("no split_tasks.json" in n for n in summary.notes) and len(summary.files) == 3
    for task in picks:
        assert rebuilt(linked_checks(kb, query_id(task["id"]))) == upstream_criteria(task), task["id"]
        stored = kb.tau2_task(task["id"])
        assert stored is not None and stored.query_id == query_id(task["id"]), task["id"]
        assert comparable(stored.criteria) == upstream_criteria(task), task["id"]
        assert stored.initial_state == Tau2InitialState.model_validate(task["initial_state"])
        assert stored.environment.agent_db == (tau2_dir / "db.toml").read_text()
        assert kb.tau2_task_of_query(query_id(task["id"])) == stored
    assert kb.tau2_task("[mms_issue]no_such_task[PERSONA:None]") is None
    views = kb.rubrics(kb.queries([query_id(picks[0]["id"])])[query_id(picks[0]["id"])].rubric_ids)
    assert any(v.condition for v in views.values())
    again = ingest_tau2(kb, folder)
    assert again.kb_version is None and again.queries.unchanged == len(picks) and again.rubrics.added == 0
    assert kb.doctor().clean
    assert kb.stats().queries_by_source == {"tau2": len(picks)}
    hits = [h for h in kb.search("my phone says no service since this morning", k=10) if h.collection == "queries"]
    assert "service" in hits[0].tags


def test_tasks_without_dbs_are_stored_unverifiable_with_a_note(kb, upstream, tmp_path) -> None:
    folder, picks = _subset(upstream, tmp_path)
    summary = ingest_tau2(kb, folder, limit=2)
    assert any("cannot verify" in n for n in summary.notes)
    stored = kb.tau2_task(picks[0]["id"])
    assert stored is not None and stored.environment is None and stored.init_actions


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
