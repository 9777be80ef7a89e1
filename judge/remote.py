"""`RemoteRewardModel`: the thin client of `telerubric serve`, with the async surface of `RewardModel`.

RL frameworks score in many worker processes, and the embedded KB admits one; workers therefore call the one
process that holds it. Same calls, same `RewardResult`s: a transport failure (server down, timeout, 5xx) is an
error value, never an exception or a made-up score; a 4xx other than 413 is a caller or version mismatch and raises.

    async with RemoteRewardModel("http://127.0.0.1:8008") as rm:
        results = await rm.ascore_group("My MMS won't send", ["Check the APN.", "Reboot."])
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel

from judge.adapters.wire import (
    CompareRequest,
    HealthResponse,
    Response,
    ScoreGroupRequest,
    ScoreGroupResponse,
    ScoreRequest,
)
from judge.result import JudgeErrorKind, RewardResult, Stage
from judge.reward_model import PairResult
from kb import TelerubricError

logger = logging.getLogger(__name__)


class RemoteRequestError(TelerubricError):
    """The server rejected the request as malformed (HTTP 4xx): a client/server version mismatch or a bug."""

    exit_code = 1


class RemoteRewardModel:
    """Client of a running `telerubric serve`.

    Args:
        url: server root, e.g. `http://127.0.0.1:8008`.
        timeout_s: per-request read timeout (a reward can take minutes on a local LLM).
        connect_timeout_s: how long to wait for a connection.
        connect_retries: retries when the server cannot be reached (refused, reset, connect timeout), with backoff.
        max_connections: connection pool size (one per request in flight).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 900.0,
        connect_timeout_s: float = 5.0,
        connect_retries: int = 3,
        backoff_s: float = 0.5,
        max_connections: int = 256,
    ) -> None:
        self.url = url.rstrip("/")
        self.connect_retries = connect_retries
        self.backoff_s = backoff_s
        self._timeout = httpx.Timeout(timeout_s, connect=connect_timeout_s)
        self._limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:  # a pool belongs to the loop that opened it
            self._http = httpx.AsyncClient(base_url=self.url, timeout=self._timeout, limits=self._limits)
            self._loop = loop
        return self._http

    # the RewardModel surface -------------------------------------------------------------------------------------
    async def ascore(
        self,
        request: str,
        response: Response | None = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult:
        body = ScoreRequest(
            request=request,
            response=response if isinstance(response, str) else None,
            messages=list(response) if response is not None and not isinstance(response, str) else None,
            trajectory=trajectory,
            task_id=task_id,
            reference=reference,
        )
        answer = await self._post("/score", body)
        return answer if isinstance(answer, RewardResult) else RewardResult.model_validate(answer)

    async def ascore_group(
        self,
        request: str,
        responses: Sequence[Response | None],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]:
        body = ScoreGroupRequest(
            request=request,
            responses=[r if isinstance(r, str) else list(r or []) for r in responses],
            trajectory=trajectory,
            task_id=task_id,
            reference=reference,
        )
        answer = await self._post("/score_group", body)
        if isinstance(answer, RewardResult):
            return [answer for _ in responses]
        results = ScoreGroupResponse.model_validate(answer).results
        if len(results) != len(responses):
            raise RemoteRequestError(f"{self.url}/score_group returned {len(results)} results for {len(responses)}")
        return results

    async def acompare(self, request: str, a: Response, b: Response, *, reference: str | None = None) -> PairResult:
        """Which of two responses is better; a transport failure is a `PairResult` with `error` set."""
        answer = await self._post("/compare", CompareRequest(request=request, a=a, b=b, reference=reference))
        if isinstance(answer, RewardResult):
            return PairResult(
                winner=None, consistent=None, decided_by="none", reason="no answer from the server", error=answer.error
            )
        return PairResult.model_validate(answer)

    async def ahealth(self) -> HealthResponse:
        response = await self._client().get("/health")
        response.raise_for_status()
        return HealthResponse.model_validate(response.json())

    # transport ---------------------------------------------------------------------------------------------------
    async def _post(self, path: str, body: BaseModel) -> dict[str, Any] | RewardResult:
        """The JSON answer, or a failed `RewardResult` when the server could not give one."""
        payload = body.model_dump(mode="json", exclude_none=True)
        where = f"{self.url}{path}"
        for attempt in range(self.connect_retries + 1):
            try:
                response = await self._client().post(path, json=payload)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if attempt >= self.connect_retries:
                    return _failed(
                        JudgeErrorKind.UNAVAILABLE,
                        f"cannot reach the reward server {where} ({type(exc).__name__}); "
                        "is `telerubric serve` running?",
                    )
                delay = self.backoff_s * 2**attempt
                logger.info("reward server %s unreachable (%s), retry %d in %.1f s", where, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
            except httpx.TimeoutException:
                return _failed(JudgeErrorKind.TIMEOUT, f"no answer from {where} in {self._timeout.read:g} s")
            except httpx.TransportError as exc:
                return _failed(JudgeErrorKind.UNAVAILABLE, f"{where}: {type(exc).__name__}: {exc}")
        status = response.status_code
        if status == 200:
            return response.json()
        detail = _detail(response)
        if status == 413:
            return _failed(JudgeErrorKind.INPUT, f"{where}: request too large ({detail})")
        if status == 504:
            return _failed(JudgeErrorKind.TIMEOUT, f"{where}: the server timed out ({detail})")
        if status == 429:
            return _failed(JudgeErrorKind.RATE_LIMITED, f"{where}: rate limited ({detail})")
        if status >= 500:
            return _failed(JudgeErrorKind.SERVER, f"{where}: HTTP {status} ({detail})")
        raise RemoteRequestError(f"{where}: HTTP {status}: {detail}")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> RemoteRewardModel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _failed(kind: JudgeErrorKind, message: str) -> RewardResult:
    # The request never reached the reward pipeline; RETRIEVE is its first stage.
    return RewardResult.failed(kind, Stage.RETRIEVE, message, notes=("remote",))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    detail = body.get("detail", body) if isinstance(body, dict) else body
    return str(detail)[:300]
