"""Rubric-set synthesis: the generator call, validation (merge, size cap by coding rate), fallback and cache."""

from retrieval.synthesis.build import abuild_rubric_set, build_rubric_set, ranked_rubrics
from retrieval.synthesis.draft import DraftItem, draft_model
from retrieval.synthesis.validate import validate_items

__all__ = ["DraftItem", "abuild_rubric_set", "build_rubric_set", "draft_model", "ranked_rubrics", "validate_items"]
