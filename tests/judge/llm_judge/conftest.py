"""A scripted judge client (the fake replaces only the transport) and a few telecom criteria, made here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judge.llm_judge import Criterion
from kb import ChatResponse, LLMClient, LLMSettings, ScriptedTransport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REQUEST = "I can't send picture messages, texts work fine."
RESPONSE = "Turn on mobile data, then open Settings > Network > APN and check the MMSC URL is set."

ScriptedClient = Callable[..., tuple[LLMClient, ScriptedTransport]]


@pytest.fixture
def scripted() -> ScriptedClient:
    """`scripted(*replies, **llm_settings)` → (client, transport)."""

    def make(*replies: ChatResponse | str | BaseException, delay_s: float = 0.0, **overrides: Any):
        transport = ScriptedTransport(*replies, delay_s=delay_s)
        fields: dict[str, Any] = {"model": "scripted", "backoff_s": 0.0, "timeout_s": 5.0, "max_retries": 0}
        return LLMClient(LLMSettings(**{**fields, **overrides}), transport, seed=7), transport

    return make


@pytest.fixture
def criteria() -> list[Criterion]:
    return [
        Criterion(id="data", text="The agent checks that mobile data is on.", importance="essential"),
        Criterion(id="apn", text="The agent asks the user to check the APN's MMSC URL.", kind="tool_call"),
        Criterion(
            id="reset",
            text="If the APN has no MMSC URL, the agent has the user reset the APN settings.",
            condition="the APN has no MMSC URL",
        ),
        Criterion(id="blame", text="The agent blames the customer's phone without any check.", importance="pitfall"),
    ]


def verdicts_json(*items: tuple[int, str]) -> str:
    """A CriterionVerdicts reply: (number, verdict) pairs."""
    return json.dumps({"verdicts": [{"number": n, "reason": f"r{n}", "verdict": v} for n, v in items]})


def answer_json(verdict: str, reason: str = "because") -> str:
    return json.dumps({"reason": reason, "verdict": verdict})


def pair_json(better: str, reason: str = "grounds") -> str:
    return json.dumps({"reason": reason, "better": better})


def injection_rows() -> list[dict[str, Any]]:
    lines = (FIXTURES / "injections.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
