"""What else makes two evaluation runs' outcomes interchangeable: the prompt versions a condition's judging can go
through and the settings that can change its judged outcomes. A checkpoint records both, so a changed prompt or
threshold never mixes its outcomes with an earlier run's. Timeouts, threads, concurrency and caches do not count.
The KB's content digest is in the checkpoint's tag for the conditions that read the KB (`ConditionCriteria.tag`)."""

from __future__ import annotations

from typing import Any

from judge.evaluation.report import EvalMode, RubricSource
from judge.llm_judge import SCREEN_VERSION, criterion_prompt, pairwise_prompt, pointwise_prompt
from kb import Settings, load_prompt
from retrieval import SYNTHESIS_PROMPT

_OPERATIONAL = {
    "embedder": {"batch_size", "threads", "base_url", "api_key"},
    "llm": {
        "base_url",
        "api_key",
        "threads",
        "timeout_s",
        "max_retries",
        "concurrency",
        "port",
        "startup_timeout_s",
        "backoff_s",
        "transport",
        "model",  # the model name is `EvalConfig.model`
    },
    "retrieval": {"record_usage", "usage_flush_every"},
    "synthesis": {"cache"},
    "judge": {"verdict_cache", "record_usage", "usage_flush_every", "remote_url", "timeout_s", "rubric_set_ttl_s"},
}
_REWARD = (RubricSource.SYNTHESISED, RubricSource.PRUNED)  # judged through `RewardModel`


def prompt_refs(settings: Settings, mode: EvalMode, rubrics: RubricSource) -> list[str]:
    """`name@version` of every prompt the run's judging can use: the judge's (through the reward, pairwise mode
    scores trajectory pairs pointwise, so it names both) with the screen that redacts what it reads, synthesis for
    the reward's conditions, the LLM reranker's when retrieving, and the client's re-ask."""
    if settings.judge.backend == "bt":
        return []
    judges = rubrics not in _REWARD or settings.judge.use_llm  # the other conditions always call the judge
    refs = set()
    if judges and (mode is EvalMode.POINTWISE or rubrics in _REWARD):
        refs.add((criterion_prompt() if settings.judge.granularity == "criterion" else pointwise_prompt()).ref)
    if judges and mode is EvalMode.PAIRWISE:
        refs.add(pairwise_prompt().ref)
    if rubrics in _REWARD and settings.judge.use_llm:
        refs.add(load_prompt(*SYNTHESIS_PROMPT).ref)
    if rubrics.reads_kb and settings.retrieval.reranker == "llm":
        refs.add(load_prompt("retrieval", "rerank.listwise").ref)
    if judges:
        refs.add(f"screen@{SCREEN_VERSION}")  # what the judge reads of a response
    if refs:
        refs.add(load_prompt("kb.llm", "llm.reask").ref)  # any call re-asked after a parse failure
    return sorted(refs)


def judging_settings(settings: Settings, rubrics: RubricSource) -> dict[str, Any]:
    """The settings that can change this condition's outcomes, as `section.key` → value (JSON types)."""
    if settings.judge.backend == "bt":
        sections = ["judge"]
    else:
        sections = ["llm", "judge"]
        if rubrics.reads_kb:
            sections += ["embedder", "vector_index", "retrieval"]
        if rubrics in _REWARD:
            sections += ["synthesis", "pruning"]
    dumped = settings.model_dump(mode="json", include=set(sections))
    return {
        f"{section}.{key}": value
        for section in sections
        for key, value in sorted(dumped[section].items())
        if key not in _OPERATIONAL.get(section, set())
    }
