"""The served path's floor: a FastAPI app on uvicorn that does only what `telerubric serve /score` cannot avoid —
parse the JSON body, make one structured chat call to the LLM over pooled httpx, answer JSON. No KB, no judge.

    python -m bench.relay --port 18002 --upstream http://127.0.0.1:18001/v1
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from kb.llm.pool import HttpPool  # the pools the reward's LLM client uses

SCHEMA = {
    "type": "object",
    "properties": {"verdicts": {"type": "array", "minItems": 1, "items": {"type": "object"}}},
    "required": ["verdicts"],
}


class ScoreBody(BaseModel):
    request: str
    response: str


def create_relay_app(upstream: str) -> FastAPI:
    app = FastAPI()
    pool = HttpPool(timeout_s=60.0, connections=256)

    @app.post("/score")
    async def score(body: ScoreBody) -> dict[str, Any]:
        with pool.lease() as i:
            answer = await pool.clients[i].post(
                f"{upstream}/chat/completions",
                json={
                    "model": "stub",
                    "messages": [{"role": "user", "content": f"{body.request}\n{body.response}"}],
                    "response_format": {"type": "json_schema", "json_schema": {"name": "Verdicts", "schema": SCHEMA}},
                },
            )
        answer.raise_for_status()
        return {"score": 1.0, "reply": answer.json()["choices"][0]["message"]["content"]}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="the LLM's OpenAI-compatible base URL (…/v1)")
    args = parser.parse_args()
    uvicorn.run(
        create_relay_app(args.upstream), host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
        lifespan="off",
    )  # fmt: skip


if __name__ == "__main__":
    main()
