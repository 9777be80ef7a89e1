"""`telerubric demo-score`: the main job's last step — rewards for a right and a wrong answer to a TeleQnA
question and for a gold and a broken τ² trajectory, each with its breakdown.

Items come from the KB itself (the first TeleQnA query and the first τ² task with at least two gold actions);
the gold trajectory is the task's gold actions, the broken one drops its last fix step. TeleQnA is distributed
encrypted: its question and criterion texts are never printed, only ids, scores and verdict kinds.
"""

from __future__ import annotations

import typer

from judge import RewardModel, RewardResult
from kb import ChoiceCheck
from ui.cli.common import cli_errors, settings
from ui.cli.reward_cmd import render_result


def demo_score() -> None:
    """Score a right and a wrong TeleQnA answer and a gold and a broken τ² trajectory from the KB."""
    with cli_errors(), RewardModel(settings()) as model:
        shown = 0
        for line in _teleqna(model) + _tau2(model):
            typer.echo(line)
            shown += 1
        if not shown:
            typer.echo("skipped: demo-score needs TeleQnA or τ² data in the KB (see `make demo`)")


def _teleqna(model: RewardModel) -> list[str]:
    kb = model.kb
    for query_id in kb.query_ids(source="teleqna", limit=50):
        query = kb.queries([query_id])[query_id]
        checks = [r.check for r in kb.rubrics(query.rubric_ids).values() if isinstance(r.check, ChoiceCheck)]
        if not checks:
            continue
        check = checks[0]
        right, wrong = check.answer, 1 if check.answer != 1 else 2
        lines = [
            f"== TeleQnA {query.provenance.get('dataset_id', query_id)} (text not shown: the data set is encrypted)"
        ]
        for label, answer in (("right", right), ("wrong", wrong)):
            result = model.score(query.text, f"The answer is option {answer}: {check.options[answer - 1]}")
            lines.append(f"-- {label} answer (option {answer}): {_summary(result)}")
            lines.append(f"   verdicts: {_counts(result)}")
        return lines
    return []


def _tau2(model: RewardModel) -> list[str]:
    kb = model.kb
    for query_id in kb.query_ids(source="tau2", limit=200):
        task = kb.tau2_task_of_query(query_id)
        actions = list(task.criteria.actions or []) if task and task.criteria else []
        if task is None or len(actions) < 2:
            continue
        calls = [{"requestor": a.requestor, "name": a.name, "arguments": a.arguments} for a in actions]
        request = kb.queries([query_id])[query_id].text
        lines = [f"== τ² task {task.task_id}: {request[:100]}"]
        for label, kept in (("gold", calls), (f"broken (no {calls[-1]['name']})", calls[:-1])):
            trajectory = {"task_id": task.task_id, "calls": kept}
            result = model.score(request, trajectory=trajectory, task_id=task.task_id)
            lines.append(f"-- {label} trajectory: {_summary(result)}")
            lines.append(render_result(result, explain=True))
        return lines
    return []


def _summary(result: RewardResult) -> str:
    if result.error is not None:
        return f"error {result.error.kind} at {result.error.stage}: {result.error.message}"
    parts = ", ".join(f"{k} {v:.2f}" for k, v in result.components.items() if v is not None)
    return f"score {result.score:.2f}{' (capped by a gate)' if result.capped else ''}; {parts}"


def _counts(result: RewardResult) -> str:
    counts: dict[str, int] = {}
    for v in result.verdicts:
        key = f"{v.decided_by.kind}:{v.verdict.value}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} ×{n}" for k, n in sorted(counts.items())) or "-"
