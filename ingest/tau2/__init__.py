"""τ²-bench telecom tasks as queries with conditional fix, end-state and reward-basis rubrics, plus each task's
initial state and base DBs so the KB alone can verify a trajectory."""

from ingest.tau2.conditions import SUBISSUES, SubIssue, assign_conditions
from ingest.tau2.job import ingest_tau2, load_tau2, query_id, resolve_tau2_paths

__all__ = ["SUBISSUES", "SubIssue", "assign_conditions", "ingest_tau2", "load_tau2", "query_id", "resolve_tau2_paths"]
