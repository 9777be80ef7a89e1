"""The BT backend's RewardResult contract: score σ(logit) in [0, 1], every component key present (None), the logit in
the notes; errors are values (unreadable checkpoint, empty request, nothing to judge); forward passes are batched."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from judge import (
    COMPONENTS,
    BTCard,
    BTRewardModel,
    JudgeErrorKind,
    RewardModel,
    RewardResult,
    ScoreItem,
    Stage,
    logit_of,
)
from judge.bt import sigmoid
from kb import ModelFileError, load_settings
from tests.judge.bt.conftest import ROWS, telecom_pairs

QUESTION, GOOD, BAD = ROWS[0]


def _is_score(result: RewardResult) -> float:
    assert result.error is None and result.score is not None
    assert 0.0 <= result.score <= 1.0
    assert set(result.components) == set(COMPONENTS) and all(v is None for v in result.components.values())
    logit = logit_of(result)
    assert logit is not None and result.score == pytest.approx(sigmoid(logit), abs=1e-6)
    return logit


def test_a_score_is_sigmoid_of_the_logit_with_every_component(trained: tuple[Path, BTCard]) -> None:
    with BTRewardModel(trained[0]) as model:
        good, bad = model.score(QUESTION, GOOD), model.score(QUESTION, BAD)
    assert _is_score(good) > _is_score(bad)
    assert good.latency_s > 0 and any(n.startswith("bt:model=") for n in good.notes)


def test_a_group_is_one_batch_and_matches_single_scores(trained: tuple[Path, BTCard]) -> None:
    model = BTRewardModel(trained[0], batch_size=8)
    calls: list[int] = []
    forward = model._forward
    model._forward = lambda seqs: calls.append(len(seqs)) or forward(seqs)  # type: ignore[method-assign]

    async def run() -> tuple[list[RewardResult], list[RewardResult]]:
        group = await model.ascore_group(QUESTION, [GOOD, BAD, GOOD])
        alone = await asyncio.gather(*(model.ascore(QUESTION, r) for r in (GOOD, BAD, GOOD)))
        await model.aclose()
        return group, list(alone)

    group, alone = asyncio.run(run())
    assert calls == [3, 3]  # one forward pass for the group, one for the three concurrent calls
    for g, a in zip(group, alone, strict=True):
        assert logit_of(g) == pytest.approx(logit_of(a), abs=1e-5)
    assert logit_of(group[0]) == pytest.approx(logit_of(group[2]), abs=1e-6)


def test_batches_and_compare(trained: tuple[Path, BTCard]) -> None:
    with BTRewardModel(trained[0]) as model:
        results = model.score_batch([ScoreItem(request=q, response=c, reference="ref") for q, c, _ in ROWS[:3]])
        pair = model.compare(QUESTION, BAD, GOOD)
    assert len(results) == 3 and all(_is_score(r) is not None for r in results)
    assert any("reference" in n for n in results[0].notes)  # said, not silently dropped
    assert pair.winner == "b" and pair.error is None and pair.decided_by == "bt:model" and pair.consistent is None


def test_chat_messages_and_trajectories_are_scored(trained: tuple[Path, BTCard]) -> None:
    messages = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": GOOD}]
    trajectory = {"calls": [{"requestor": "user", "name": "toggle_roaming", "arguments": {}, "content": "ON"}]}
    with BTRewardModel(trained[0]) as model:
        _is_score(model.score(QUESTION, messages))
        _is_score(model.score(QUESTION, trajectory=trajectory))
        _is_score(model.score(QUESTION, trajectory))  # what preference pairs carry as a response


def test_bad_input_is_an_error_value(trained: tuple[Path, BTCard]) -> None:
    with BTRewardModel(trained[0]) as model:
        empty = model.score("   ", GOOD)
        nothing = model.score(QUESTION, None)
        broken = model.score(QUESTION, {"no": "calls"})
    for result in (empty, nothing, broken):
        assert result.score is None and result.error is not None and result.error.kind is JudgeErrorKind.INPUT
        assert set(result.components) == set(COMPONENTS)
    assert "nothing to judge" in nothing.error.message


@pytest.mark.parametrize("make", ["missing", "garbage", "bad-card"])
def test_an_unreadable_checkpoint_is_an_error_value(tmp_path: Path, make: str) -> None:
    folder = tmp_path / "ckpt"
    if make != "missing":
        folder.mkdir()
        (folder / "config.json").write_text("{not json")
        (folder / "model.safetensors").write_bytes(b"\0" * 64)
    if make == "bad-card":
        (folder / "card.json").write_text('{"format": 1}')
    with BTRewardModel(folder) as model:
        results = model.score_group(QUESTION, [GOOD, BAD])
        pair = model.compare(QUESTION, GOOD, BAD)
    for result in results:
        assert result.score is None and result.error is not None
        assert result.error.kind is JudgeErrorKind.CONFIG and result.error.stage is Stage.JUDGE
        assert str(folder) in result.error.message and "telerubric baseline train" in result.error.message
    assert pair.winner is None and pair.error is not None and pair.error.kind is JudgeErrorKind.CONFIG
    with pytest.raises(ModelFileError):
        BTRewardModel(folder).load()


def test_settings_select_the_backend(tmp_path: Path, trained: tuple[Path, BTCard]) -> None:
    cfg = load_settings(data_dir=tmp_path, judge={"backend": "bt", "bt_model": str(trained[0])})
    assert cfg.judge.backend == "bt" and BTRewardModel.from_settings(cfg).path == trained[0]
    with pytest.raises(ModelFileError, match="judge.bt_model"):
        BTRewardModel.from_settings(load_settings(data_dir=tmp_path, judge={"backend": "bt"}))
    assert load_settings(data_dir=tmp_path).judge.backend == "rubric"


def test_reward_model_with_the_bt_backend_is_the_bt_scorer(tmp_path: Path, trained: tuple[Path, BTCard]) -> None:
    """`RewardModel(settings)` is what adapters, the server and the CLI build: the setting alone switches them."""
    cfg = load_settings(data_dir=tmp_path, judge={"backend": "bt", "bt_model": str(trained[0])})
    with RewardModel(cfg) as model:
        assert isinstance(model, BTRewardModel)
        pair = telecom_pairs()[1]
        good, bad = model.score(pair.prompt, pair.chosen), model.score(pair.prompt, pair.rejected)
        assert good.error is None and good.score is not None and bad.score is not None and good.score > bad.score
    assert not (tmp_path / "milvus.db").exists()  # no knowledge base was opened


def test_sigmoid_never_overflows() -> None:
    assert sigmoid(0.0) == 0.5 and sigmoid(1000.0) == 1.0 and sigmoid(-1000.0) == 0.0
    assert sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
