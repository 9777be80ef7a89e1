"""Judge verdicts cached in SQL, keyed by what changes them: the criteria, the response, the judge model, its
prompt, the granularity, the votes, the reference, and the screen that redacted the response (its version, and
whether it ran). An entry keeps the screen's findings beside the verdicts, so a hit reports them too. Errors are
never cached.

`VerdictCache` serves concurrent lookups and stores in batches: the calls queued while the event loop runs one
step (or while the previous batch runs) go to a worker thread together, one batch at a time, in the order they
came; there each run of consecutive lookups is one `KnowledgeBase.cache_get_many` and each run of consecutive stores
one `cache_put_many`. A GRPO group (or many concurrent rewards) costs one thread hop and one transaction per phase
instead of one per reward, our writes never wait on each other's SQLite lock, and a lookup queued after a store
sees it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from pydantic import BaseModel

from judge.llm_judge import Criterion, Finding, JudgedCriterion
from kb import KnowledgeBase

NAMESPACE = "judge.verdicts"
KEY_FORMAT = 2  # 2: the screen's version and the redaction flag are in the key; entries carry findings


class CachedVerdicts(BaseModel, frozen=True):
    """One cache entry: the judge's verdicts and what the screen found in the response."""

    verdicts: tuple[JudgedCriterion, ...]
    findings: tuple[Finding, ...] = ()


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
    screen: str | None,
) -> str:
    """The cache key; `screen` is the screen's version when the response was redacted, None when it was not."""
    payload = {
        "v": KEY_FORMAT,
        "criteria": [c.model_dump(mode="json") for c in criteria],
        "request": request,
        "response": hashlib.sha256(response.encode()).hexdigest(),
        "model": model,
        "prompt": prompt,
        "granularity": granularity,
        "votes": votes,
        "reference": reference,
        "redact": screen is not None,
        "screen": screen,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class _Get:
    key: str


@dataclass(frozen=True)
class _Put:
    key: str
    entry: CachedVerdicts


_Call = tuple[_Get | _Put, "asyncio.Future[Any]"]  # a queued lookup or store, and its caller's future


@dataclass
class _Queue:
    """One event loop's pending calls, and whether a batch is scheduled or running."""

    calls: list[_Call] = field(default_factory=list)
    active: bool = False
    task: asyncio.Task[list[Any]] | None = None  # the running batch (a strong reference until it is done)


class VerdictCache:
    """Cached verdicts of one KB, looked up and stored in batches (see the module docstring)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = weakref.WeakKeyDictionary()

    async def aget(self, key: str) -> CachedVerdicts | None:
        return await self._submit(_Get(key))

    async def aput(self, key: str, entry: CachedVerdicts) -> None:
        await self._submit(_Put(key, entry))

    def _submit(self, op: _Get | _Put) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        queue = self._queues.setdefault(loop, _Queue())
        queue.calls.append((op, future))
        if not queue.active:
            queue.active = True
            loop.call_soon(self._flush, loop, queue)  # after every task runnable in this step has queued its call
        return future

    def _flush(self, loop: asyncio.AbstractEventLoop, queue: _Queue) -> None:
        batch, queue.calls = queue.calls, []
        queue.task = loop.create_task(asyncio.to_thread(_run_all, self.kb, [op for op, _ in batch]))
        queue.task.add_done_callback(lambda done: self._done(loop, queue, batch, done))

    def _done(self, loop: asyncio.AbstractEventLoop, queue: _Queue, batch: list[_Call], task: asyncio.Task) -> None:
        _settle(batch, task)
        queue.task = None
        if queue.calls:  # queued while this batch ran: the next batch
            self._flush(loop, queue)
        else:
            queue.active = False


def _run_all(kb: KnowledgeBase, ops: list[_Get | _Put]) -> list[Any]:
    """Each call's result or exception, in order: each run of consecutive lookups is one `cache_get_many`, each run
    of consecutive stores one `cache_put_many`, so a lookup still sees every store queued before it. A failed read
    or write fails its run only; an entry that does not parse fails its own lookup only."""
    outcomes: list[Any] = []
    for kind, group in groupby(ops, key=type):
        run = list(group)
        try:
            if kind is _Get:
                outcomes += _lookup(kb, [op.key for op in run])
            else:
                kb.cache_put_many(
                    [(op.key, NAMESPACE, op.entry.model_dump_json()) for op in run if isinstance(op, _Put)]
                )
                outcomes += [None] * len(run)
        except Exception as exc:  # noqa: BLE001 (handed to the callers' futures, which re-raise it)
            outcomes += [exc] * len(run)
    return outcomes


def _lookup(kb: KnowledgeBase, keys: list[str]) -> list[CachedVerdicts | None | Exception]:
    found = kb.cache_get_many(keys)
    outcomes: list[CachedVerdicts | None | Exception] = []
    for key in keys:
        try:
            outcomes.append(None if key not in found else CachedVerdicts.model_validate_json(found[key]))
        except ValueError as exc:  # pydantic's ValidationError: handed to this caller only
            outcomes.append(exc)
    return outcomes


def _settle(batch: list[_Call], task: asyncio.Task[list[Any]]) -> None:
    """Hand each caller its outcome (the batch's own failure, if the batch failed as a whole)."""
    if task.cancelled() or task.exception() is not None:
        for _, future in batch:
            if future.done():
                continue
            if task.cancelled():
                future.cancel()
            else:
                future.set_exception(task.exception())  # type: ignore[arg-type]
        return
    for (_, future), outcome in zip(batch, task.result(), strict=True):
        if future.done():  # the caller was cancelled (timeout) meanwhile
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
