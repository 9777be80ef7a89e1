"""What the BT model reads: responses rendered as text, and (request, response) pairs cut to the token budget with the
prompt's tail going first; the same encoding in training and scoring."""

from __future__ import annotations

import pytest

from judge.bt import encode_pair, packaged_minilm, response_text
from judge.verifiers.outcome import VerifierError

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tokenizer():  # noqa: ANN201 - a BertTokenizer(Fast)
    return transformers.AutoTokenizer.from_pretrained(str(packaged_minilm()))


def test_text_and_messages_and_oracle_calls() -> None:
    assert response_text("Turn roaming on.") == "Turn roaming on."
    messages = [
        {"role": "user", "content": "No data abroad."},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "1", "name": "enable_roaming",
                                                              "arguments": {"line_id": "L1"}}]},
        {"role": "tool", "tool_call_id": "1", "content": "Roaming enabled"},
        {"role": "assistant", "content": "Done."},
    ]  # fmt: skip
    text = response_text(messages)
    assert (
        'agent calls enable_roaming(line_id="L1")' in text and "tool enable_roaming returned: Roaming enabled" in text
    )
    calls = {"calls": [{"requestor": "user", "name": "toggle_roaming", "arguments": {}, "content": "x" * 500}]}
    text = response_text(calls)
    assert text.startswith("user calls toggle_roaming()") and "tool toggle_roaming returned: " in text
    assert len(text) < 300  # long tool results are cut, whatever the LLM judge's own rendering keeps
    assert response_text({"task_id": "t", "messages": messages}) == response_text(messages)
    with pytest.raises(VerifierError):
        response_text({"neither": "calls nor messages"})


def test_a_pair_uses_the_tokenizers_template(tokenizer) -> None:  # noqa: ANN001
    ids = encode_pair(tokenizer, "hello world", "good answer", 64)
    assert ids == tokenizer("hello world", "good answer")["input_ids"]  # [CLS] p [SEP] r [SEP], no padding


def test_long_pairs_lose_the_prompt_tail_first(tokenizer) -> None:  # noqa: ANN001
    sep = tokenizer.sep_token_id
    long_prompt = encode_pair(tokenizer, "alpha " * 300, "beta gamma", 64)
    assert len(long_prompt) == 64 and long_prompt[-3:] == tokenizer.encode("beta gamma")[1:]  # response kept whole
    long_both = encode_pair(tokenizer, "alpha " * 300, "beta " * 300, 64)
    first_sep = long_both.index(sep)
    assert len(long_both) == 64 and long_both.count(sep) == 2
    assert 64 - first_sep - 2 >= int((64 - 3) * 2 / 3)  # the response keeps ≥ 2/3 of the budget
    with pytest.raises(ValueError, match="no room"):
        encode_pair(tokenizer, "a", "b", 3)


def test_encoding_ignores_the_tokenizers_own_padding_state(tokenizer) -> None:  # noqa: ANN001
    tokenizer("x", "y", padding="max_length", max_length=32, truncation=True)  # changes the backend's state
    assert 0 not in encode_pair(tokenizer, "hello world", "good answer", 64)  # no [PAD] ids
