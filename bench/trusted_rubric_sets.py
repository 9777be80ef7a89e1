"""Rubric sets a reward can trust, checked on 20 customer complaints written here (none from the data sets):
no set carries an identifier the complaint does not contain, and the conditional fix steps name their condition.

Runs against an existing KB (e.g. the demo's, with τ² and the policy pack ingested) and the configured LLM:

    python -m bench.trusted_rubric_sets --data-dir .demo-kb [--out bench/results/trusted_rubric_sets.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from pathlib import Path

from bench.report import write_report
from judge.verifiers.tau2.agent_tools import AGENT_TOOL_TYPES
from judge.verifiers.tau2.user_tools import USER_TOOL_TYPES, WRITE
from kb import KnowledgeBase, LLMClient, load_settings
from retrieval import Retriever, abuild_rubric_set
from retrieval.identifiers import foreign_identifiers

REPO = Path(__file__).resolve().parents[1]
COMPLAINTS = [
    "My picture messages fail to send since I changed phones, texts work fine.",
    "Since yesterday my phone shows 'No Service' at home and at work.",
    "Mobile data is on but nothing loads on my phone, even simple pages.",
    "I'm in Spain for a week and my data doesn't work at all.",
    "Internet on my phone is painfully slow, a speed test shows under 1 Mbps.",
    "I can call and text but group MMS with photos never arrives.",
    "My phone number 555-201-3344 stopped working after I paid my bill late.",
    "My line got suspended and I don't understand why; I need it back today.",
    "I used all my data for the month and need more right away.",
    "After installing a VPN app my mobile internet became really slow.",
    "My new SIM card isn't recognised, the phone says no SIM.",
    "Wi-Fi calling is on and now my picture messages won't go out.",
    "Airplane mode seems stuck; I get no signal bars at all.",
    "The messaging app says it lacks permission and won't send MMS.",
    "Data saver is on and my maps app barely works when I'm driving.",
    "I was charged twice this month on bill B7788, can you check?",
    "My phone only connects to 2G and everything is slow.",
    "Customer C4242 says roaming was enabled but she still has no data abroad.",
    "Since the update my APN settings look different and MMS fails.",
    "I rebooted my phone twice and I still have no mobile data.",
]


async def run(data_dir: Path) -> list[dict[str, object]]:
    settings = load_settings(data_dir=data_dir, retrieval={"record_usage": False})
    rows: list[dict[str, object]] = []
    with KnowledgeBase(settings) as kb, Retriever(kb, record_usage=False) as retriever:
        client = LLMClient.from_settings(settings)
        try:
            for complaint in COMPLAINTS:
                started = time.perf_counter()
                neighbours = await asyncio.to_thread(retriever.retrieve, complaint)
                rs = await abuild_rubric_set(kb, client, complaint, neighbours=neighbours, record_usage=False)
                texts = [i.text for i in rs.items] + [i.condition or "" for i in rs.items]
                foreign = sorted({x for t in texts for x in foreign_identifiers(t, complaint)})
                checks = [i.check.model_dump_json() for i in rs.items if i.check is not None]
                foreign_in_checks = sorted({x for c in checks for x in foreign_identifiers(c, complaint)})
                fix_steps = [i for i in rs.items if i.kind == "tool_call"]
                writes = [i for i in fix_steps if _is_write(i.check)]
                rows.append(
                    {
                        "complaint": complaint,
                        "items": len(rs.items),
                        "conditional": sum(i.condition is not None for i in rs.items),
                        "tool_call_items": len(fix_steps),
                        "unconditional_tool_calls": sum(i.condition is None for i in fix_steps),
                        "write_calls": len(writes),  # checked fix steps (a tool that changes the phone or account)
                        "unconditional_write_calls": sum(i.condition is None for i in writes),
                        "foreign_ids": ", ".join(foreign + foreign_in_checks) or "-",
                        "fallback": rs.fallback,
                        "seconds": round(time.perf_counter() - started, 1),
                        "set": [
                            {"kind": i.kind, "importance": i.importance, "text": i.text, "condition": i.condition}
                            for i in rs.items
                        ],
                    }
                )
                logging.info("%s: %d items, foreign ids: %s", complaint[:50], len(rs.items), rows[-1]["foreign_ids"])
        finally:
            await client.aclose()
    return rows


def _is_write(check: object) -> bool:
    """A tool-call check on a tool that changes the phone or the account (a fix step, not a diagnostic read)."""
    name = getattr(check, "name", None)
    return WRITE in (USER_TOOL_TYPES.get(name or ""), AGENT_TOOL_TYPES.get(name or ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / ".demo-kb")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "trusted_rubric_sets.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    rows = asyncio.run(run(args.data_dir))
    table = [{k: v for k, v in r.items() if k != "set"} for r in rows]
    write_report(
        "rubric sets for 20 complaints: foreign identifiers and conditions",
        table,
        args.out,
        extra={"sets": [{"complaint": r["complaint"], "set": r["set"]} for r in rows]},
    )
    bad = [r["complaint"] for r in rows if r["foreign_ids"] != "-"]
    unconditional = sum(int(r["unconditional_write_calls"]) for r in rows)  # type: ignore[call-overload]
    summary = {"complaints": len(rows), "with_foreign_ids": len(bad), "unconditional_write_calls": unconditional}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
