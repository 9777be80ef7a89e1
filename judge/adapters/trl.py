"""TRL `GRPOTrainer`: an async reward function, rows grouped by prompt (one `ascore_group` per prompt).

    from judge import make_trl_reward
    trainer = GRPOTrainer(model, reward_funcs=[make_trl_reward()], args=GRPOConfig(...), train_dataset=ds)

TRL calls it as `f(prompts=, completions=, completion_ids=, **columns, trainer_state=, log_extra=, log_metric=)`
and gathers async functions on its own loop. Prompts are text or chat messages; the request is the `request`
dataset column when there is one, else the prompt text (plain prompts) or the last user message (conversational).
`task_id` and `reference` columns are passed on. A failed reward is `None` (TRL: NaN, kept out of the group's
baseline, advantage 0). Components are logged with `log_metric` as `telerubric/<component>` (mean over the samples
it applies to) plus `telerubric/error_rate` and `telerubric/capped_rate`, and per sample with `log_extra`.
"""

from __future__ import annotations

import atexit
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from judge.adapters.runtime import AdapterRuntime, adapter_runtime
from judge.adapters.target import AdapterInputError, RewardTarget
from judge.result import COMPONENTS, RewardResult
from kb import Settings

TRLReward = Callable[..., Awaitable[list[float | None]]]
METRIC_PREFIX = "telerubric"
_TRAINER_KWARGS = ("trainer_state", "log_extra", "log_metric", "environments")


def prompt_request(prompt: str | Sequence[Mapping[str, Any]]) -> str:
    """The request in a TRL prompt: the text itself, or the last user message of a conversation."""
    if isinstance(prompt, str):
        return prompt
    for message in reversed(list(prompt)):
        if message.get("role") == "user":
            return _text(message.get("content"))
    raise AdapterInputError("a conversational prompt has no user message; add a `request` column to the dataset")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # content parts: [{"type": "text", "text": ...}, ...]
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return "" if content is None else str(content)


def _column(columns: Mapping[str, Any], name: str, row: int) -> Any:
    values = columns.get(name)
    return values[row] if isinstance(values, Sequence) and not isinstance(values, str) else values


def row_targets(prompts: Sequence[Any], columns: Mapping[str, Any]) -> list[RewardTarget]:
    """One `RewardTarget` per row from the prompt and the `request` / `task_id` / `reference` columns."""
    targets = []
    for row, prompt in enumerate(prompts):
        request = _column(columns, "request", row) or prompt_request(prompt)
        targets.append(
            RewardTarget(
                request=request,
                task_id=_column(columns, "task_id", row),
                reference=_column(columns, "reference", row),
            )
        )
    return targets


def log_components(
    results: Sequence[RewardResult],
    log_metric: Callable[[str, float], None] | None,
    log_extra: Callable[[str, list[Any]], None] | None,
) -> None:
    """Component means (over samples where a component applies) and rates as metrics; per-sample columns."""
    if log_metric is not None:
        n = len(results) or 1
        log_metric(f"{METRIC_PREFIX}/error_rate", sum(r.error is not None for r in results) / n)
        log_metric(f"{METRIC_PREFIX}/capped_rate", sum(r.capped for r in results) / n)
        for key in COMPONENTS:
            values = [v for r in results if (v := r.components.get(key)) is not None]
            if values:
                log_metric(f"{METRIC_PREFIX}/{key}", sum(values) / len(values))
    if log_extra is not None:
        log_extra(f"{METRIC_PREFIX}/error", [f"{r.error.kind}@{r.error.stage}" if r.error else "" for r in results])
        for key in COMPONENTS:
            log_extra(f"{METRIC_PREFIX}/{key}", [r.components.get(key) for r in results])


def make_trl_reward(settings: Settings | None = None, *, name: str = "telerubric") -> TRLReward:
    """An async TRL reward function named `name` (TRL logs `rewards/<name>/mean`).

    Args:
        settings: rewards from these settings (a runtime of its own); None = the process-wide runtime
            (`load_settings()`: env vars and telerubric.toml; `judge.remote_url` selects a `telerubric serve`).
    """
    own: list[AdapterRuntime] = []

    def runtime() -> AdapterRuntime:
        if settings is None:
            return adapter_runtime()
        if not own:
            own.append(AdapterRuntime(settings))
            atexit.register(close)  # flush verdict counts and release the KB even if nobody calls close()
        return own[0]

    async def reward(
        prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None, **columns: Any
    ) -> list[float | None]:
        if len(prompts) != len(completions):
            raise ValueError(f"TRL passed {len(prompts)} prompts for {len(completions)} completions")
        log_metric, log_extra = columns.get("log_metric"), columns.get("log_extra")
        data = {k: v for k, v in columns.items() if k not in _TRAINER_KWARGS}
        slots = await runtime().ascore_rows(row_targets(prompts, data), list(completions))
        results = [group[index] for group, index in slots]
        log_components(results, log_metric, log_extra)
        return [r.score for r in results]

    def close() -> None:
        """Close the runtime built from `settings` (the process-wide one closes at exit)."""
        while own:
            own.pop().close()

    reward.__name__ = reward.__qualname__ = name
    reward.close = close  # type: ignore[attr-defined]
    return reward


telerubric_reward: TRLReward = make_trl_reward()
"""The process-wide TRL reward function (`reward_funcs=["judge.adapters.trl.telerubric_reward"]` style imports)."""
