"""Learning rubrics from preference pairs: contrastive generation with a consistency filter, propose–evaluate–revise,
coding-rate aggregation into Theme-Tips, written to the KB as drafts (resumable)."""

from judge.learning.aggregate import learned_set, pool, select_in_batches
from judge.learning.checkpoint import Checkpoint
from judge.learning.job import LearnReport, alearn_from_pairs, criteria_of_learned, load_learned, records_of
from judge.learning.models import DraftRubric, LearnedRubric, LearnedSet, PairRubrics, RubricDraft, Theme
from judge.learning.propose import alearn_pair, consistent, contrastive_prompt, revise_prompt
from judge.learning.specific import SpecificityCheck

__all__ = [
    "Checkpoint",
    "DraftRubric",
    "LearnReport",
    "LearnedRubric",
    "LearnedSet",
    "PairRubrics",
    "RubricDraft",
    "Theme",
    "alearn_from_pairs",
    "alearn_pair",
    "consistent",
    "contrastive_prompt",
    "criteria_of_learned",
    "SpecificityCheck",
    "learned_set",
    "load_learned",
    "pool",
    "records_of",
    "revise_prompt",
    "select_in_batches",
]
