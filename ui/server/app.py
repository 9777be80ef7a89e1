"""The reward HTTP server's routes: request parsing, limits and status codes around one reward backend.

No reward logic lives here: every route calls the backend (`RewardModel`) or an adapter core from `judge`.
Failures of a reward are values (HTTP 200 with `error` set, or group-neutral numbers for OpenRLHF); HTTP errors are
for requests the server cannot take: 400 bad JSON, 413 too large, 422 wrong fields, 504 over serve.request_timeout_s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from judge import (
    AdapterInputError,
    CompareRequest,
    GroupScorer,
    HealthResponse,
    OpenRLHFRequest,
    RewardBackend,
    RewardTarget,
    ScoreGroupRequest,
    ScoreGroupResponse,
    ScoreRequest,
    openrlhf_rewards,
)
from kb import Settings
from ui.server.limits import BodyLimit

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _package_version() -> str:
    try:
        return version("telerubric")
    except PackageNotFoundError:
        return "0+unknown"


class ServerState:
    """What one server process holds: the backend, its group scorer, counters."""

    def __init__(self, settings: Settings, backend: RewardBackend, window_s: float, quiet_s: float) -> None:
        self.settings = settings
        self.backend = backend
        self.scorer = GroupScorer(backend, window_s=window_s, quiet_s=quiet_s)
        self.started = time.monotonic()
        self.in_flight = 0
        self.served = 0

    async def guarded(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run one backend call under the per-request timeout (504 after it), counting it as in flight."""
        self.in_flight += 1
        try:
            async with asyncio.timeout(self.settings.serve.request_timeout_s):
                return await call()
        except TimeoutError:
            raise HTTPException(
                status_code=504,
                detail=f"{what} took over serve.request_timeout_s={self.settings.serve.request_timeout_s:g} s",
            ) from None
        finally:
            self.in_flight -= 1
            self.served += 1


def _json(model: BaseModel) -> Response:
    return Response(content=model.model_dump_json(), media_type="application/json")


def create_app(
    settings: Settings, backend: RewardBackend, *, window_s: float = 0.02, quiet_s: float = 0.004
) -> FastAPI:
    """The FastAPI app serving `backend` (one per process: it holds the embedded KB). The caller closes the backend.

    Args:
        window_s: the longest a single-sample request (/score, /get_reward) waits for siblings of its request.
        quiet_s: such a group closes when no sibling arrived for this long.
    """
    app = FastAPI(title="telerubric reward server", version=_package_version(), docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit, max_bytes=settings.serve.max_body_bytes)
    state = app.state.telerubric = ServerState(settings, backend, window_s, quiet_s)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            ctx = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {})
            return JSONResponse(status_code=400, content={"detail": f"body is not valid JSON: {ctx.get('error', '')}"})
        fields = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]} for e in errors
        ]
        first = fields[0]
        return JSONResponse(
            status_code=422, content={"detail": f"{first['field']}: {first['message']}", "errors": fields}
        )

    @app.exception_handler(AdapterInputError)
    async def _bad_row(request: Request, exc: AdapterInputError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.post("/score")
    async def score(body: ScoreRequest) -> Response:
        """One response (or trajectory) → the full RewardResult."""
        target = RewardTarget(
            request=body.request, task_id=body.task_id, reference=body.reference, trajectory=body.trajectory
        )

        async def run() -> Any:
            if body.judged is None:  # a trajectory alone
                return await backend.ascore(
                    body.request, None, trajectory=body.trajectory, task_id=body.task_id, reference=body.reference
                )
            results, index = await state.scorer.submit(target, body.judged)
            return results[index]

        return _json(await state.guarded("/score", run))

    @app.post("/score_group")
    async def score_group(body: ScoreGroupRequest) -> Response:
        """All rollouts of one request (one rubric set) → {"results": [RewardResult, ...]}."""

        async def run() -> list[Any]:
            return await backend.ascore_group(
                body.request, body.responses, trajectory=body.trajectory, task_id=body.task_id, reference=body.reference
            )

        return _json(ScoreGroupResponse(results=await state.guarded("/score_group", run)))

    @app.post("/get_reward")
    async def get_reward(body: OpenRLHFRequest) -> Response:
        """OpenRLHF remote reward: {"query", "prompts", "labels"} → {"rewards", "scores", "extra_logs"}."""
        return _json(await state.guarded("/get_reward", lambda: openrlhf_rewards(body, state.scorer.submit)))

    @app.post("/compare")
    async def compare(body: CompareRequest) -> Response:
        """Which of two responses is better (both orders) → PairResult."""
        acompare = getattr(backend, "acompare", None)
        if acompare is None:
            raise HTTPException(status_code=501, detail="this reward backend cannot compare two responses")
        result = await state.guarded(
            "/compare", lambda: acompare(body.request, body.a, body.b, reference=body.reference)
        )
        return _json(result) if isinstance(result, BaseModel) else JSONResponse(content=result)

    @app.get("/health")
    async def health() -> Response:
        """KB version, LLM model, uptime and load."""
        kb = getattr(backend, "kb", None)
        kb_version = await asyncio.to_thread(kb.version) if kb is not None else None
        llm = settings.llm
        return _json(
            HealthResponse(
                version=_package_version(),
                kb_version=kb_version,
                llm_model=llm.model,
                llm_endpoint=llm.base_url or "embedded",
                uptime_s=round(time.monotonic() - state.started, 3),
                in_flight=state.in_flight,
                served=state.served,
            )
        )

    return app
