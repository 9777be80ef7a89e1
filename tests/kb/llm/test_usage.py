import pytest

from kb.llm.usage import TokenUsage, sum_usage


def test_add_same_model_sums_tokens() -> None:
    total = TokenUsage(model="m", input_tokens=3, output_tokens=4) + TokenUsage(
        model="m", input_tokens=1, output_tokens=2
    )
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (4, 6, 10)


def test_add_refuses_to_mix_models() -> None:
    with pytest.raises(ValueError, match="different models"):
        TokenUsage(model="a", input_tokens=1, output_tokens=1) + TokenUsage(model="b", input_tokens=1, output_tokens=1)


def test_missing_usage_is_none_not_zero() -> None:
    assert TokenUsage.from_metadata("m", None) is None
    assert TokenUsage.from_metadata("m", {}) is None
    assert TokenUsage.from_metadata("m", {"input_tokens": 5}) is None
    assert TokenUsage.from_metadata("m", {"prompt_tokens": 5, "completion_tokens": 2}) == TokenUsage(
        model="m", input_tokens=5, output_tokens=2
    )


def test_sum_usage_is_none_when_any_part_is_unknown() -> None:
    known = TokenUsage(model="m", input_tokens=1, output_tokens=1)
    assert sum_usage([known, known]) == TokenUsage(model="m", input_tokens=2, output_tokens=2)
    assert sum_usage([known, None]) is None
    assert sum_usage([]) is None
