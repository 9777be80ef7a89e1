"""`telerubric rubrics QUESTION`: the synthesised rubric set, the neighbours it came from and what pruning removed."""

from __future__ import annotations

import asyncio
import time

import typer
from pydantic import BaseModel, Field

from kb import EnvironmentProblem, KnowledgeBase, LLMClient, SearchFilter
from retrieval import Neighbours, RubricSet, SynthesisErrorKind, abuild_rubric_set, retrieve
from ui.cli.common import cli_errors, open_kb, settings

# Synthesis faults that mean the model cannot be used at all: exit 3, not a silent fallback.
ENVIRONMENT_KINDS = frozenset({SynthesisErrorKind.CONFIG, SynthesisErrorKind.UNAVAILABLE})


class RubricsOutput(BaseModel):
    """What `telerubric rubrics --json` prints."""

    rubric_set: RubricSet
    neighbours: Neighbours
    seconds: float = Field(description="Wall time of retrieval and synthesis.")


def rubrics(
    question: str = typer.Argument(..., help="The telecom request to write rubrics for."),
    as_json: bool = typer.Option(False, "--json", help="Print one RubricsOutput JSON document."),
    explain: bool = typer.Option(False, "--explain", help="Also show the neighbours and the rubrics offered."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore cached rubric sets (a success is still stored)."),
    tag: list[str] = typer.Option([], "--tag", help="Neighbours with any of these tags (repeatable)."),
    status: list[str] = typer.Option([], "--status", help="Rubric statuses (default: retrieval.statuses)."),
) -> None:
    """Synthesise the rubric set for QUESTION (starts the embedded LLM server when no llm.base_url is set)."""
    with cli_errors():
        cfg = settings()
        started = time.perf_counter()
        with open_kb(cfg, progress=False) as kb:
            neighbours, rubric_set = asyncio.run(
                _build(
                    kb, LLMClient.from_settings(cfg), question, no_cache, SearchFilter(tags_any=tag, statuses=status)
                )
            )
        if rubric_set.error is not None and rubric_set.error.kind in ENVIRONMENT_KINDS:
            raise EnvironmentProblem(
                f"cannot use the LLM ({rubric_set.error.message}); "
                "check llm.gguf_path / llm.base_url with `telerubric llm status`"
            )
        output = RubricsOutput(
            rubric_set=rubric_set, neighbours=neighbours, seconds=round(time.perf_counter() - started, 2)
        )
    typer.echo(output.model_dump_json(indent=2) if as_json else render(output, explain=explain))


async def _build(
    kb: KnowledgeBase, client: LLMClient, question: str, no_cache: bool, filters: SearchFilter
) -> tuple[Neighbours, RubricSet]:
    try:
        neighbours = await asyncio.to_thread(retrieve, kb, question, filters=filters)
        return neighbours, await abuild_rubric_set(kb, client, question, neighbours=neighbours, use_cache=not no_cache)
    finally:
        await client.aclose()


def render(output: RubricsOutput, *, explain: bool = False) -> str:
    """Plain-text view: items, how they were made, what pruning removed; neighbours with `explain`."""
    rs = output.rubric_set
    lines = [f"Rubrics for: {rs.question}"]
    for n, item in enumerate(rs.items, start=1):
        lines.append(f"{n:2d}. [{item.kind} · {item.importance} · {item.weight:g}] {item.text}")
        extra = f"from: {', '.join(item.derived_from) or '(new)'}"
        if item.check is not None:
            extra += f"   check: {item.check.type}" + (f" {item.check.name}" if hasattr(item.check, "name") else "")
        lines.append(f"      {extra}")
    how = f"{rs.generator} ({rs.prompt}), from cache" if rs.cached else f"{rs.generator} ({rs.prompt})"
    tokens = f", {rs.usage.input_tokens}+{rs.usage.output_tokens} tokens" if rs.usage else ""
    lines.append(
        f"-- {len(rs.items)} items by {how}{tokens}, KB v{rs.kb_version}, {output.seconds:.1f} s; "
        f"merged {rs.merged}, dropped {rs.dropped}"
    )
    if rs.fallback and rs.error is not None:
        lines.append(f"-- FALLBACK to retrieved rubrics: synthesis failed ({rs.error.kind}: {rs.error.message})")
    lines.append(f"-- pruned {len(rs.pruned)} rubric(s)" + (":" if rs.pruned else ""))
    for p in rs.pruned:
        rate = (
            f"retrieval rate {p.retrieval_rate:.3f}"
            if p.reason in ("too_rare", "too_common")
            else f"met rate {p.met_rate:.3f}"
        )
        lines.append(f"   {p.reason:<10} {p.rubric_id} ({rate}, threshold {p.threshold:g}): {p.text[:80]}")
    if explain:
        lines += _explain(output.neighbours, rs)
    return "\n".join(lines)


def _explain(neighbours: Neighbours, rs: RubricSet) -> list[str]:
    offered = {rubric_id: n for n, rubric_id in enumerate(rs.offered, start=1)}
    mark = lambda rid: f"#{offered[rid]}" if rid in offered else "  -"  # noqa: E731
    lines = [f"-- neighbours (reranker {neighbours.reranker}); #n = number in the generator prompt"]
    for q in neighbours.queries:
        lines.append(f"   query {q.query.id} score {q.score:.3f}: {q.query.text[:90]}")
        lines += [f"      {mark(r.id):>4} {r.id} [{r.kind}] {r.text[:90]}" for r in q.rubrics]
    for r in neighbours.rubrics:
        lines.append(
            f"   rubric {mark(r.rubric.id):>4} {r.rubric.id} score {r.score:.3f} [{r.rubric.kind}] {r.rubric.text[:80]}"
        )
    return lines
