"""`telerubric eval PAIRS --out DIR`: how often a judge configuration prefers chosen over rejected, with reports."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import typer

from judge import (
    EvalMode,
    PreferencePair,
    RubricSource,
    aevaluate,
    criteria_of_learned,
    load_learned,
    load_mcq_items,
    mcq_pairs,
    open_pairs,
    read_pairs,
    split_by_category,
    tau2_pairs,
    write_report,
)
from kb import BarProgress, KnowledgeBase, QueryFilter
from ui.cli.common import cli_errors, open_kb, settings

PAIRS_HELP = (
    "A pairs file (.jsonl / .jsonl.gz: {prompt, chosen, rejected}, JudgeBench, RM-Bench, RewardBench 2, PPE), or a "
    "builder: tau2:DIR[:SPLIT] (gold vs drop-one), teleqna:ZIP or teleqna-open:ZIP (built in memory, held-out "
    "categories with --held-out)."
)


def load_pair_source(spec: str, *, held_out: bool = False, train: bool = False, seed: int = 0) -> list[PreferencePair]:
    """Pairs from a file or a `builder:path` spec (TeleQnA is built in memory; its text is never written).

    TeleQnA builders split by category (`split_by_category`, seeded): `held_out` keeps the held-out categories,
    `train` the others. A τ² spec without a split reads `test`, or `train` with `train`."""
    if held_out and train:
        raise ValueError("choose the held-out or the train pairs, not both")
    kind, _, rest = spec.partition(":")
    if kind == "tau2" and rest:
        folder, _, split = rest.partition(":")
        return tau2_pairs(Path(folder), split=split or ("train" if train else "test"))
    if kind in ("teleqna", "teleqna-open") and rest:
        items = load_mcq_items(Path(rest))
        pairs = (mcq_pairs if kind == "teleqna" else open_pairs)(items, seed=seed)
        if held_out or train:
            split = split_by_category(pairs, seed=seed)
            pairs = list(split.held_out if held_out else split.train)
        return [pairs[i] for i in np.random.default_rng(seed).permutation(len(pairs))]  # --limit takes a sample
    return read_pairs(Path(spec))


def seen_held_out(kb: KnowledgeBase, pairs: Sequence[PreferencePair]) -> str | None:
    """A warning when the KB holds TeleQnA questions of the held-out pairs' categories: retrieved and synthesised
    rubrics could then carry their answers (None when it holds none)."""
    categories = sorted({p.category for p in pairs if p.category})
    if not categories:
        return None
    found = kb.list_queries(QueryFilter(sources=["teleqna"], tags_any=[f"category:{c}" for c in categories], limit=1))
    if not found.total:
        return None
    return (
        f"warning: the KB holds {found.total} TeleQnA question(s) of the held-out categories ({', '.join(categories)}):"
        " retrieved and synthesised rubrics can carry their answers. Judge with a KB built without them (as "
        "bench/eval_teleqna_rubrics.py does)."
    )


def eval_command(
    pairs: str = typer.Argument(..., help=PAIRS_HELP),
    out: Path = typer.Option(..., "--out", help="Folder for report.html, summary.md and report.json."),
    mode: EvalMode = typer.Option(EvalMode.PAIRWISE, "--mode"),
    rubrics: RubricSource = typer.Option(RubricSource.NONE, "--rubrics"),
    granularity: str | None = typer.Option(None, "--granularity", help="response | criterion (default: settings)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Judge only the first N pairs."),
    learned: Path | None = typer.Option(None, "--learned", help="learned.json (or its folder) for --rubrics learned."),
    held_out: bool = typer.Option(False, "--held-out", help="TeleQnA builders: only the held-out categories."),
    no_llm: bool = typer.Option(
        False,
        "--no-llm",
        help="judge.use_llm = false: the reward's conditions (synthesised, pruned) run verifiers only; the others "
        "judge their criteria with the LLM.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Record each judged pair in OUT/outcomes.jsonl and reuse the pairs it already holds (errors are judged "
        "again); rerun the same command to continue a stopped run.",
    ),
) -> None:
    """Judge a labelled pair set and write the report (HTML with plots, Markdown, JSON) into OUT.

    With --resume, every finished pair is appended to OUT/outcomes.jsonl at once, so rerunning the same command
    continues where it stopped; a different configuration (mode, rubrics, granularity, model, ...) is refused."""
    with cli_errors():
        cfg = settings()
        if no_llm:
            cfg = cfg.model_copy(update={"judge": cfg.judge.model_copy(update={"use_llm": False})})
        chosen = load_pair_source(pairs, held_out=held_out, seed=cfg.seed)
        criteria = criteria_of_learned(load_learned(learned)) if learned else []
        needs_kb = rubrics not in (RubricSource.NONE, RubricSource.LEARNED)
        with open_kb(cfg, progress=not as_json) if needs_kb else _nothing() as kb:
            if held_out and kb is not None and (warning := seen_held_out(kb, chosen)):
                typer.echo(warning, err=True)
            report = asyncio.run(
                aevaluate(
                    chosen,
                    cfg,
                    mode=mode,
                    rubrics=rubrics,
                    granularity=granularity,
                    kb=kb,
                    learned=criteria,
                    limit=limit,
                    progress=BarProgress(enabled=not as_json),
                    pairs_source=pairs,
                    checkpoint=out / "outcomes.jsonl" if resume else None,
                )
            )
        command = "telerubric eval " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else None
        paths = write_report(report, out, command=command)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    o = report.overall
    typer.echo(
        f"{report.pairs} pairs ({o.n} decisive): accuracy {o.accuracy}, ties {o.tie_rate}, errors {o.error_rate}, "
        f"swap consistency {o.swap_consistency}, ROC-AUC {o.roc_auc}; report: {paths['html']}"
    )


class _nothing:  # noqa: N801 - a context manager that yields None (no KB needed)
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
