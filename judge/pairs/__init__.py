"""Preference pairs: the model, readers for the common formats, and builders from the shipped telecom data."""

from judge.pairs.model import Difficulty, PreferencePair, Response
from judge.pairs.readers import PairFormat, detect_format, read_pairs, write_pairs
from judge.pairs.split import PairSplit, split_by_category
from judge.pairs.tau2 import split_task_ids, tau2_pairs
from judge.pairs.teleqna import McqItem, load_mcq_items, mcq_pairs, open_pairs

__all__ = [
    "Difficulty",
    "McqItem",
    "PairFormat",
    "PairSplit",
    "PreferencePair",
    "Response",
    "detect_format",
    "load_mcq_items",
    "mcq_pairs",
    "open_pairs",
    "read_pairs",
    "split_by_category",
    "split_task_ids",
    "tau2_pairs",
    "write_pairs",
]
