"""Retrieval over both collections (hybrid dense + BM25, RRF), reranking, and the `Neighbours` it returns."""

from retrieval.neighbours import Neighbours, QueryNeighbour, RubricNeighbour
from retrieval.rerankers import MMRReranker, Ranking, Reranker, RerankerKind, RerankItem, load_reranker
from retrieval.retrieve import Retriever, retrieve, retrieve_many

__all__ = [
    "MMRReranker",
    "Neighbours",
    "QueryNeighbour",
    "Ranking",
    "RerankItem",
    "Reranker",
    "RerankerKind",
    "Retriever",
    "RubricNeighbour",
    "load_reranker",
    "retrieve",
    "retrieve_many",
]

# Synthesis, diversity selection and pruning ---------------------------------------------------------------------------
from retrieval.diversity import Selection, select_by_coding_rate, select_texts  # noqa: E402
from retrieval.prune import prune  # noqa: E402
from retrieval.rubric_set import (  # noqa: E402
    ItemOrigin,
    PrunedRubric,
    PruneReason,
    RubricItem,
    RubricSet,
    SynthesisError,
    SynthesisErrorKind,
)
from retrieval.synthesis import abuild_rubric_set, build_rubric_set  # noqa: E402

__all__ += [
    "ItemOrigin",
    "PruneReason",
    "PrunedRubric",
    "RubricItem",
    "RubricSet",
    "Selection",
    "SynthesisError",
    "SynthesisErrorKind",
    "abuild_rubric_set",
    "build_rubric_set",
    "prune",
    "select_by_coding_rate",
    "select_texts",
]
