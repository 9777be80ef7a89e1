"""A reward backend double for adapter and server tests: scores by the response text, records every call.

Only the backend is faked; `RewardResult`s are real. Responses: text containing "good" scores 1.0, "bad" 0.0,
"fail" is a TIMEOUT error value, "slow" sleeps `slow_s`, anything else 0.5. The request "malformed" raises
`AdapterInputError` (a dataset mistake). Components: `principles` = the score, `mcq` only for requests containing
"MCQ" (not applicable otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from judge import COMPONENTS, AdapterInputError, JudgeErrorKind, PairResult, RewardResult, Stage


def fake_result(request: str, response: Any) -> RewardResult:
    text = response if isinstance(response, str) else " ".join(str(m.get("content", "")) for m in response or [])
    if "fail" in text:
        return RewardResult.failed(JudgeErrorKind.TIMEOUT, Stage.JUDGE, "the judge timed out")
    score = 1.0 if "good" in text else 0.0 if "bad" in text else 0.5
    components: dict[str, float | None] = dict.fromkeys(COMPONENTS)
    components["principles"] = score
    if "MCQ" in request:
        components["mcq"] = score
    return RewardResult(score=score, components=components, capped="capped" in text)


class FakeBackend:
    def __init__(self, *, delay_s: float = 0.0, slow_s: float = 2.0) -> None:
        self.delay_s = delay_s
        self.slow_s = slow_s
        self.groups: list[dict[str, Any]] = []
        self.singles: list[dict[str, Any]] = []
        self.compared: list[tuple[str, Any, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def _wait(self, responses: Sequence[Any]) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            slow = any(isinstance(r, str) and "slow" in r for r in responses)
            await asyncio.sleep(self.slow_s if slow else self.delay_s)
        finally:
            self.in_flight -= 1

    async def ascore_group(
        self,
        request: str,
        responses: Sequence[Any],
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> list[RewardResult]:
        if request == "malformed":
            raise AdapterInputError("labels[0]: a malformed row")
        self.groups.append(
            {
                "request": request,
                "responses": list(responses),
                "task_id": task_id,
                "reference": reference,
                "trajectory": trajectory,
            }
        )
        await self._wait(responses)
        return [fake_result(request, r) for r in responses]

    async def ascore(
        self,
        request: str,
        response: Any = None,
        *,
        trajectory: Any = None,
        task_id: str | None = None,
        reference: str | None = None,
    ) -> RewardResult:
        self.singles.append({"request": request, "response": response, "task_id": task_id, "trajectory": trajectory})
        await self._wait([response])
        return fake_result(request, response if response is not None else "trajectory")

    async def acompare(self, request: str, a: Any, b: Any, *, reference: str | None = None) -> PairResult:
        self.compared.append((request, a, b))
        winner = "a" if "good" in str(a) else "b" if "good" in str(b) else None
        return PairResult(winner=winner, consistent=winner is not None, decided_by="judge:fake", reason="fake")
