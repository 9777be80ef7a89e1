"""τ²-bench telecom tasks as queries with gold tool-call, end-state and reward-basis rubrics."""

from ingest.tau2.job import ingest_tau2, load_tau2, query_id, resolve_tau2_paths
from ingest.tau2.rubrics import criteria_from_checks

__all__ = ["criteria_from_checks", "ingest_tau2", "load_tau2", "query_id", "resolve_tau2_paths"]
