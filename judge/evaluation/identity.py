"""What else makes two evaluation runs' outcomes interchangeable: the prompt versions a condition's judging goes
through and the settings that shape a judged outcome. A checkpoint records both, so a changed prompt or threshold
never mixes its outcomes with an earlier run's (operational settings — timeouts, threads, caches — do not count)."""

from __future__ import annotations

from typing import Any

from judge.evaluation.report import EvalMode, RubricSource
from judge.llm_judge.pairwise import pairwise_prompt
from judge.llm_judge.pointwise import criterion_prompt, pointwise_prompt
from kb import Settings, load_prompt
from retrieval import SYNTHESIS_PROMPT

# Settings sections whose values decide a judged outcome, minus the keys that only decide how fast or where.
_SECTIONS = ("embedder", "llm", "retrieval", "pruning", "synthesis", "judge")
_OPERATIONAL = {
    "embedder": {"batch_size", "threads", "base_url", "api_key"},
    "llm": {
        "base_url",
        "api_key",
        "gguf_path",
        "threads",
        "timeout_s",
        "max_retries",
        "concurrency",
        "packaged_model",
        "port",
        "startup_timeout_s",
        "backoff_s",
        "transport",
        "model",
    },  # fmt: skip
    "retrieval": {"record_usage", "usage_flush_every", "exact_max_rows"},
    "synthesis": {"cache"},
    "judge": {"verdict_cache", "record_usage", "usage_flush_every", "remote_url", "timeout_s", "rubric_set_ttl_s"},
}


def prompt_refs(settings: Settings, mode: EvalMode, rubrics: RubricSource) -> list[str]:
    """`name@version` of every prompt this run's judging uses (none for the Bradley-Terry backend)."""
    if settings.judge.backend == "bt":
        return []
    refs = []
    if settings.judge.use_llm:
        if mode is EvalMode.PAIRWISE:
            refs.append(pairwise_prompt().ref)
        else:
            refs.append((criterion_prompt() if settings.judge.granularity == "criterion" else pointwise_prompt()).ref)
    if rubrics in (RubricSource.SYNTHESISED, RubricSource.PRUNED):
        refs.append(load_prompt(*SYNTHESIS_PROMPT).ref)
        if settings.retrieval.reranker == "llm":
            refs.append(load_prompt("retrieval", "rerank.listwise").ref)
    return sorted(refs)


def judging_settings(settings: Settings) -> dict[str, Any]:
    """The outcome-deciding settings as `section.key` → value (JSON types); the model is in `EvalConfig`."""
    dumped = settings.model_dump(mode="json", include=set(_SECTIONS))
    return {
        f"{section}.{key}": value
        for section in _SECTIONS
        for key, value in sorted(dumped[section].items())
        if key not in _OPERATIONAL.get(section, set())
    }
