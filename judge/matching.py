"""Which KB query a request *is*, so its machine checks may be applied to the response.

A request adopts the checks of a KB query found by its task id, by identical text, or as the nearest query
neighbour at `judge.match_similarity` or above. A check from a merely similar neighbour is never applied: when
several queries tie for the match and their checks differ (τ² tasks share five texts over 2,285 tasks), no
check is adopted and the reason says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kb import KnowledgeBase, MachineCheck, QueryView, RubricView
from retrieval import Neighbours


@dataclass(frozen=True)
class QueryMatch:
    """The KB query a request is (or None), its checked rubrics in link order, and how it was found."""

    query: QueryView | None
    checked: tuple[RubricView, ...]
    how: str  # "task_id" | "text" | "similarity 0.991" | why nothing matched

    @property
    def checks(self) -> list[MachineCheck]:
        return [r.check for r in self.checked if r.check is not None]


NO_MATCH = QueryMatch(query=None, checked=(), how="no KB query is this request")


def match_query(
    kb: KnowledgeBase,
    request: str,
    *,
    task_id: str | None,
    neighbours: Neighbours | None,
    min_similarity: float,
) -> QueryMatch:
    """The KB query `request` is. Raises nothing: an unknown task id is a miss the caller reports."""
    if task_id is not None:
        found = kb.find_queries(dataset_id=task_id)
        if not found:
            return QueryMatch(query=None, checked=(), how=f"task id {task_id!r} is not in the knowledge base")
        return _pick(kb, list(found.values()), "task_id")
    exact = kb.find_queries(text=request.strip())
    if exact:
        return _pick(kb, list(exact.values()), "text")
    if neighbours is None:
        return NO_MATCH
    close = [q for q in neighbours.queries if q.similarity is not None and q.similarity >= min_similarity]
    if not close:
        best = max((q.similarity or -1.0 for q in neighbours.queries), default=None)
        return QueryMatch(
            query=None,
            checked=(),
            how="no KB query is this request"
            + (f" (nearest cosine {best:.3f} < {min_similarity:g})" if best is not None else ""),
        )
    top = max(q.similarity or 0.0 for q in close)
    tied = [q.query for q in close if (q.similarity or 0.0) >= top - 1e-4]
    return _pick(kb, tied, f"similarity {top:.3f}")


def _pick(kb: KnowledgeBase, queries: Sequence[QueryView], how: str) -> QueryMatch:
    """One query, or several whose machine checks are identical (then the first); else no match."""
    rubric_ids = list(dict.fromkeys(r for q in queries for r in q.rubric_ids))
    views = kb.rubrics(rubric_ids)
    per_query = [tuple(views[r] for r in q.rubric_ids if r in views and views[r].check is not None) for q in queries]
    signatures = {tuple(r.check.model_dump_json() for r in checked) for checked in per_query}
    if len(signatures) > 1:
        return QueryMatch(
            query=None,
            checked=(),
            how=f"{len(queries)} KB queries match by {how} with different checks; give the task id",
        )
    return QueryMatch(query=queries[0], checked=per_query[0], how=how)
