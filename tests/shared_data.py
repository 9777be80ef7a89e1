"""The one way tests reach `../shared` (or `$TELERUBRIC_SHARED_DIR`): missing data fails under CI (`CI=true`)
and is reported as skipped, with the reason and the command that gets it, outside CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# What each data set is, where it lives under shared/, and the exact command that gets it (pinned commits).
GET = {
    "tau2-telecom": (
        "git clone https://github.com/sierra-research/tau2-bench /tmp/tau2-bench && git -C /tmp/tau2-bench "
        "checkout a2c024725189473d2d7cea3a5cfdbcc67478e41f && cp -r /tmp/tau2-bench/data/tau2/domains/telecom "
        "SHARED/data/tau2-telecom  (the oracle/ folder is this project's own, produced by tau2-bench's code)"
    ),
    "teleqna": (
        "git clone https://github.com/netop-team/TeleQnA /tmp/TeleQnA && git -C /tmp/TeleQnA checkout "
        "d7ee5e3a705240075ecbc87cce01f1f85db5d947 && mkdir -p SHARED/data/teleqna && cp /tmp/TeleQnA/TeleQnA.zip "
        "SHARED/data/teleqna/"
    ),
}


def shared_root() -> Path:
    return Path(os.environ.get("TELERUBRIC_SHARED_DIR") or REPO.parent / "shared")


def require(*relative: str) -> Path:
    """`shared_root()`, after checking each `data/<dataset>/…` path exists; else fail (CI) or skip (elsewhere)."""
    root = shared_root()
    missing = [r for r in relative if not (root / r).exists()]
    if missing:
        datasets = dict.fromkeys(r.split("/")[1] for r in missing if r.startswith("data/"))
        how = "; ".join(f"{d}: {GET[d].replace('SHARED', str(root))}" for d in datasets if d in GET)
        message = (
            f"shared data missing under {root}: {', '.join(missing)}. Set TELERUBRIC_SHARED_DIR to the folder "
            f"holding data/, or get it: {how}"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return root
