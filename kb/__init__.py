"""The rubric knowledge base: settings, SQL tables, the two Milvus collections, embedders and the store API."""

from kb.errors import EnvironmentProblem, InputProblem, InputRejected, TelerubricError
from kb.hits import HitDelta, HitStats
from kb.records import (
    ChoiceCheck,
    EnvAssertionCheck,
    Importance,
    MachineCheck,
    NumericCheck,
    Provenance,
    QueryRecord,
    RewardBasisCheck,
    RubricKind,
    RubricRecord,
    RubricStatus,
    ToolCallCheck,
)
from kb.search import Scope, SearchFilter, SearchHit
from kb.settings import Settings, load_settings
from kb.store import KnowledgeBase
from kb.views import QueryView, RubricView

__all__ = [
    "ChoiceCheck",
    "HitDelta",
    "HitStats",
    "QueryView",
    "RubricView",
    "EnvAssertionCheck",
    "EnvironmentProblem",
    "Importance",
    "InputProblem",
    "InputRejected",
    "KnowledgeBase",
    "MachineCheck",
    "NumericCheck",
    "Provenance",
    "QueryRecord",
    "RewardBasisCheck",
    "RubricKind",
    "RubricRecord",
    "RubricStatus",
    "Scope",
    "SearchFilter",
    "SearchHit",
    "Settings",
    "TelerubricError",
    "ToolCallCheck",
    "load_settings",
]
