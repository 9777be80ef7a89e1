"""Row layouts: each format checked against a schema written here, loaded by `datasets`, and registered for
LLaMA-Factory in dataset_info.json (other entries kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from judge.export import ExportMeta, SftExample, SftFormat, dataset_info_entry, to_row, write_dataset_info
from judge.export.formats import write_rows


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ShareGptTurn(_Strict):
    from_: Literal["human", "gpt", "system"] = Field(alias="from")
    value: str = Field(min_length=1)


class ShareGptRow(_Strict):
    conversations: list[ShareGptTurn] = Field(min_length=2)
    system: str = Field(min_length=1)
    metadata: ExportMeta

    @model_validator(mode="after")
    def _human_then_gpt(self) -> ShareGptRow:  # LLaMA-Factory: human at odd positions, gpt at even ones
        roles = [t.from_ for t in self.conversations]
        assert roles[0::2] == ["human"] * len(roles[0::2]) and roles[1::2] == ["gpt"] * len(roles[1::2])
        assert roles[-1] == "gpt"
        return self


class AlpacaRow(_Strict):
    instruction: str = Field(min_length=1)
    input: str
    output: str = Field(min_length=1)
    system: str = Field(min_length=1)
    metadata: ExportMeta


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class MessagesRow(_Strict):
    messages: list[Message] = Field(min_length=2)
    metadata: ExportMeta

    @model_validator(mode="after")
    def _ends_with_the_answer(self) -> MessagesRow:
        assert [m.role for m in self.messages] == ["system", "user", "assistant"]
        return self


SCHEMAS: dict[SftFormat, type[BaseModel]] = {
    SftFormat.SHAREGPT: ShareGptRow,
    SftFormat.ALPACA: AlpacaRow,
    SftFormat.MESSAGES: MessagesRow,
}


def _example(n: int, *, what: str = "judge") -> SftExample:
    meta = ExportMeta(
        what=what,
        split="train",
        source="tau2-train" if n % 2 else "teleqna-mcq",
        item_id=f"item-{n}",
        pair_id=f"pair-{n}" if n % 2 else "",
        query_ids=[f"q-{n}"],
        rubric_ids=[f"r-{n}", "r-shared"][: 1 + n % 2],
        deciders=["tool_call"] * (1 + n % 2),
        prompt="judge.pointwise@2",
        output="CriterionVerdicts",
    )
    reply = json.dumps({"verdicts": [{"number": 1, "reason": "call 0 matches", "verdict": "met"}]})
    return SftExample(
        system="You grade one reply.", user=f"<request>why no MMS {n}?</request>", assistant=reply, meta=meta
    )


@pytest.mark.parametrize("fmt", list(SftFormat))
def test_rows_follow_the_schema_and_keep_the_texts(fmt: SftFormat) -> None:
    example = _example(1)
    row = SCHEMAS[fmt].model_validate(to_row(example, fmt))
    if isinstance(row, ShareGptRow):
        assert (row.system, row.conversations[0].value, row.conversations[1].value) == (
            example.system,
            example.user,
            example.assistant,
        )
    elif isinstance(row, AlpacaRow):
        assert (row.system, row.instruction, row.input, row.output) == (
            example.system,
            example.user,
            "",
            example.assistant,
        )
    else:
        assert [m.content for m in row.messages] == [example.system, example.user, example.assistant]
    assert row.metadata == example.meta


@pytest.mark.parametrize("fmt", list(SftFormat))
def test_datasets_loads_every_format(fmt: SftFormat, tmp_path: Path) -> None:
    from datasets import load_dataset

    path = tmp_path / f"data_{fmt}.jsonl"
    assert write_rows([_example(n) for n in range(5)], fmt, path) == 5
    ds = load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == 5
    first = SCHEMAS[fmt].model_validate(ds[0])  # the loaded row still follows the schema
    assert first.metadata.item_id == "item-0"
    expected = {
        SftFormat.SHAREGPT: {"conversations", "system", "metadata"},
        SftFormat.ALPACA: {"instruction", "input", "output", "system", "metadata"},
        SftFormat.MESSAGES: {"messages", "metadata"},
    }[fmt]
    assert set(ds.column_names) == expected


def test_messages_rows_are_trl_conversational(tmp_path: Path) -> None:
    from trl.data_utils import is_conversational

    assert is_conversational(to_row(_example(0), SftFormat.MESSAGES))


def test_dataset_info_names_each_file_and_keeps_other_entries(tmp_path: Path) -> None:
    info_path = tmp_path / "dataset_info.json"
    info_path.write_text(json.dumps({"alpaca_en_demo": {"file_name": "alpaca_en_demo.json"}}), encoding="utf-8")
    written = write_dataset_info(SftFormat.SHAREGPT, [tmp_path / "judge-sft.jsonl", tmp_path / "judge_eval.jsonl"])
    assert written == [info_path]
    info = json.loads(info_path.read_text(encoding="utf-8"))
    assert set(info) == {"alpaca_en_demo", "judge_sft", "judge_eval"}
    assert info["judge_sft"] == {
        "file_name": "judge-sft.jsonl",
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
    assert dataset_info_entry("alpaca", "a.jsonl")["columns"] == {
        "prompt": "instruction",
        "query": "input",
        "response": "output",
        "system": "system",
    }
    messages = dataset_info_entry("messages", "m.jsonl")
    assert messages["formatting"] == "sharegpt" and messages["columns"] == {"messages": "messages"}
    assert messages["tags"]["role_tag"] == "role" and messages["tags"]["assistant_tag"] == "assistant"
