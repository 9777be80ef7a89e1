"""SFT rows in the layouts LLaMA-Factory and TRL's `SFTTrainer` read as they are, and LLaMA-Factory's
`dataset_info.json` entry for each.

- `sharegpt`: `{"conversations": [{"from": "human", "value": …}, {"from": "gpt", "value": …}], "system": …}`
- `alpaca`: `{"instruction": …, "input": "", "output": …, "system": …}` (the whole user message is the instruction)
- `messages`: `{"messages": [{"role": "system" | "user" | "assistant", "content": …}]}` (TRL's conversational format;
  LLaMA-Factory reads it as its "OpenAI format")

Every row also carries `metadata` (`ExportMeta`, the same keys in every row, never null, so `datasets` infers one
schema): where the example came from and what decided its target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field


class SftFormat(StrEnum):
    """Row layout of an SFT export."""

    SHAREGPT = "sharegpt"
    ALPACA = "alpaca"
    MESSAGES = "messages"


class ExportMeta(BaseModel, frozen=True):
    """Provenance of one example. Strings are '' and lists [] when they do not apply (a fixed schema per file)."""

    what: str = Field(description="generator | judge: which model the example trains.")
    split: str = Field(description="train | held_out (held out: the evaluation's items; never train on them).")
    source: str = Field(description="kb:<query source>, learned, teleqna-mcq or tau2-<split>.")
    item_id: str = Field(description="Stable example id (query ids / pair id and side).")
    pair_id: str = ""
    query_ids: list[str] = Field(default_factory=list, description="KB queries the example stands for.")
    task_id: str = Field("", description="τ² task id, if any.")
    category: str = Field("", description="TeleQnA category (slug) or τ² intent, if any.")
    response: str = Field("", description="Judge examples: chosen | rejected (which side of the pair is judged).")
    rubric_ids: list[str] = Field(default_factory=list, description="Rubrics behind the target, in target order.")
    offered_ids: list[str] = Field(default_factory=list, description="Generator: KB rubrics listed in the prompt.")
    deciders: list[str] = Field(
        default_factory=list,
        description="Per target item, what decided it: kb-approved, learned, mcq, tool_call, label.",
    )
    prompt: str = Field(description="Prompt id@version the input was rendered with.")
    output: str = Field(description="Output model the target validates against.")
    kb_version: int = Field(0, description="Generator: KB version the neighbours were read at (0 = no KB).")
    dropped: int = Field(0, description="Target items left out (too long for the output model, over the cap).")
    seed: int = 0


class SftExample(BaseModel, frozen=True):
    """One training example: the prompt's two messages exactly as inference sends them, and the target reply."""

    system: str
    user: str
    assistant: str = Field(description="The target: compact JSON that validates against the prompt's output model.")
    meta: ExportMeta


def to_row(example: SftExample, fmt: SftFormat | str) -> dict[str, Any]:
    """The example as one JSON object in `fmt`."""
    fmt = SftFormat(fmt)
    meta = example.meta.model_dump(mode="json")
    if fmt is SftFormat.SHAREGPT:
        turns = [{"from": "human", "value": example.user}, {"from": "gpt", "value": example.assistant}]
        return {"conversations": turns, "system": example.system, "metadata": meta}
    if fmt is SftFormat.ALPACA:
        return {
            "instruction": example.user,
            "input": "",
            "output": example.assistant,
            "system": example.system,
            "metadata": meta,
        }
    messages = [
        {"role": "system", "content": example.system},
        {"role": "user", "content": example.user},
        {"role": "assistant", "content": example.assistant},
    ]
    return {"messages": messages, "metadata": meta}


def dataset_info_entry(fmt: SftFormat | str, file_name: str) -> dict[str, Any]:
    """LLaMA-Factory's `dataset_info.json` entry for a file of `fmt` rows (its data/README.md layout)."""
    fmt = SftFormat(fmt)
    if fmt is SftFormat.SHAREGPT:
        return {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
            "tags": {
                "role_tag": "from",
                "content_tag": "value",
                "user_tag": "human",
                "assistant_tag": "gpt",
                "system_tag": "system",
            },
        }
    if fmt is SftFormat.ALPACA:
        return {
            "file_name": file_name,
            "formatting": "alpaca",
            "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system"},
        }
    return {
        "file_name": file_name,
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    }


def dataset_name(path: Path) -> str:
    """The `dataset_info.json` key of a file: its name without `.jsonl`, as a slug (`judge_sft`)."""
    stem = path.name.removesuffix(".jsonl").removesuffix(".json")
    return re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_") or "telerubric_sft"


def write_rows(examples: Iterable[SftExample], fmt: SftFormat | str, path: Path) -> int:
    """Write the examples as JSON Lines (UTF-8, one row per line); returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(json.dumps(to_row(example, fmt), ensure_ascii=False) + "\n")
            n += 1
    return n


def write_dataset_info(fmt: SftFormat | str, files: Iterable[Path]) -> list[Path]:
    """Add (or replace) an entry per file in the `dataset_info.json` of its folder (LLaMA-Factory reads `file_name`
    relative to it); other entries are kept. Returns the `dataset_info.json` paths written."""
    by_folder: dict[Path, list[Path]] = {}
    for file in files:
        by_folder.setdefault(file.parent, []).append(file)
    written = []
    for folder, members in by_folder.items():
        info_path = folder / "dataset_info.json"
        info: dict[str, Any] = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
        for file in members:
            info[dataset_name(file)] = dataset_info_entry(fmt, file.name)
        info_path.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(info_path)
    return written
