"""Single tool calls on 48 states (oracle ``tool_probe``): content, error flag, state change, observables."""

# ruff: noqa: F811  (pytest fixtures imported from test_tau2_support are redefined as parameters)

from __future__ import annotations

from collections import Counter
from pathlib import Path

from judge.verifiers.tau2 import Tau2Verifier
from judge.verifiers.tau2.diff import diff_agent, diff_user
from judge.verifiers.tau2.environment import TelecomEnvironment
from judge.verifiers.tau2.observables import observables
from tests.judge.verifiers.test_tau2_support import read_oracle, task_set, tau2_dir, verifier  # noqa: F401


def _state(verifier: Tau2Verifier, row: dict) -> TelecomEnvironment:
    if row["task_id"] is None:
        env = TelecomEnvironment(verifier.tasks.base_state.clone())
        env.sync()
        return env
    task = verifier.tasks.get(row["task_id"])
    assert task is not None
    env = verifier.initial_environment(task)
    for gold in task.gold_actions[: row["gold_prefix_len"]]:
        env.call_tool(gold.requestor, gold.name, dict(gold.arguments))
    return env


def test_tool_probe_agrees(verifier: Tau2Verifier, tau2_dir: Path) -> None:
    rows = read_oracle(tau2_dir, "tool_probe.jsonl.gz")
    assert len(rows) == 4128
    bad: Counter = Counter()
    first: dict = {}
    for row in rows:
        env = _state(verifier, row)
        device, surroundings = env.state.user["device"], env.state.user["surroundings"]
        before = env.state.clone()
        call = row["call"]
        content, error = env.call_tool(call["requestor"], call["name"], dict(call["arguments"]))
        change = {"agent": diff_agent(before.agent, env.state.agent), "user": diff_user(before.user, env.state.user)}
        checks = {
            "observables_before": (
                observables(before.user["device"], before.user["surroundings"]),
                row["observables_before"],
            ),
            "content": ((content, error), (row["content"], row["error"])),
            "state_change": (change, row["state_change"]),
            "observables_after": (observables(device, surroundings), row["observables_after"]),
        }
        for key, (ours, theirs) in checks.items():
            if ours != theirs:
                bad[f"{key}:{call['name']}"] += 1
                first.setdefault(f"{key}:{call['name']}", (row["state"], call, ours, theirs))
    assert not bad, f"disagreements {dict(bad)}; first of each: {first}"
