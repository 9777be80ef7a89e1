"""One BT checkpoint trained once per session on a handful of hand-made telecom pairs (a few steps, one CPU thread),
shared by the scorer, evaluation and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge import BTCard, BTTrainConfig, PreferencePair, train_bt

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

ROWS = [
    (
        "My phone shows no mobile data while I am abroad.",
        "Turn on data roaming in the phone settings, then restart mobile data.",
        "Buy a new phone, this one is broken.",
    ),
    (
        "Picture messages (MMS) fail to send from my phone.",
        "Check that mobile data is on and that the APN has an MMSC URL, then send the MMS again.",
        "MMS cannot be fixed, use email instead.",
    ),
    (
        "What does APN stand for?",
        "Access Point Name: the gateway settings your phone uses to reach mobile data.",
        "Automatic Phone Number.",
    ),
    (
        "My SIM card says it is PIN locked.",
        "Enter the PUK code printed on the SIM card holder, then choose a new PIN.",
        "Throw the SIM card away.",
    ),
    (
        "Internet on my phone is very slow.",
        "Check the signal bars, turn off data saver mode, and move closer to a window.",
        "Slow internet is normal, nothing can be done.",
    ),
    (
        "I cannot make calls since this morning.",
        "Check that airplane mode is off and that the line is not suspended for an unpaid bill.",
        "Calls are not part of a mobile plan.",
    ),
]


def telecom_pairs() -> list[PreferencePair]:
    return [
        PreferencePair(id=f"t{i}", prompt=q, chosen=c, rejected=r, category="support" if i % 2 else "faq")
        for i, (q, c, r) in enumerate(ROWS)
    ]


TINY = BTTrainConfig(max_steps=8, batch_size=6, learning_rate=2e-4, max_length=64, threads=1, eval_pairs=6, seed=3)


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BTCard]:
    """(checkpoint folder, card): 8 steps over the six pairs, the pairs also scored as 'held out'."""
    out = tmp_path_factory.mktemp("bt") / "model"
    pairs = telecom_pairs()
    card = train_bt(pairs, out, TINY, data="tests:hand-made", split="all", held_out=pairs)
    return out, card
