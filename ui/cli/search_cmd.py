"""`telerubric search TEXT`."""

from __future__ import annotations

import typer
from pydantic import TypeAdapter

from kb import Scope, SearchFilter, SearchHit
from ui.cli.common import cli_errors, open_kb

HITS = TypeAdapter(list[SearchHit])


def search(
    text: str = typer.Argument(..., help="The question or rubric text to search for."),
    k: int = typer.Option(10, "--k", min=1, max=1000, help="Results to return."),
    collection: Scope = typer.Option(Scope.BOTH, "--collection", help="queries | rubrics | both"),
    tag: list[str] = typer.Option([], "--tag", help="Keep rows with any of these tags (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of SearchHit."),
) -> None:
    """Hybrid (dense + BM25, RRF) search over the knowledge base."""
    with cli_errors(), open_kb(progress=False) as kb:
        hits = kb.search(text, k=k, scope=collection, filters=SearchFilter(tags_any=tag))
    if as_json:
        typer.echo(HITS.dump_json(hits, indent=2).decode())
        return
    for rank, hit in enumerate(hits, start=1):
        label = hit.kind or "query"
        typer.echo(
            f"{rank:2d}. [{hit.collection.value}:{label}] {hit.score:.4f} {hit.id}  "
            f"{hit.text[:110]}{'…' if len(hit.text) > 110 else ''}"
        )
