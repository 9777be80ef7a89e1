"""`RewardModel` on the real data sets, verifiers only (`judge.use_llm = False`): τ² oracle trajectories scored
from the KB give the oracle's rewards; TeleQnA items with right, wrong and multi-option answers."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ingest import ingest_tau2, ingest_teleqna
from judge import JudgeErrorKind, RewardModel, Verdict
from judge.inputs import judged_input
from judge.machine_checks import run_machine_checks
from judge.matching import match_query
from kb import ChoiceCheck, Embedder, Importance, KnowledgeBase, RubricKind, load_settings, subissues_of
from kb.tables import Query
from retrieval import ItemOrigin, RubricItem
from tests.judge.verifiers.test_tau2_support import read_oracle

TASKS = 40  # seeded sample of τ² tasks, plus every task of the oracle's edge cases


@pytest.fixture(scope="module")
def tau2_model(tau2_dir: Path, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RewardModel]:
    tasks = json.loads((tau2_dir / "tasks.json").read_text())
    edge = {row["task_id"] for row in read_oracle(tau2_dir, "edge_cases.jsonl.gz")}
    picked = set(random.Random(1).sample([t["id"] for t in tasks], TASKS)) | edge
    folder = tmp_path_factory.mktemp("tau2")
    (folder / "tasks.json").write_text(json.dumps([t for t in tasks if t["id"] in picked]))
    for name in ("db.toml", "user_db.toml"):
        shutil.copy(tau2_dir / name, folder / name)
    settings = load_settings(data_dir=tmp_path_factory.mktemp("kb"), judge={"use_llm": False})
    with KnowledgeBase(settings, embedder=embedder) as kb:
        assert ingest_tau2(kb, folder).rejected == []
        with RewardModel(settings, kb=kb) as model:
            yield model


@pytest.mark.parametrize("name", ["gold.jsonl.gz", "drop_one.jsonl.gz", "edge_cases.jsonl.gz"])
def test_tau2_trajectories_from_the_kb_get_the_oracles_reward(
    tau2_model: RewardModel, tau2_dir: Path, name: str
) -> None:
    kb = tau2_model.kb
    rows = [r for r in read_oracle(tau2_dir, name) if kb.find_queries(dataset_id=r["task_id"])]
    assert len(rows) >= 30
    texts = {r["task_id"]: next(iter(kb.find_queries(dataset_id=r["task_id"]).values())).text for r in rows}
    wrong = []
    for row in rows:
        result = tau2_model.score(texts[row["task_id"]], trajectory=row, task_id=row["task_id"])
        assert result.error is None, result.error
        oracle = row["reward"]
        ok = result.components["tau2"] == oracle and (result.score == 0.0) == (oracle == 0.0)
        if not ok:
            wrong.append((row["task_id"], oracle, result.components["tau2"], result.score))
    assert not wrong, wrong[:5]


def test_fix_steps_of_causes_the_task_lacks_are_not_applicable(tau2_model: RewardModel, tau2_dir: Path) -> None:
    kb = tau2_model.kb
    rows = [r for r in read_oracle(tau2_dir, "gold.jsonl.gz") if kb.find_queries(dataset_id=r["task_id"])]
    row = next(r for r in rows if len(subissues_of(r["task_id"])) >= 2)
    causes = set(subissues_of(row["task_id"]))
    text = next(iter(kb.find_queries(dataset_id=row["task_id"]).values())).text
    match = match_query(kb, text, task_id=row["task_id"], neighbours=None, min_similarity=1.0)
    own = kb.rubrics(match.query.rubric_ids)  # type: ignore[union-attr]
    steps = {"shared": next(r for r in own.values() if r.kind == "tool_call" and r.condition)}  # a fix step it has
    for other in rows:  # another task's fix step for causes this task lacks
        query = next(iter(kb.find_queries(dataset_id=other["task_id"]).values()))
        for rubric in kb.rubrics(query.rubric_ids).values():
            named = {t.removeprefix("subissue:") for t in rubric.tags if t.startswith("subissue:")}
            if rubric.kind == "tool_call" and named and not named & causes:
                steps.setdefault("absent", rubric)
    assert set(steps) == {"shared", "absent"}

    def item(id_: str, source: str | None, **kw: object) -> RubricItem:
        fields = dict(
            id=id_, text="If the cause holds, the agent fixes it.", kind=RubricKind.TOOL_CALL, condition="the cause",
            importance=Importance.IMPORTANT, weight=0.6, origin=ItemOrigin.SYNTHESISED,
            derived_from=(steps[source].id,) if source else ("policy-x",),
        )  # fmt: skip
        return RubricItem(**{**fields, **kw})  # type: ignore[arg-type]

    items = [
        item("shared", "shared"),  # rewrites a step the replay verifies (no check carried over)
        item("absent", "absent"),
        item("absent-pitfall", "absent", importance=Importance.PITFALL),
        item("no-tau2-source", None),
        item("mixed-sources", "absent", derived_from=(steps["absent"].id, "policy-x")),
        item("unconditional", "absent", condition=None),
        item("a-principle", "absent", kind=RubricKind.PRINCIPLE),
    ]
    given = judged_input(None, trajectory=row, task_id=row["task_id"])
    machine = run_machine_checks(kb, match, items, given, gate_on_collateral=False)
    assert machine.decided_items == {"shared", "absent"}  # the judge sees the others
    (ruled_out,) = [v for v in machine.verdicts if v.criterion_id == "absent"]
    assert ruled_out.verdict is Verdict.NOT_APPLICABLE and not ruled_out.gate and ruled_out.decided_by.name == "tau2"
    assert all(c in ruled_out.reason for c in causes) and ruled_out.rubric_ids == (steps["absent"].id,)
    assert not [v for v in machine.verdicts if v.criterion_id == "shared"]  # the replay's own verdict counts


def test_an_unknown_task_id_is_an_error_value(tau2_model: RewardModel) -> None:
    result = tau2_model.score("My phone has no service.", trajectory={"calls": []}, task_id="[mms_issue]nope")
    assert result.score is None and result.error.kind in (JudgeErrorKind.EMPTY, JudgeErrorKind.VERIFIER)
    assert any("not in the knowledge base" in n for n in result.notes)


def test_teleqna_items_right_wrong_and_several(teleqna_zip: Path, embedder: Embedder, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb", judge={"use_llm": False})
    with KnowledgeBase(settings, embedder=embedder) as kb:
        ingest_teleqna(kb, teleqna_zip, sample=60, seed=3)
        with Session(kb.engine) as session:
            queries = list(session.exec(select(Query).where(Query.source == "teleqna")))
        views = kb.queries([q.id for q in queries])
        rubrics = kb.rubrics([r for v in views.values() for r in v.rubric_ids])
        checked = 0
        with RewardModel(settings, kb=kb) as model:
            for view in views.values():
                check = next(rubrics[r].check for r in view.rubric_ids if isinstance(rubrics[r].check, ChoiceCheck))
                other = 1 if check.answer != 1 else 2
                right = model.score(view.text, f"The answer is option {check.answer}.")
                wrong = model.score(view.text, f"The answer is option {other}.")
                several = model.score(view.text, f"Options {check.answer} and {other} are both correct.")
                assert (right.score, wrong.score, several.score) == (1.0, 0.0, 0.0), view.id
                assert right.components["mcq"] == 1.0 and wrong.components["gates"] == 0.0
                checked += 1
    assert checked >= 50
