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

# The synthesis prompt's parts, for exports that must render it exactly as inference does (judge/export)
from retrieval.synthesis import DraftItem, draft_model, ranked_rubrics  # noqa: E402
from retrieval.synthesis.build import PROMPT as SYNTHESIS_PROMPT  # noqa: E402
from retrieval.synthesis.draft import listed_rubrics  # noqa: E402

__all__ += ["SYNTHESIS_PROMPT", "DraftItem", "draft_model", "listed_rubrics", "ranked_rubrics"]
