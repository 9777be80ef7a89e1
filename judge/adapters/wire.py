"""The JSON bodies of `telerubric serve`, shared by the server (ui/server) and the thin client (judge/remote.py).

POST /score        ScoreRequest        → RewardResult
POST /score_group  ScoreGroupRequest   → ScoreGroupResponse
POST /compare      CompareRequest      → the pairwise result (RewardModel.acompare)
POST /get_reward   OpenRLHFRequest     → OpenRLHFResponse   (OpenRLHF `--reward.remote_url`)
GET  /health                           → HealthResponse
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from judge.result import RewardResult

Message = dict[str, Any]  # one OpenAI chat message: {"role": ..., "content": ..., "tool_calls": [...]}
Response = str | list[Message]
MAX_GROUP = 256


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreRequest(_Body):
    """One response (text, or chat messages with tool calls) or τ² trajectory to one request."""

    request: str = Field(min_length=1, description="The customer's request.")
    response: str | None = Field(None, description="The response as text.")
    messages: list[Message] | None = Field(None, description="The response as OpenAI chat messages (tool calls).")
    trajectory: dict[str, Any] | None = Field(None, description="A τ²-bench trajectory to replay.")
    task_id: str | None = Field(None, description="τ² task id (or a KB query's dataset id).")
    reference: str | None = Field(None, description="Expected answer or explanation, shown to the judge.")

    @model_validator(mode="after")
    def _one_response(self) -> Self:
        if self.response is not None and self.messages is not None:
            raise ValueError("give either response (text) or messages (chat), not both")
        if self.response is None and self.messages is None and self.trajectory is None:
            raise ValueError("give response, messages or trajectory")
        return self

    @property
    def judged(self) -> Response | None:
        return self.messages if self.messages is not None else self.response


class ScoreGroupRequest(_Body):
    """All rollouts of one request (a GRPO group): the rubric set is built once."""

    request: str = Field(min_length=1)
    responses: list[Response] = Field(min_length=1, max_length=MAX_GROUP, description="Texts or message lists.")
    trajectory: dict[str, Any] | None = None
    task_id: str | None = None
    reference: str | None = None


class ScoreGroupResponse(BaseModel):
    results: list[RewardResult]


class CompareRequest(_Body):
    """Which of two responses to one request is better (judged in both orders)."""

    request: str = Field(min_length=1)
    a: Response
    b: Response
    reference: str | None = None


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward body: `query` = prompt + response decoded with special tokens."""

    model_config = ConfigDict(extra="allow", frozen=True)

    query: list[str] = Field(min_length=1, max_length=MAX_GROUP)
    prompts: list[str] | None = Field(None, description="The prompts as given to the policy (chat template applied).")
    labels: list[Any] | None = Field(None, description="The `--label_key` column: a RewardTarget dict or JSON text.")

    @model_validator(mode="after")
    def _same_lengths(self) -> Self:
        for name in ("prompts", "labels"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.query):
                raise ValueError(f"{name} has {len(values)} items for {len(self.query)} queries")
        return self


class OpenRLHFResponse(BaseModel):
    """`rewards` (advantages), `scores` (dynamic filtering) and `extra_logs` (one list per key, logged by OpenRLHF)."""

    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]]


class HealthResponse(BaseModel):
    status: str = "ok"
    version: str = Field(description="telerubric version.")
    kb_version: int | None = Field(None, description="Knowledge base version (None when no KB is open).")
    llm_model: str | None = Field(None, description="Model name the judge and generator call.")
    llm_endpoint: str | None = Field(None, description="llm.base_url, or 'embedded' for the local llama.cpp server.")
    uptime_s: float
    in_flight: int = Field(description="Requests being served now.")
    served: int = Field(description="Requests answered since start.")
