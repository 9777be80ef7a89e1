"""OpenRLHF: the Python-file form `reward_func(queries, prompts, labels)` and the core of `POST /get_reward`.

OpenRLHF sends `query` = prompt + response decoded WITH special tokens (`skip_special_tokens=False`), the prompt as
given to the policy (chat template applied) and the `--label_key` column. The response is what follows the prompt
in the query, with chat-template special tokens (`<|im_end|>`, `<|endoftext|>`, `<|eot_id|>`, `</s>`, …) removed.
The request is the label's `request` (see `RewardTarget`); without one, the last user turn of the templated prompt
(ChatML, Llama 3 and Gemma templates are read; anything else is the prompt with special tokens removed).

Returned: `{"rewards": [...], "scores": [...], "extra_logs": {<component>: [...], "reward_error": [...]}}`, all
finite (OpenRLHF has no skip; see `judge.adapters.neutral`).

    --reward.remote_url <site-packages>/judge/adapters/openrlhf.py   (in process; or http://127.0.0.1:8008/get_reward)
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from judge.adapters.neutral import FLAT_KEYS, flatten_group
from judge.adapters.runtime import adapter_runtime
from judge.adapters.scorer import GroupSlot
from judge.adapters.target import RewardTarget, read_target
from judge.adapters.wire import OpenRLHFRequest, OpenRLHFResponse
from judge.result import JudgeErrorKind, RewardResult, Stage

Submit = Callable[[RewardTarget, Any], Awaitable[GroupSlot]]

# `<|…|>` tokens (ChatML, Llama 3, Phi, GPT) anywhere; SentencePiece / Gemma specials as whole tokens.
_SPECIAL = re.compile(r"<\|[^<>|\s]{1,60}\|>|</?s>|<(?:pad|eos|bos|unk)>|<(?:start|end)_of_turn>")
_TURNS = (
    re.compile(r"<\|im_start\|>(\w+)\n(.*?)(?=<\|im_end\|>|<\|im_start\|>|\Z)", re.S),  # ChatML (Qwen, SmolLM)
    re.compile(r"<\|start_header_id\|>(\w+)<\|end_header_id\|>\n*(.*?)(?=<\|eot_id\|>|<\|start_header_id\|>|\Z)", re.S),
    re.compile(r"<start_of_turn>(\w+)\n(.*?)(?=<end_of_turn>|<start_of_turn>|\Z)", re.S),  # Gemma
)
_ASSISTANT_START = re.compile(
    r"<\|im_start\|>assistant\n|<\|start_header_id\|>assistant<\|end_header_id\|>\n*|<start_of_turn>model\n"
)


def strip_special_tokens(text: str) -> str:
    """`text` without chat-template special tokens, trimmed."""
    return _SPECIAL.sub("", text).strip()


def split_response(query: str, prompt: str | None) -> str | None:
    """The response part of `query` (= prompt + response, special tokens kept), special tokens removed.

    Tries, in order: `prompt` as an exact prefix; the prefix once special tokens are removed from both; the text after
    the last assistant-turn marker. None when none applies.
    """
    if prompt:
        if query.startswith(prompt):
            return strip_special_tokens(query[len(prompt) :])
        bare_query, bare_prompt = _SPECIAL.sub("", query), _SPECIAL.sub("", prompt)
        if bare_query.startswith(bare_prompt):
            return bare_query[len(bare_prompt) :].strip()
    starts = list(_ASSISTANT_START.finditer(query))
    if starts:
        return strip_special_tokens(query[starts[-1].end() :])
    return None


def request_from_prompt(prompt: str) -> str:
    """The last user turn of a chat-templated prompt, or the prompt without special tokens."""
    for pattern in _TURNS:
        users = [m.group(2) for m in pattern.finditer(prompt) if m.group(1) == "user"]
        if users:
            return strip_special_tokens(users[-1])
    return strip_special_tokens(prompt)


def _bad_input(message: str) -> GroupSlot:
    return [RewardResult.failed(JudgeErrorKind.INPUT, Stage.RETRIEVE, message)], 0


async def openrlhf_rewards(body: OpenRLHFRequest, submit: Submit) -> OpenRLHFResponse:
    """Score every query of an OpenRLHF request through `submit` (coalesced into groups by request).

    Raises:
        AdapterInputError: a label is malformed (a dataset mistake).
    """
    n = len(body.query)
    prompts: Sequence[str | None] = body.prompts or [None] * n
    labels: Sequence[Any] = body.labels or [None] * n
    targets = [read_target(label, source=f"labels[{i}]") for i, label in enumerate(labels)]

    async def one(i: int) -> GroupSlot:
        query, prompt = body.query[i], prompts[i]
        response = split_response(query, prompt)
        if response is None:
            return _bad_input(f"query[{i}]: cannot find the response (the prompt is not its prefix, no assistant turn)")
        target = targets[i]
        if not target.request:
            context = prompt if prompt else query[: len(query) - len(response)]
            target = target.model_copy(update={"request": request_from_prompt(context)})
        if not (target.request or "").strip():
            return _bad_input(f"query[{i}]: no request (empty prompt and no `request` in the label)")
        return await submit(target, response)

    slots = await asyncio.gather(*(one(i) for i in range(n)))
    flat = [flatten_group(results)[index].as_dict() for results, index in slots]
    rewards = [f["score"] for f in flat]
    logs = {key: [f[key] for f in flat] for key in FLAT_KEYS if key != "score"}
    return OpenRLHFResponse(rewards=rewards, scores=list(rewards), extra_logs=logs)


def reward_func(queries: list[str], prompts: list[str], labels: list[Any], **kwargs: Any) -> dict[str, Any]:
    """OpenRLHF `--reward.remote_url path/to/openrlhf.py`: called from a worker thread, one sample per call.

    Returns `{"rewards": [...], "scores": [...], "extra_logs": {...}}` as lists of floats (the same body as
    `POST /get_reward`). The process-wide runtime applies (`judge.remote_url` → a `telerubric serve`).
    """
    body = OpenRLHFRequest(
        query=list(queries),
        prompts=list(prompts) if prompts is not None else None,
        labels=list(labels) if labels is not None else None,
    )
    runtime = adapter_runtime()
    return runtime.run(openrlhf_rewards(body, runtime.asubmit)).model_dump()
