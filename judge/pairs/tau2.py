"""τ²-bench telecom pairs from the oracle: the gold trajectory of a task vs each drop-one trajectory (the gold actions
without one of them), for the tasks of one split, with τ²'s own rewards kept on the pair."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path
from typing import Any

from ingest import load_tau2
from judge.pairs.model import PreferencePair
from kb import InputProblem, InputRejected, QueryRecord

logger = logging.getLogger(__name__)

_TRAJECTORY_FIELDS = ("calls",)


def _oracle(folder: Path, name: str) -> list[dict[str, Any]]:
    path = folder / "oracle" / name
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except OSError as exc:
        raise InputRejected([InputProblem(str(path), None, None, f"cannot read the oracle file: {exc}")]) from exc


def split_task_ids(folder: Path, split: str) -> list[str]:
    """Task ids of `split` in `split_tasks.json`.

    Raises:
        InputRejected: no such file or split.
    """
    path = folder / "split_tasks.json"
    try:
        splits = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputRejected([InputProblem(str(path), None, None, f"cannot read splits: {exc}")]) from exc
    if split not in splits:
        raise InputRejected([InputProblem(str(path), None, "split", f"no split {split!r}; have {sorted(splits)}")])
    return list(splits[split])


def task_requests(folder: Path, task_ids: set[str]) -> dict[str, str]:
    """The request text the KB stores for each task (as `ingest_tau2` builds it)."""
    problems: list[InputProblem] = []
    located = load_tau2(folder / "tasks.json", None, problems=problems)
    if problems:
        raise InputRejected(problems)
    out = {}
    for _, _, record in located:
        if isinstance(record, QueryRecord) and record.provenance.dataset_id in task_ids:
            out[record.provenance.dataset_id] = record.text
    return out


def tau2_pairs(folder: Path, *, split: str = "test", limit: int | None = None) -> list[PreferencePair]:
    """Gold vs drop-one pairs for the tasks of `split` (every drop-one row of those tasks, oracle order).

    `chosen_reward` / `rejected_reward` are τ²'s own rewards: pairs where they tie are not decisive.
    """
    ids = set(split_task_ids(folder, split))
    gold = {r["task_id"]: r for r in _oracle(folder, "gold.jsonl.gz") if r["task_id"] in ids}
    requests = task_requests(folder, ids)
    pairs = []
    for row in _oracle(folder, "drop_one.jsonl.gz"):
        task = row["task_id"]
        if task not in ids or task not in gold or task not in requests:
            continue
        good = gold[task]
        pairs.append(
            PreferencePair(
                id=f"{task}#drop{row['dropped_index']}",
                prompt=requests[task],
                chosen={k: good[k] for k in _TRAJECTORY_FIELDS},
                rejected={k: row[k] for k in _TRAJECTORY_FIELDS},
                category=task.split("]", 1)[0].lstrip("["),
                task_id=task,
                chosen_reward=float(good["reward"]),
                rejected_reward=float(row["reward"]),
                source=f"tau2-{split}",
            )
        )
        if limit is not None and len(pairs) >= limit:
            break
    logger.info("tau2: %d pairs from %d tasks of split %s", len(pairs), len(gold), split)
    return pairs
