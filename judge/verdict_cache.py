"""Judge verdicts cached in SQL, keyed by what changes them: the criteria, the response, the judge model, its
prompt, the granularity, the votes and the reference. Errors are never cached."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from pydantic import TypeAdapter

from judge.llm_judge import Criterion, JudgedCriterion
from kb import KnowledgeBase

NAMESPACE = "judge.verdicts"
_VERDICTS = TypeAdapter(list[JudgedCriterion])


def verdict_key(
    criteria: Sequence[Criterion],
    response: str,
    *,
    request: str,
    model: str,
    prompt: str,
    granularity: str,
    votes: int,
    reference: str | None,
) -> str:
    payload = {
        "v": 1,
        "criteria": [c.model_dump(mode="json") for c in criteria],
        "request": request,
        "response": hashlib.sha256(response.encode()).hexdigest(),
        "model": model,
        "prompt": prompt,
        "granularity": granularity,
        "votes": votes,
        "reference": reference,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def cached_verdicts(kb: KnowledgeBase, key: str) -> list[JudgedCriterion] | None:
    raw = kb.cache_get(key)
    return None if raw is None else _VERDICTS.validate_json(raw)


def store_verdicts(kb: KnowledgeBase, key: str, verdicts: Sequence[JudgedCriterion]) -> None:
    kb.cache_put(key, NAMESPACE, _VERDICTS.dump_json(list(verdicts)).decode())
