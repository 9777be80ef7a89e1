"""A pair's response as the LLM judge reads it, and the key that identifies one judged item (prompt + response)."""

from __future__ import annotations

from collections.abc import Mapping

from judge.inputs import calls_messages
from judge.llm_judge import render_transcript
from judge.pairs import Response
from kb import content_hash, normalise_text


def response_text(response: Response) -> str:
    """What the judge reads: the text, or the transcript of chat messages or of a τ² trajectory's calls."""
    if isinstance(response, str):
        return response
    if isinstance(response, Mapping):
        if isinstance(response.get("messages"), list):
            return render_transcript(response["messages"])
        return render_transcript(calls_messages(response.get("calls") or []))
    return render_transcript(response)


def item_key(prompt: str, response: str) -> str:
    """Identity of one judged item: its normalised prompt and response text (hashed)."""
    return content_hash([normalise_text(prompt), normalise_text(response)])
