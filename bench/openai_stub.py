"""A tiny OpenAI-compatible chat server for benches and tests: answers `/v1/chat/completions` after a fixed delay
with a minimal valid instance of whatever `response_format.json_schema` it was sent, and counts calls per schema.

    python -m bench.openai_stub --port 18001 --delay-ms 200     # GET /stats → {"calls": {"RubricDraft": 1, ...}}

In process: `with StubServer(delay_s=0.2) as stub: stub.url` (→ http://127.0.0.1:PORT/v1); `stub.fail_next(...)`
queues faults for the next calls (an HTTP status with headers and body, a reply cut at max tokens, a malformed body,
a slow answer) and `stub.bodies` keeps the request bodies, so transport tests can check what was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

SENTENCE = "The agent checks the customer's line settings and explains the fix"


def instance(schema: dict[str, Any], root: dict[str, Any], index: int = 0) -> Any:
    """A minimal value valid for `schema`: required fields only, the fewest array items, the lowest numbers.

    Integers inside the n-th array item start at their minimum + n, so numbered lists come out 1, 2, 3 …
    """
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        return instance(root.get("$defs", {}).get(name) or root.get("definitions", {})[name], root, index)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = schema[key]
            if any(o.get("type") == "null" for o in options):
                return None
            return instance(options[0], root, index)
    if "allOf" in schema:
        return instance(schema["allOf"][0], root, index)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: instance(props[name], root, index) for name in schema.get("required", [])}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [instance(schema.get("items", {}), root, i) for i in range(count)]
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10_000)
        text = f"{SENTENCE} ({index + 1})."
        text = (text + " ok" * max(0, (low - len(text) + 2) // 3))[:high]
        return text
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1 if "exclusiveMinimum" in schema else 0)
        value = low + index
        return min(value, schema["maximum"]) if "maximum" in schema else value
    if kind == "number":
        return schema.get("minimum", 0.0)
    if kind == "boolean":
        return True
    return None


@dataclass(frozen=True)
class Fault:
    """What the stub does instead of a normal answer to one call.

    `status` ≥ 400 answers with that status, `headers` and `body` (JSON when a dict); `content` replaces the
    reply's content, with `finish_reason`; `raw` is sent as the whole 200 body (not JSON); `delay_s` adds a wait.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | str | None = None
    content: str | None = None
    finish_reason: str = "stop"
    raw: str | None = None
    delay_s: float = 0.0


def create_stub_app(delay_s: float = 0.2) -> FastAPI:
    """The stub app; `app.state.calls` counts calls per schema name, `app.state.faults` is a queue of `Fault`s
    for the next calls, `app.state.bodies` the request bodies seen (the last 100)."""
    app = FastAPI()
    calls: Counter[str] = Counter()
    app.state.calls = calls
    app.state.delay_s = delay_s
    app.state.faults = []
    app.state.bodies = []
    instances: dict[str, str] = {}  # reply content per schema, built once (the stub's own CPU is part of the bench)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "stub", "object": "model"}]}

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        return {"calls": dict(calls), "total": sum(calls.values())}

    @app.post("/stats/reset")
    async def reset() -> dict[str, Any]:
        calls.clear()
        return {"ok": True}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        raw_body = await request.body()
        body = json.loads(raw_body)
        app.state.bodies = [*app.state.bodies[-99:], body]
        spec = (body.get("response_format") or {}).get("json_schema") or {}
        schema, name = spec.get("schema") or {}, spec.get("name") or "none"
        calls[name] += 1
        fault: Fault = app.state.faults.pop(0) if app.state.faults else Fault()
        if app.state.delay_s or fault.delay_s:
            await asyncio.sleep(app.state.delay_s + fault.delay_s)
        if fault.status >= 400:
            error = fault.body if fault.body is not None else {"error": {"message": f"stub fault {fault.status}"}}
            if isinstance(error, dict):
                return JSONResponse(error, status_code=fault.status, headers=fault.headers)
            return Response(error, status_code=fault.status, headers=fault.headers)
        if fault.raw is not None:
            return Response(fault.raw, media_type="application/json")
        content = fault.content
        if content is None:
            blob = json.dumps(schema, sort_keys=True)
            content = instances.get(blob)
            if content is None:
                content = instances[blob] = json.dumps(instance(schema, schema)) if schema else "{}"
        return JSONResponse(
            {
                "id": f"stub-{sum(calls.values())}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": fault.finish_reason,
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
            }
        )

    return app


class StubServer:
    """The stub on a background thread on 127.0.0.1 (port 0 = a free one); a context manager."""

    def __init__(self, delay_s: float = 0.2, port: int = 0) -> None:
        self.app = create_stub_app(delay_s)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="openai-stub", daemon=True)
        self.port = port

    @property
    def url(self) -> str:
        """OpenAI base URL (…/v1)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def calls(self) -> Counter[str]:
        return self.app.state.calls

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """Request bodies received, oldest first (the last 100)."""
        return self.app.state.bodies

    def set_delay(self, delay_s: float) -> None:
        self.app.state.delay_s = delay_s

    def fail_next(self, *faults: Fault) -> None:
        """Answer the next calls with `faults`, in order (then normally again)."""
        self.app.state.faults.extend(faults)

    def __enter__(self) -> StubServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the OpenAI stub did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18001)
    parser.add_argument("--delay-ms", type=float, default=200.0)
    args = parser.parse_args()
    uvicorn.run(
        create_stub_app(args.delay_ms / 1000),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
