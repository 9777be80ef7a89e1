"""Retrieval over both collections (hybrid dense + BM25, RRF), reranking, and the `Neighbours` it returns; rubric-set
synthesis from them, with diversity selection and pruning."""

from retrieval.diversity import Selection, select_by_coding_rate, select_texts
from retrieval.neighbours import Neighbours, QueryNeighbour, RubricNeighbour
from retrieval.prune import prune
from retrieval.rerankers import MMRReranker, Ranking, Reranker, RerankerKind, RerankItem, load_reranker
from retrieval.retrieve import Retriever, retrieve, retrieve_many
from retrieval.rubric_set import (
    ItemOrigin,
    PrunedRubric,
    PruneReason,
    RubricItem,
    RubricSet,
    SynthesisError,
    SynthesisErrorKind,
)
from retrieval.synthesis import DraftItem, abuild_rubric_set, build_rubric_set, draft_model
from retrieval.synthesis.build import PROMPT as SYNTHESIS_PROMPT
from retrieval.synthesis.build import offered_rubrics, synthesis_messages

__all__ = [
    "SYNTHESIS_PROMPT",
    "DraftItem",
    "ItemOrigin",
    "MMRReranker",
    "Neighbours",
    "PruneReason",
    "PrunedRubric",
    "QueryNeighbour",
    "Ranking",
    "RerankItem",
    "Reranker",
    "RerankerKind",
    "Retriever",
    "RubricItem",
    "RubricNeighbour",
    "RubricSet",
    "Selection",
    "SynthesisError",
    "SynthesisErrorKind",
    "abuild_rubric_set",
    "build_rubric_set",
    "draft_model",
    "load_reranker",
    "offered_rubrics",
    "prune",
    "retrieve",
    "retrieve_many",
    "select_by_coding_rate",
    "select_texts",
    "synthesis_messages",
]
