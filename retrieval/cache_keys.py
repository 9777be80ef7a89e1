"""Cache keys for synthesised rubric sets: a hash of every named, versioned input that shapes the set."""

from __future__ import annotations

from collections.abc import Sequence

from kb import SynthesisSettings, content_hash, normalise_text

RUBRIC_SET_NAMESPACE = "rubric_set"
KEY_FORMAT = 1
# Settings that change the output; `cache` itself does not.
_SEMANTIC = (
    "max_items",
    "draft_items",
    "max_neighbours",
    "merge_similarity",
    "diversity",
    "coding_rate_eps",
    "check_similarity",
    "max_tokens",
)


def rubric_set_key(
    question: str,
    *,
    kb_version: int,
    model: str,
    prompt: str,
    settings: SynthesisSettings,
    offered: Sequence[str],
    embedder: str,
    seed: int,
) -> str:
    """sha256 of canonical JSON of the normalised question, KB version, generator model, prompt id@version,
    the synthesis settings that change output, the KB rubric ids offered to the generator (so retrieval
    or pruning changes make a new key), the embedder (merging, diversity) and the seed."""
    payload = {
        "v": KEY_FORMAT,
        "question": normalise_text(question),
        "kb": kb_version,
        "model": model,
        "prompt": prompt,
        "synthesis": {name: getattr(settings, name) for name in _SEMANTIC},
        "offered": list(offered),
        "embedder": embedder,
        "seed": seed,
    }
    return content_hash(payload)
