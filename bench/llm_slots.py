"""Decode throughput of the embedded llama.cpp server by parallel slots: what `llm.concurrency` buys.

For each slot count the server starts with that many slots (each with the whole per-call `llm.context_size`),
answers one warm-up call, then `slots` calls at once, each forced to decode `--tokens` tokens. The table gives
the aggregate tokens per second and the seconds one call took; the floor is the single-slot row.

    python -m bench.llm_slots [--slots 1 2 4 8] [--tokens 200] [--threads 0] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx

from bench.report import write_report
from kb.llm.server import server_for
from kb.settings import load_settings

PROMPT = "Explain step by step how a phone attaches to an LTE network, naming every message ({i})."


async def _burst(url: str, model: str, calls: int, tokens: int) -> tuple[int, float]:
    """`calls` concurrent completions of exactly `tokens` tokens; (tokens decoded, seconds)."""
    async with httpx.AsyncClient(timeout=1800) as client:

        async def one(i: int) -> int:
            body = {
                "model": model,
                "messages": [{"role": "user", "content": PROMPT.format(i=i)}],
                "max_tokens": tokens,
                "temperature": 0,
                "ignore_eos": True,
            }
            reply = await client.post(f"{url}/chat/completions", json=body)
            reply.raise_for_status()
            return int(reply.json()["usage"]["completion_tokens"])

        started = time.perf_counter()
        decoded = await asyncio.gather(*(one(i) for i in range(calls)))
        return sum(decoded), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--tokens", type=int, default=200, help="tokens each call decodes")
    parser.add_argument("--threads", type=int, default=0, help="server CPU threads; 0 = all cores")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the assembled packaged model; default: the KB folder",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/llm_slots.json"))
    args = parser.parse_args()

    settings = load_settings(data_dir=args.data_dir)
    rows = []
    for slots in args.slots:
        llm = settings.llm.model_copy(update={"concurrency": slots, "threads": args.threads, "base_url": None})
        with server_for(llm, settings.data_dir) as server:
            url = server.start(llm.startup_timeout_s)
            asyncio.run(_burst(url, llm.model, 1, 16))
            decoded, seconds = asyncio.run(_burst(url, llm.model, slots, args.tokens))
        rows.append({"slots": slots, "tokens": decoded, "seconds": seconds, "tokens_per_s": decoded / seconds})
    floor = rows[0]["tokens_per_s"]
    for row in rows:
        row["vs_first_row"] = row["tokens_per_s"] / floor
    write_report("embedded server decode throughput by parallel slots", rows, args.out, {"model": settings.llm.model})


if __name__ == "__main__":
    main()
