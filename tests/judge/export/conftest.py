"""Export fixtures: the pair sources and dataset records built once from ../shared (TeleQnA stays in memory)."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.export import PairSources, load_sources
from judge.export.splits import tau2_records, teleqna_records
from kb import QueryRecord


@pytest.fixture(scope="session")
def sources(teleqna_zip: Path, tau2_dir: Path) -> PairSources:
    """Both verified sources with the evaluation's split, seed 0 (the default `settings.seed`)."""
    return load_sources([f"teleqna:{teleqna_zip}", f"tau2:{tau2_dir}"], seed=0)


@pytest.fixture(scope="session")
def teleqna_recs(teleqna_zip: Path) -> dict[str, QueryRecord]:
    return teleqna_records(teleqna_zip)


@pytest.fixture(scope="session")
def tau2_recs(tau2_dir: Path) -> dict[str, QueryRecord]:
    return tau2_records(tau2_dir)
