"""Reward throughput and overhead against an OpenAI-compatible stub that answers after a fixed delay.

Measures, with a small KB built in code and `bench.openai_stub` in its own process (so it does not share our GIL):
- rewards/s at concurrency 1, 16, 64 with a 200 ms LLM, against the ideal concurrency / 0.2 s (one judge call per
  reward, rubric set cached; every response text is new, so the verdict cache never answers);
- the library's overhead per reward with a 0 ms LLM (alone, and in a GRPO group of 8: wall time and this process's
  CPU), next to the parts measured alone (the bare HTTP round trip to the stub, one `LLMClient` structured call over
  each transport, retrieval);
- LLM calls per GRPO group of 8 (goal: 1 synthesis + 8 judge calls), in process, through the verl adapter
  (8 concurrent single-sample calls) and through `telerubric serve` (8 concurrent OpenRLHF `/get_reward` posts);
- the same throughput and overhead through `telerubric serve` (a subprocess holding the KB; clients POST /score),
  next to its floor: the same client posting to `bench.relay` (FastAPI parsing the body and making one LLM call);
- the floor, measured alone: the same requests sent with bare httpx (one client, as one would write it; and spread
  over 8-connection pools as `kb.llm.pool` does), and `LLMClient` calls alone over each transport.

The stub and this process share the machine's cores: every row records the 1-minute load average after it.

    python -m bench.reward [--out bench/results/reward.json] [--seconds 3] [--transport http|langchain]
    python -m bench.reward --only overhead --profile /tmp/reward.prof   # cProfile of the overhead run (+ threads)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
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
from bench.reward_processes import Profiled, Relay, Served, Stub
from judge import RewardModel, close_rewards, compute_score, configure_rewards
from kb import KnowledgeBase, LLMClient, QueryRecord, RubricRecord, Settings, aping, load_settings
from kb.llm.pool import HttpPool  # bench only: the floor with the pools the client uses
from retrieval import Retriever

REPO = Path(__file__).resolve().parents[1]
DELAY_S = 0.2
CONCURRENCY = (1, 16, 64)
TRANSPORTS = ("http", "langchain")
PARTS = ("served", "throughput", "groups", "overhead", "floor")
REQUESTS = [
    "I cannot send MMS picture messages from my phone.",
    "Mobile data stopped working while I am abroad.",
    "My phone shows no service since this morning.",
    "Why was I charged twice on my bill this month?",
]
_ids = count()


EMBEDDER_THREADS = 0  # `--embedder-threads`; 0 = the library default (all cores)


def settings_for(data_dir: Path, llm_url: str, transport: str = "http") -> Settings:
    llm = {"base_url": llm_url, "model": "stub", "concurrency": 256, "timeout_s": 60, "max_retries": 0}
    return load_settings(
        data_dir=data_dir,
        llm={**llm, "transport": transport},
        judge={"usage_flush_every": 256},
        embedder={"threads": EMBEDDER_THREADS},
    )


def load() -> float:
    """The 1-minute load average (the stub, other work and this bench share the cores)."""
    return round(os.getloadavg()[0], 2)


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
        "load": load(),
    }


async def _per_reward_ms(score: Callable[[str, str], Awaitable[Any]], n: int) -> float:
    times = []
    for i in range(n):
        started = time.perf_counter()
        await score(REQUESTS[i % len(REQUESTS)], _response())
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


PING_BODY = {
    "model": "stub",
    "messages": [{"role": "user", "content": "x" * 1500}],
    "response_format": {
        "type": "json_schema",
        "json_schema": {
            "name": "Ping",
            "schema": {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}},
        },
    },
}


def _med(xs: list[float]) -> float:
    return round(statistics.median(xs) * 1000, 2)


async def _parts_ms(settings: Settings, model: RewardModel, n: int) -> dict[str, float]:
    """The pieces of one reward measured alone (medians, ms)."""
    http_times, retrieve_times = [], []
    async with httpx.AsyncClient(base_url=settings.llm.base_url or "") as http:
        for _ in range(n):
            started = time.perf_counter()
            (await http.post("/chat/completions", json=PING_BODY)).raise_for_status()
            http_times.append(time.perf_counter() - started)
    parts = {"http_round_trip_ms": _med(http_times)}
    for transport in TRANSPORTS:
        client = LLMClient.from_settings(_with_transport(settings, transport))
        call_times, cpu = [], time.process_time()
        for _ in range(n):
            started = time.perf_counter()
            reply = await aping(client)
            call_times.append(time.perf_counter() - started)
            assert reply.ok, reply.error
        parts[f"llm_call_{transport}_ms"] = _med(call_times)
        parts[f"llm_call_{transport}_cpu_ms"] = round((time.process_time() - cpu) / n * 1000, 2)
        await client.aclose()
    retriever = Retriever(model.kb, settings=settings)
    for i in range(n):
        started = time.perf_counter()
        retriever.retrieve(REQUESTS[i % len(REQUESTS)])
        retrieve_times.append(time.perf_counter() - started)
    retriever.close()
    return {**parts, "retrieve_ms": _med(retrieve_times)}


def _with_transport(settings: Settings, transport: str) -> Settings:
    return settings.model_copy(update={"llm": settings.llm.model_copy(update={"transport": transport})})


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
    """The floor, each measured alone at the same concurrency: `LLMClient` calls only (one structured call per
    "reward", over each transport), and bare httpx posts of the same kind of request (one client, as one would
    write it; and spread over the 8-connection pools `kb.llm.pool` uses): what the stub and the loopback can take."""
    rows = []

    async def run() -> None:
        url = (settings.llm.base_url or "") + "/chat/completions"
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:

            async def raw(request: str, response: str) -> bool:
                (await http.post(url, json=PING_BODY)).raise_for_status()
                return True

            pool = HttpPool(60, 256)

            async def pooled(request: str, response: str) -> bool:
                with pool.lease() as i:
                    (await pool.clients[i].post(url, json=PING_BODY)).raise_for_status()
                return True

            for c in CONCURRENCY[1:]:
                for transport in TRANSPORTS:
                    client = LLMClient.from_settings(_with_transport(settings, transport))

                    async def one_call(request: str, response: str, client: LLMClient = client) -> bool | None:
                        return True if (await aping(client)).error is None else None

                    row = await _throughput(one_call, c, seconds)
                    rows.append({"path": f"floor: LLMClient call only [{transport}]", "concurrency": c, **row})
                    await client.aclose()
                row = await _throughput(raw, c, seconds)
                rows.append({"path": "floor: bare httpx, one client", "concurrency": c, **row})
                row = await _throughput(pooled, c, seconds)
                rows.append({"path": "floor: bare httpx, 8-connection pools", "concurrency": c, **row})
            await pool.aclose()

    asyncio.run(run())
    return rows


def throughput(data_dir: Path, slow: Stub, seconds: float, transport: str) -> list[dict]:
    """rewards/s in process (`RewardModel.ascore`, each transport) and through the verl adapter."""
    rows = []
    for t in (transport, *(x for x in TRANSPORTS if x != transport)):
        with RewardModel(settings_for(data_dir, slow.url, t)) as model:

            async def run(model: RewardModel = model, t: str = t) -> None:
                for request in REQUESTS:  # warm: rubric sets cached
                    await model.ascore(request, _response())
                for c in CONCURRENCY if t == transport else CONCURRENCY[-1:]:
                    row = await _throughput(lambda q, r: model.ascore(q, r), c, seconds)
                    rows.append({"path": f"in process [{t}]", "concurrency": c, **row})

            asyncio.run(run())

    # verl's reward loop: concurrent single-sample calls, coalesced by the adapter runtime
    configure_rewards(settings_for(data_dir, slow.url, transport))
    try:

        async def verl_one(request: str, response: str) -> dict[str, float]:
            return await compute_score("telecom", response, json.dumps({"request": request}), {})

        async def adapter_rows() -> None:
            for c in CONCURRENCY:
                rows.append({"path": "verl compute_score", "concurrency": c, **await _throughput(verl_one, c, seconds)})

        asyncio.run(adapter_rows())
    finally:
        close_rewards()
    return rows


def groups(data_dir: Path, slow: Stub, transport: str) -> list[dict]:
    """LLM calls per GRPO group of 8, in process and through the verl adapter (8 concurrent single calls)."""
    out = []
    with RewardModel(settings_for(data_dir, slow.url, transport)) as model:
        out.append(
            asyncio.run(
                _group_calls(
                    slow, lambda r: model.ascore_group(r, [_response() for _ in range(8)]), "RewardModel.ascore_group"
                )
            )
        )
    configure_rewards(settings_for(data_dir, slow.url, transport))
    try:

        async def verl_group(request: str) -> None:
            truth = json.dumps({"request": request})
            await asyncio.gather(*(compute_score("telecom", _response(), truth, {}) for _ in range(8)))

        out.append(asyncio.run(_group_calls(slow, verl_group, "verl compute_score x8 (concurrent)")))
    finally:
        close_rewards()
    return out


def overhead(data_dir: Path, fast: Stub, transport: str, profile: Path | None = None) -> dict[str, Any]:
    """Per-reward time with a 0 ms LLM: alone, and in groups of 8 (wall, and this process's CPU), per transport."""
    row: dict[str, Any] = {"path": f"in process [{transport}]"}
    for t in (transport, *(x for x in TRANSPORTS if x != transport)):
        settings = settings_for(data_dir, fast.url, t)
        with RewardModel(settings) as model:

            async def run(model: RewardModel = model, t: str = t, settings: Settings = settings) -> None:
                for request in REQUESTS:
                    await model.ascore(request, _response())
                for i in range(8):  # warm connections and parsers
                    await model.ascore_group(REQUESTS[i % len(REQUESTS)], [_response() for _ in range(8)])
                with Profiled(profile if t == transport else None):
                    group_times, cpu = [], time.process_time()
                    for i in range(40):
                        started = time.perf_counter()
                        await model.ascore_group(REQUESTS[i % len(REQUESTS)], [_response() for _ in range(8)])
                        group_times.append((time.perf_counter() - started) / 8)
                    cpu_ms = round((time.process_time() - cpu) / 320 * 1000, 2)
                row[f"per_reward_in_group_of_8_ms [{t}]"] = _med(group_times)
                row[f"cpu_per_reward_in_group_of_8_ms [{t}]"] = cpu_ms
                if t == transport:
                    row["per_reward_ms"] = await _per_reward_ms(lambda q, r: model.ascore(q, r), 200)
                    row.update(await _parts_ms(settings, model, 100))

            asyncio.run(run())
    row["library_overhead_ms"] = round(row["per_reward_ms"] - row["http_round_trip_ms"], 2)
    row["load"] = load()
    return row


def served(
    data_dir: Path, slow: Stub, fast: Stub, seconds: float, transport: str
) -> tuple[list[dict], dict, list[dict]]:
    rows, group_rows = [], []
    server = Served(data_dir, slow.url, transport, EMBEDDER_THREADS)
    try:

        async def run() -> None:
            post = _pooled_post(server.url)
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

                async def score(request: str, response: str) -> Any:
                    answer = await post("/score", {"request": request, "response": response})
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

                group_rows.append(await _group_calls(slow, openrlhf_group, "serve /get_reward x8 (concurrent)"))

        asyncio.run(run())
    finally:
        server.close()
    rows += _relay_floor(slow, seconds)

    server = Served(data_dir, fast.url, transport, EMBEDDER_THREADS)
    try:

        async def overhead_served() -> float:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

                async def score(request: str, response: str) -> Any:
                    return (await http.post("/score", json={"request": request, "response": response})).json()

                for request in REQUESTS:
                    await score(request, _response())
                return await _per_reward_ms(score, 200)

        overhead_row = {
            "path": "telerubric serve /score",
            "per_reward_ms": asyncio.run(overhead_served()),
            "load": load(),
        }
    finally:
        server.close()
    return rows, overhead_row, group_rows


def _pooled_post(base_url: str) -> Callable[[str, dict[str, Any]], Awaitable[httpx.Response]]:
    """POSTs from the bench's clients over 8-connection pools (one 64-connection httpx client would be the bottleneck
    it is for the LLM client: see `kb.llm.pool`); a trainer's many workers are many small clients too."""
    pool = HttpPool(60, 256)

    async def post(path: str, body: dict[str, Any]) -> httpx.Response:
        with pool.lease() as i:
            answer = await pool.clients[i].post(base_url + path, json=body)
        answer.raise_for_status()
        return answer

    return post


def _relay_floor(slow: Stub, seconds: float) -> list[dict]:
    """The served path's floor at the same concurrency: the same client posting to `bench.relay` (FastAPI on
    uvicorn, one LLM call per request over the client's pools, no KB and no judge)."""
    relay = Relay(slow.url)
    rows: list[dict] = []
    try:

        async def run() -> None:
            post = _pooled_post(relay.url)

            async def score(request: str, response: str) -> bool:
                await post("/score", {"request": request, "response": response})
                return True

            for c in CONCURRENCY[1:]:
                row = await _throughput(score, c, seconds)
                rows.append({"path": "floor: FastAPI relay (parse, one LLM call)", "concurrency": c, **row})

        asyncio.run(run())
    finally:
        relay.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "reward.json")
    parser.add_argument("--seconds", type=float, default=3.0, help="Duration of each throughput run.")
    parser.add_argument("--transport", choices=TRANSPORTS, default="http", help="llm.transport of the main rows.")
    parser.add_argument("--only", choices=PARTS, nargs="+", default=list(PARTS), help="Parts to run (default: all).")
    parser.add_argument("--profile", type=Path, help="Write a cProfile of the overhead run's groups here.")
    parser.add_argument("--embedder-threads", type=int, default=0, help="embedder.threads (0: the default).")
    args = parser.parse_args()
    global EMBEDDER_THREADS
    EMBEDDER_THREADS = args.embedder_threads
    logging.basicConfig(level=logging.WARNING)
    rows: list[dict] = []
    overheads: list[dict] = []
    group_rows: list[dict] = []
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
            if "served" in args.only:
                serve_rows, overhead_served, serve_groups = served(data_dir, slow, fast, args.seconds, args.transport)
                rows += serve_rows
                overheads.append(overhead_served)
                group_rows += serve_groups
            if "throughput" in args.only:
                rows = throughput(data_dir, slow, args.seconds, args.transport) + rows
            if "groups" in args.only:
                group_rows = groups(data_dir, slow, args.transport) + group_rows
            if "overhead" in args.only:
                overheads.insert(0, overhead(data_dir, fast, args.transport, args.profile))
            if "floor" in args.only:
                rows += parts_alone(settings_for(data_dir, slow.url), args.seconds)
    finally:
        slow.close()
        fast.close()
    write_report(
        "reward throughput (200 ms stub LLM)",
        rows,
        args.out,
        extra={
            "transport": args.transport,
            "embedder_threads": args.embedder_threads,
            "overhead": overheads,
            "llm_calls_per_group_of_8": group_rows,
            "goals": {
                "of_ideal_at_64": 0.8,
                "library_overhead_ms": 5.0,
                "calls_per_group": {"synthesis": 1, "judge": 8},
            },
        },
    )
    print("\nper-reward time with a 0 ms LLM (medians, ms; load = 1-minute load average)")
    for row in overheads:
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    print("\nLLM calls per GRPO group of 8")
    for row in group_rows:
        print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
