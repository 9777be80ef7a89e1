"""Reward throughput and overhead against an OpenAI-compatible stub that answers after a fixed delay.

Measures, with a small KB built in code and `bench.openai_stub` in its own process (so it does not share our GIL):
- rewards/s at concurrency 1, 16, 64 with a 200 ms LLM, against the ideal concurrency / 0.2 s (one judge call per
  reward, rubric set cached; every response text is new, so the verdict cache never answers);
- the library's overhead per reward with a 0 ms LLM, next to the parts measured alone (the bare HTTP round trip to
  the stub, one `LLMClient` structured call, retrieval): the honest floor is their sum;
- LLM calls per GRPO group of 8 (goal: 1 synthesis + 8 judge calls), in process, through the verl adapter
  (8 concurrent single-sample calls) and through `telerubric serve` (8 concurrent OpenRLHF `/get_reward` posts);
- the same throughput and overhead through `telerubric serve` (a subprocess holding the KB; clients POST /score).

    python -m bench.reward [--out bench/results/reward.json] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from itertools import count
from pathlib import Path
from typing import Any

import httpx

from bench.report import write_report
from bench.reward_processes import Served, Stub
from judge import RewardModel, close_rewards, compute_score, configure_rewards
from kb import KnowledgeBase, LLMClient, QueryRecord, RubricRecord, Settings, aping, load_settings
from retrieval import Retriever

REPO = Path(__file__).resolve().parents[1]
DELAY_S = 0.2
CONCURRENCY = (1, 16, 64)
REQUESTS = [
    "I cannot send MMS picture messages from my phone.",
    "Mobile data stopped working while I am abroad.",
    "My phone shows no service since this morning.",
    "Why was I charged twice on my bill this month?",
]
_ids = count()


def settings_for(data_dir: Path, llm_url: str) -> Settings:
    return load_settings(
        data_dir=data_dir,
        llm={"base_url": llm_url, "model": "stub", "concurrency": 256, "timeout_s": 60, "max_retries": 0},
        judge={"usage_flush_every": 256},
    )


def build_kb(settings: Settings) -> None:
    with KnowledgeBase(settings) as kb:
        kb.apply(
            [
                QueryRecord(
                    id=f"q{i}",
                    text=text,
                    rubrics=[
                        RubricRecord(id=f"r{i}a", kind="principle", text=f"The agent diagnoses the cause: {text}"),
                        RubricRecord(
                            id=f"r{i}b",
                            kind="hard_rule",
                            importance="essential",
                            text="The agent never asks for the customer's password.",
                        ),
                    ],
                )
                for i, text in enumerate(REQUESTS)
            ]
        )


def _response() -> str:
    return f"Please check the APN and mobile data settings, then restart the phone (attempt {next(_ids)})."


def _failed(result: Any) -> bool:
    if isinstance(result, dict):
        return result.get("reward_error", 0.0) > 0
    return result is None or getattr(result, "error", None) is not None


async def _throughput(score: Callable[[str, str], Awaitable[Any]], concurrency: int, seconds: float) -> dict[str, Any]:
    """`concurrency` workers scoring new responses back to back for `seconds`."""
    done, errors = 0, 0
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal done, errors
        while time.perf_counter() < deadline:
            result = await score(REQUESTS[w % len(REQUESTS)], _response())
            done += 1
            errors += _failed(result)

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    ideal = concurrency / DELAY_S
    return {
        "rewards_per_s": round(done / elapsed, 1),
        "ideal_per_s": ideal,
        "of_ideal": round(done / elapsed / ideal, 3),
        "rewards": done,
        "errors": errors,
    }


async def _per_reward_ms(score: Callable[[str, str], Awaitable[Any]], n: int) -> float:
    times = []
    for i in range(n):
        started = time.perf_counter()
        await score(REQUESTS[i % len(REQUESTS)], _response())
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


async def _parts_ms(settings: Settings, model: RewardModel, n: int) -> dict[str, float]:
    """The pieces of one reward measured alone (medians, ms)."""
    body = {
        "model": "stub",
        "messages": [{"role": "user", "content": "x" * 1500}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "CriterionVerdicts",
                "schema": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}},
            },
        },
    }
    http_times, call_times, retrieve_times = [], [], []
    async with httpx.AsyncClient(base_url=settings.llm.base_url or "") as http:
        for _ in range(n):
            started = time.perf_counter()
            (await http.post("/chat/completions", json=body)).raise_for_status()
            http_times.append(time.perf_counter() - started)
    client = LLMClient.from_settings(settings)
    for _ in range(n):
        started = time.perf_counter()
        reply = await aping(client)
        call_times.append(time.perf_counter() - started)
        assert reply.ok, reply.error
    await client.aclose()
    retriever = Retriever(model.kb, settings=settings)
    for i in range(n):
        started = time.perf_counter()
        retriever.retrieve(REQUESTS[i % len(REQUESTS)])
        retrieve_times.append(time.perf_counter() - started)
    retriever.close()
    med = lambda xs: round(statistics.median(xs) * 1000, 2)  # noqa: E731
    return {
        "http_round_trip_ms": med(http_times),
        "llm_client_call_ms": med(call_times),
        "retrieve_ms": med(retrieve_times),
    }


async def _group_calls(stub: Stub, run: Callable[[str], Awaitable[Any]], label: str) -> dict[str, Any]:
    stub.reset()
    request = f"My phone cannot send MMS after the update ({label}, {next(_ids)})."
    await run(request)
    calls = stub.calls()
    return {
        "path": label,
        "synthesis_calls": calls.get("RubricDraft", 0),
        "judge_calls": calls.get("CriterionVerdicts", 0),
        "other_calls": sum(calls.values()) - calls.get("RubricDraft", 0) - calls.get("CriterionVerdicts", 0),
    }


def parts_alone(settings: Settings, seconds: float) -> list[dict]:
    """The floor: the same concurrency with only the LLM client (one structured call per "reward"), and with only raw
    HTTP posts to the stub (what the stub and the loopback can take)."""
    rows = []

    async def run() -> None:
        client = LLMClient.from_settings(settings)
        body = {"model": "stub", "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "Ping", "schema": {
                    "type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}}}}  # fmt: skip
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(base_url=settings.llm.base_url or "", limits=limits, timeout=60) as http:

            async def raw(request: str, response: str) -> bool:
                (await http.post("/chat/completions", json=body)).raise_for_status()
                return True

            async def one_call(request: str, response: str) -> bool | None:
                return True if (await aping(client)).error is None else None

            for c in CONCURRENCY[1:]:
                call = await _throughput(one_call, c, seconds)
                rows.append({"path": "floor: LLMClient call only", "concurrency": c, **call})
                rows.append(
                    {"path": "floor: raw HTTP to the stub", "concurrency": c, **await _throughput(raw, c, seconds)}
                )
        await client.aclose()

    asyncio.run(run())
    return rows


def in_process(data_dir: Path, slow: Stub, fast: Stub, seconds: float) -> tuple[list[dict], dict, list[dict]]:
    rows, groups = [], []
    with RewardModel(settings_for(data_dir, slow.url)) as model:

        async def score(request: str, response: str) -> Any:
            return await model.ascore(request, response)

        async def run() -> None:
            for request in REQUESTS:  # warm: rubric sets cached
                await model.ascore(request, _response())
            for c in CONCURRENCY:
                rows.append({"path": "in process", "concurrency": c, **await _throughput(score, c, seconds)})
            groups.append(
                await _group_calls(
                    slow, lambda r: model.ascore_group(r, [_response() for _ in range(8)]), "RewardModel.ascore_group"
                )
            )

        asyncio.run(run())

    # verl's reward loop: concurrent single-sample calls, coalesced by the adapter runtime
    configure_rewards(settings_for(data_dir, slow.url))
    try:

        async def verl_one(request: str, response: str) -> dict[str, float]:
            return await compute_score("telecom", response, json.dumps({"request": request}), {})

        async def adapter_rows() -> None:
            for c in CONCURRENCY:
                rows.append({"path": "verl compute_score", "concurrency": c, **await _throughput(verl_one, c, seconds)})

        asyncio.run(adapter_rows())

        async def verl_group(request: str) -> None:
            truth = json.dumps({"request": request})
            await asyncio.gather(*(compute_score("telecom", _response(), truth, {}) for _ in range(8)))

        groups.append(asyncio.run(_group_calls(slow, verl_group, "verl compute_score x8 (concurrent)")))
    finally:
        close_rewards()

    fast_settings = settings_for(data_dir, fast.url)
    with RewardModel(fast_settings) as model:

        async def overhead() -> dict[str, Any]:
            for request in REQUESTS:
                await model.ascore(request, _response())
            per_reward = await _per_reward_ms(lambda q, r: model.ascore(q, r), 200)
            group_times = []
            for i in range(30):
                started = time.perf_counter()
                await model.ascore_group(REQUESTS[i % len(REQUESTS)], [_response() for _ in range(8)])
                group_times.append((time.perf_counter() - started) / 8)
            parts = await _parts_ms(fast_settings, model, 100)
            in_group = round(statistics.median(group_times) * 1000, 2)
            return {"path": "in process", "per_reward_ms": per_reward, "per_reward_in_group_of_8_ms": in_group, **parts}

        overhead_row = asyncio.run(overhead())
    return rows, overhead_row, groups


def served(data_dir: Path, slow: Stub, fast: Stub, seconds: float) -> tuple[list[dict], dict, list[dict]]:
    rows, groups = [], []
    server = Served(data_dir, slow.url)
    try:

        async def run() -> None:
            limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
            async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as http:

                async def score(request: str, response: str) -> Any:
                    answer = await http.post("/score", json={"request": request, "response": response})
                    answer.raise_for_status()
                    return None if answer.json().get("error") else True

                for request in REQUESTS:
                    await score(request, _response())
                for c in CONCURRENCY:
                    rows.append(
                        {"path": "telerubric serve /score", "concurrency": c, **await _throughput(score, c, seconds)}
                    )

                async def openrlhf_group(request: str) -> None:
                    prompt = f"<|im_start|>user\n{request}<|im_end|>\n<|im_start|>assistant\n"
                    await asyncio.gather(
                        *(
                            http.post("/get_reward", json={"query": [prompt + _response()], "prompts": [prompt]})
                            for _ in range(8)
                        )
                    )

                groups.append(await _group_calls(slow, openrlhf_group, "serve /get_reward x8 (concurrent)"))

        asyncio.run(run())
    finally:
        server.close()

    server = Served(data_dir, fast.url)
    try:

        async def overhead() -> float:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

                async def score(request: str, response: str) -> Any:
                    return (await http.post("/score", json={"request": request, "response": response})).json()

                for request in REQUESTS:
                    await score(request, _response())
                return await _per_reward_ms(score, 200)

        overhead_row = {"path": "telerubric serve /score", "per_reward_ms": asyncio.run(overhead())}
    finally:
        server.close()
    return rows, overhead_row, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "reward.json")
    parser.add_argument("--seconds", type=float, default=3.0, help="Duration of each throughput run.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    slow, fast = Stub(DELAY_S), Stub(0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "kb"
            # The embedded store admits one process (and is held until that process exits): build it in a child,
            # serve it from another, then measure in this one.
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"from bench.reward import *; build_kb(settings_for(Path({str(data_dir)!r}), ''))",
                ],
                cwd=REPO,
                check=True,
            )
            serve_rows, overhead_served, serve_groups = served(data_dir, slow, fast, args.seconds)
            rows, overhead_in, groups = in_process(data_dir, slow, fast, args.seconds)
            floor_rows = parts_alone(settings_for(data_dir, slow.url), args.seconds)
    finally:
        slow.close()
        fast.close()
    rows += serve_rows + floor_rows
    groups += serve_groups
    overhead_in["library_overhead_ms"] = round(overhead_in["per_reward_ms"] - overhead_in["http_round_trip_ms"], 2)
    overhead_in["sum_of_parts_ms"] = round(overhead_in["llm_client_call_ms"] + overhead_in["retrieve_ms"], 2)
    write_report(
        "reward throughput (200 ms stub LLM)",
        rows,
        args.out,
        extra={
            "overhead": [overhead_in, overhead_served],
            "llm_calls_per_group_of_8": groups,
            "goals": {
                "of_ideal_at_64": 0.8,
                "library_overhead_ms": 5.0,
                "calls_per_group": {"synthesis": 1, "judge": 8},
            },
        },
    )
    print("\nper-reward time with a 0 ms LLM (medians)")
    for row in (overhead_in, overhead_served):
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    print("\nLLM calls per GRPO group of 8")
    for row in groups:
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
