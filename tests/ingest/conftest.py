"""Ingestion test fixtures: the shared data folder, `tau2_dir`, `teleqna_zip` and `kb` come from tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
