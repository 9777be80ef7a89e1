"""Coding-rate selection: exact greedy against brute force, seeded ties, loud embedding failures."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from retrieval.diversity import coding_rate, rate_of, select_by_coding_rate, select_texts


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _brute_force(vectors: np.ndarray, k: int, eps: float) -> float:
    return max(rate_of(vectors, subset, eps=eps) for subset in itertools.combinations(range(len(vectors)), k))


def test_both_determinant_forms_agree() -> None:
    rng = np.random.default_rng(1)
    tall, wide = rng.normal(size=(9, 4)), rng.normal(size=(3, 7))
    for e in (tall, wide):
        direct = 0.5 * np.linalg.slogdet(np.eye(e.shape[1]) + 0.7 * e.T @ e)[1]
        assert coding_rate(e, 0.7) == pytest.approx(direct, rel=1e-10)


@pytest.mark.parametrize("seed", range(6))
def test_greedy_is_within_the_submodular_bound_of_brute_force(seed: int) -> None:
    vectors = _unit(np.random.default_rng(seed).normal(size=(9, 5)))
    for k in (2, 3, 4):
        selection = select_by_coding_rate(vectors, k, eps=0.5, seed=seed)
        optimum = _brute_force(vectors, k, 0.5)
        assert len(set(selection.indices)) == k
        assert selection.rate == pytest.approx(rate_of(vectors, selection.indices, eps=0.5))
        assert selection.rate >= (1 - 1 / math.e) * optimum - 1e-9
        assert selection.rate <= optimum + 1e-9
        assert sum(selection.gains) == pytest.approx(selection.rate)


def test_greedy_finds_the_optimum_on_an_easy_set() -> None:
    # three orthogonal directions, each with near-copies: the best 3 are one from each direction
    base = np.eye(4)[:3]
    near = _unit(base + 0.05 * np.eye(4)[3])
    vectors = np.vstack([base, near, near * 0.999 + 0.001])
    vectors = _unit(vectors)
    selection = select_by_coding_rate(vectors, 3, eps=0.5, seed=0)
    assert selection.rate == pytest.approx(_brute_force(vectors, 3, 0.5))
    assert sorted(i % 3 for i in selection.indices) == [0, 1, 2]


def test_ties_are_broken_by_the_seed_and_reproducible() -> None:
    vectors = np.vstack([np.eye(3)] * 4)  # every direction four times: many exact ties
    picks = {select_by_coding_rate(vectors, 3, seed=s).indices for s in range(12)}
    assert len(picks) > 1  # the seed matters
    for s in range(4):
        assert select_by_coding_rate(vectors, 3, seed=s) == select_by_coding_rate(vectors, 3, seed=s)
        assert sorted(i % 3 for i in select_by_coding_rate(vectors, 3, seed=s).indices) == [0, 1, 2]


def test_k_larger_than_the_set_takes_everything_and_zero_takes_nothing() -> None:
    vectors = _unit(np.random.default_rng(0).normal(size=(3, 4)))
    assert sorted(select_by_coding_rate(vectors, 10).indices) == [0, 1, 2]
    assert select_by_coding_rate(vectors, 0).indices == ()


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.array([[1.0, np.nan, 0.0]]), np.ones(3)])
def test_bad_vectors_raise(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        select_by_coding_rate(bad, 1)


class _BrokenEmbedder:
    model_id, dimension = "broken", 3

    def embed(self, texts):  # noqa: ANN001, ANN201
        raise RuntimeError("model file missing")


class _ShortEmbedder:
    model_id, dimension = "short", 3

    def embed(self, texts):  # noqa: ANN001, ANN201
        return np.ones((len(texts) - 1, 3), dtype=np.float32)


def test_an_embedding_failure_is_an_error_never_zero_vectors() -> None:
    with pytest.raises(RuntimeError, match="model file missing"):
        select_texts(_BrokenEmbedder(), ["a", "b"], 1)
    with pytest.raises(ValueError, match="1 vectors for 2 texts"):
        select_texts(_ShortEmbedder(), ["a", "b"], 1)


def test_select_texts_with_the_packaged_embedder_prefers_distinct_texts(embedder) -> None:  # noqa: ANN001
    texts = [
        "The agent checks whether airplane mode is on.",
        "The agent asks the user whether airplane mode is switched on.",
        "The agent states the refuel charge before applying it.",
    ]
    selection = select_texts(embedder, texts, 2, seed=0)
    assert 2 in selection.indices
