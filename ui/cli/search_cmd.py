"""`telerubric search TEXT`: the neighbours the reward's retrieval finds, as flat hits."""

from __future__ import annotations

import typer
from pydantic import TypeAdapter

from kb import Scope, SearchFilter, SearchHit
from retrieval import Retriever
from ui.cli.common import cli_errors, open_kb, settings

HITS = TypeAdapter(list[SearchHit])


def search(
    text: str = typer.Argument(..., help="The question or rubric text to search for."),
    k: int | None = typer.Option(
        None, "--k", min=1, max=500, help="Results per collection (default: retrieval.k_queries / k_rubrics)."
    ),
    collection: Scope = typer.Option(Scope.BOTH, "--collection", help="queries | rubrics | both"),
    tag: list[str] = typer.Option([], "--tag", help="Keep rows with any of these tags (repeatable)."),
    status: list[str] = typer.Option([], "--status", help="Rubric statuses (default: retrieval.statuses)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of SearchHit."),
) -> None:
    """Search both collections with the retrieval the reward uses (dense + BM25, RRF, then the reranker)."""
    with cli_errors():
        cfg = settings()
        if k is not None:
            cfg = cfg.model_copy(
                update={"retrieval": cfg.retrieval.model_copy(update={"k_queries": k, "k_rubrics": k})}
            )
        with open_kb(cfg, progress=False) as kb, Retriever(kb, record_usage=False) as retriever:
            hits = retriever.search(text, scope=collection, filters=SearchFilter(tags_any=tag, statuses=status))
    if as_json:
        typer.echo(HITS.dump_json(hits, indent=2).decode())
        return
    typer.echo(render_hits(hits))


def render_hits(hits: list[SearchHit]) -> str:
    """One line per hit: rank, collection and kind, score, why it matched (dense / BM25 rank), id and text."""
    lines = []
    for rank, hit in enumerate(hits, start=1):
        label = hit.kind or "query"
        why = f"dense #{hit.dense_rank or '-'} bm25 #{hit.bm25_rank or '-'}"
        lines.append(
            f"{rank:2d}. [{hit.collection.value}:{label}] {hit.score:.4f} ({why}) {hit.id}  "
            f"{hit.text[:100]}{'…' if len(hit.text) > 100 else ''}"
        )
    return "\n".join(lines) or "(no results)"
