"""The one search engine over both collections: request types, the engine, its exact in-process path, hits."""

from kb.search.engine import Candidate, CollectionRequest, SearchEngine, rrf_fuse
from kb.search.filters import Scope, SearchFilter
from kb.search.hits import SearchHit, hydrate

__all__ = [
    "Candidate",
    "CollectionRequest",
    "Scope",
    "SearchEngine",
    "SearchFilter",
    "SearchHit",
    "hydrate",
    "rrf_fuse",
]
