"""Pair readers (every format, located errors) and the builders from the shipped data (no TeleQnA text kept)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judge.pairs import (
    Difficulty,
    PreferencePair,
    load_mcq_items,
    mcq_pairs,
    open_pairs,
    read_pairs,
    split_by_category,
    tau2_pairs,
    write_pairs,
)
from kb import InputRejected


def _jsonl(tmp_path: Path, rows: list[object], name: str = "pairs.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_every_format_is_read(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        [
            {"prompt": "Why no MMS?", "chosen": "Check the APN.", "rejected": "Buy a new phone.", "strength": 0.9},
            {"question": "q", "response_A": "a", "response_B": "b", "label": "B>A", "pair_id": "jb1"},
            {"prompt": "p", "chosen": ["c0", "c1", "c2"], "rejected": ["r0", "r1", "r2"], "id": "rm1"},
            {"prompt": "p2", "chosen": ["best"], "rejected": ["w1", "w2", "w3"], "id": "rb1", "subset": "factuality"},
            {"prompt": "p3", "response_1": "one", "response_2": "two", "winner": "model_b", "id": "ppe1"},
            {"prompt": "p4", "response_1": "one", "response_2": "two", "winner": "tie", "id": "ppe2"},
        ],
    )
    pairs = read_pairs(path)
    by_id = {p.id: p for p in pairs}
    assert by_id["jb1"].chosen == "b" and by_id["jb1"].rejected == "a"
    assert [by_id[f"rm1:{c}"].difficulty for c in ("02", "11", "20")] == [
        Difficulty.HARD,
        Difficulty.NORMAL,
        Difficulty.EASY,
    ]
    assert {p.rejected for p in pairs if p.group == "rb1"} == {"w1", "w2", "w3"}
    assert by_id["ppe1"].chosen == "two" and "ppe2" not in by_id  # a tie states no preference
    assert len(pairs) == 1 + 1 + 3 + 3 + 1


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path,
        [
            {"prompt": "ok", "chosen": "a", "rejected": "b", "id": "x"},
            "{not json",
            {"question": "q", "response_A": "a", "response_B": "b", "label": "A=B"},
            {"prompt": "p", "chosen": "a", "rejected": "b", "strength": 3},
            {"prompt": "ok", "chosen": "a", "rejected": "b", "id": "x"},
            {"foo": 1},
        ],
    )
    with pytest.raises(InputRejected) as caught:
        read_pairs(path)
    shown = [str(p) for p in caught.value.problems]
    assert shown[0].startswith(f"{path}:2: invalid JSON")
    assert shown[1] == f"{path}:3: label: expected 'A>B' or 'B>A', got 'A=B'"
    assert shown[2].startswith(f"{path}:4: strength:")
    assert shown[3].startswith(f"{path}:5: id: duplicate pair id 'x' (first on line 1)")
    assert shown[4].startswith(f"{path}:6: unknown pair format")


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    pairs = [
        PreferencePair(
            id="t1", prompt="p", chosen={"calls": []}, rejected="r", task_id="t", chosen_reward=1.0, rejected_reward=0.0
        )
    ]
    assert write_pairs(pairs, tmp_path / "p.jsonl.gz") == 1
    assert read_pairs(tmp_path / "p.jsonl.gz") == pairs


def test_tau2_pairs_of_the_test_split(tau2_dir: Path) -> None:
    pairs = tau2_pairs(tau2_dir, split="test")
    splits = json.loads((tau2_dir / "split_tasks.json").read_text())
    assert len(pairs) == 162 and {p.task_id for p in pairs} <= set(splits["test"])
    assert sum(p.decisive for p in pairs) == 160  # two drop-one rows keep reward 1 upstream
    assert all(isinstance(p.chosen, dict) and p.chosen_reward == 1.0 for p in pairs)


def test_teleqna_pairs_are_seeded_and_held_out_by_category(teleqna_zip: Path) -> None:
    items = load_mcq_items(teleqna_zip, sample=300, seed=1)
    first, again = mcq_pairs(items, seed=4), mcq_pairs(items, seed=4)
    assert first == again and len(first) == len(items)
    assert all(p.chosen != p.rejected and p.category for p in first)
    # no surface cue: both sides are the same sentence around their own option (only the right option had an
    # explanation in TeleQnA, which told a judge or a trained reward model the label without any telecom knowledge)
    for item, pair in zip(items, first, strict=True):
        wrong = int(pair.rejected.split("option ", 1)[1].split(":", 1)[0])
        right_text, wrong_text = item.options[item.answer - 1], item.options[wrong - 1]
        chosen = pair.chosen.replace(right_text, "X").replace(f"option {item.answer}:", "option N:")
        assert chosen == pair.rejected.replace(wrong_text, "X").replace(f"option {wrong}:", "option N:"), pair.id
    opened = open_pairs(items, seed=4)
    assert opened and all(p.reference and "option" not in p.prompt.lower()[-40:] for p in opened)
    split = split_by_category(first, fraction=0.3, seed=2)
    assert split.held_out and split.train
    assert not {p.category for p in split.held_out} & {p.category for p in split.train}


def test_an_llm_judge_reads_the_calls_of_a_tau2_pair(tau2_dir: Path) -> None:
    """Oracle trajectories hold calls, not messages: the judge's text names every call (it was empty before)."""
    from judge.inputs import judged_input

    pair = next(p for p in tau2_pairs(tau2_dir, split="test") if p.decisive)
    for side in (pair.chosen, pair.rejected):
        text = judged_input(None, trajectory=side, task_id=pair.task_id).text
        assert all(call["name"] in text for call in side["calls"])
    chosen = judged_input(None, trajectory=pair.chosen, task_id=pair.task_id).text
    rejected = judged_input(None, trajectory=pair.rejected, task_id=pair.task_id).text
    assert chosen and chosen != rejected


def test_pair_builders_read_the_open_telco_layout() -> None:
    """GSMA Open-Telco rows (`question, choices, answer, subject`) give the same pairs as the upstream zip would."""
    fixture = Path(__file__).resolve().parents[2] / "ingest" / "fixtures" / "open_telco_sample.jsonl"
    items = load_mcq_items(fixture)
    rows = [json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(rows) and all(item.category for item in items)
    first = mcq_pairs(items, seed=0)
    assert [p.prompt.split("\noption 1:", 1)[0] for p in first] == [row["question"] for row in rows]
    for item, pair in zip(items, first, strict=True):
        assert pair.chosen.startswith(f"The answer is option {item.answer}: {item.options[item.answer - 1]}.")
    assert open_pairs(items, seed=0)  # the open-question builder too
