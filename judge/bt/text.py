"""What a Bradley-Terry reward model reads: the request and one response as a token pair, built the same way when it
is trained and when it scores (responses as text: chat messages and τ² trajectories rendered as a transcript)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from judge.inputs import judged_input
from judge.llm_judge import render_transcript
from judge.verifiers.tau2 import Trajectory

TEXT_FORMAT = "1"  # bump when what the model reads changes: the card records it, the scorer warns on a mismatch
TOOL_RESULT_CHARS = 160  # characters of one tool result kept in a rendered trajectory (the model reads ≤ 512 tokens)
RESPONSE_SHARE = 2 / 3  # least share of the token budget kept for the response when the pair is too long


def response_text(
    response: str | Sequence[Mapping[str, Any]] | Mapping[str, Any] | None,
    *,
    trajectory: Any = None,
    task_id: str | None = None,
) -> str:
    """The response as the reward model reads it: text as given, chat messages or a τ² trajectory (oracle `calls` or
    `messages`) rendered as `agent calls name(args)` / `tool name returned: …` lines (a trajectory file: its calls).

    Raises:
        VerifierError: nothing to read, or a trajectory that cannot be parsed (the message says where).
    """
    if isinstance(response, Mapping):  # a τ² trajectory given as the response (what preference pairs carry)
        response, trajectory = None, response
    if isinstance(response, str):
        return response
    if response is not None:
        return render_transcript(list(response), max_tool_result=TOOL_RESULT_CHARS)
    # Rendered here, not with judge.inputs' text (the LLM judge's view may change): a checkpoint must read at scoring
    # time what it read in training. Parsing validates the trajectory and gives a located error.
    parsed = judged_input(None, trajectory=trajectory, task_id=task_id or "-").trajectory  # the text needs no task id
    if isinstance(trajectory, Mapping) and "calls" not in trajectory and isinstance(trajectory.get("messages"), list):
        return render_transcript(trajectory["messages"], max_tool_result=TOOL_RESULT_CHARS)
    return _calls_text(parsed) if parsed is not None else ""


def _calls_text(trajectory: Trajectory) -> str:
    """Oracle-format calls (no messages) as the same transcript lines."""
    messages: list[dict[str, Any]] = []
    for i, call in enumerate(trajectory.calls):
        role = "user" if call.requestor == "user" else "assistant"
        call_id = call.call_id or f"call-{i}"
        messages.append(
            {"role": role, "tool_calls": [{"id": call_id, "name": call.name, "arguments": call.arguments or {}}]}
        )
        if call.recorded_content is not None:
            messages.append({"role": "tool", "tool_call_id": call_id, "name": call.name,
                             "content": call.recorded_content})  # fmt: skip
    return render_transcript(messages, max_tool_result=TOOL_RESULT_CHARS)


def encode_pair(tokenizer: Any, prompt: str, response: str, max_length: int) -> list[int]:
    """Token ids of (prompt, response) as one sequence with the tokenizer's pair template (`[CLS] p [SEP] r [SEP]` for
    BERT), cut to `max_length`: the prompt's tail goes first (the response keeps at least RESPONSE_SHARE of the
    budget), then the response's tail. An EOS is appended when the tokenizer has one (TRL's convention for
    last-token heads).

    Raises:
        ValueError: `max_length` leaves no room for text.
    """
    eos = tokenizer.eos_token_id
    add_eos = eos is not None and eos not in (tokenizer.sep_token_id, tokenizer.cls_token_id)
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=True) - int(add_eos)
    if budget < 2:
        raise ValueError(f"max_length {max_length} leaves no room for text")
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # a slow tokenizer: its own pair encoding and truncation
        ids = list(tokenizer(prompt, response, truncation="longest_first", max_length=budget + 2)["input_ids"])
    else:
        backend = _plain(backend)
        p = backend.encode(prompt, add_special_tokens=False)
        r = backend.encode(response, add_special_tokens=False)
        if len(p.ids) + len(r.ids) > budget:
            keep_r = min(len(r.ids), max(budget - len(p.ids), int(budget * RESPONSE_SHARE)))
            r.truncate(keep_r)
            p.truncate(budget - keep_r)
        post = backend.post_processor
        ids = list(post.process(p, r, add_special_tokens=True).ids if post is not None else p.ids + r.ids)
    if add_eos and (not ids or ids[-1] != eos):
        ids.append(eos)
    return ids


_PLAIN: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def _plain(backend: Any) -> Any:
    """A copy of a `tokenizers.Tokenizer` without its padding and truncation (both are state that `tokenizer(...)`
    calls change, and a saved tokenizer.json may carry a fixed padding length): we cut and pad ourselves."""
    plain = _PLAIN.get(backend)
    if plain is None:
        plain = type(backend).from_str(backend.to_str())
        plain.no_padding()
        plain.no_truncation()
        _PLAIN[backend] = plain
    return plain
