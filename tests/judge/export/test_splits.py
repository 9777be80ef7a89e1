"""No overlap with the evaluation: the pairs `telerubric eval` judges (built by its own loader, with --held-out for
TeleQnA and τ²'s test split) never appear in a training export, by prompt (TeleQnA, and every generator request)
or by prompt and response (τ², whose 2,285 tasks share five request texts).

Assertions report counts and ids only, so a failure never prints TeleQnA text."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.export import JudgeRows, PairSources, parse_pair_spec
from judge.export.generator import generator_examples, kb_groups
from judge.export.responses import response_text
from judge.export.splits import ExportError
from judge.llm_judge import defuse, pointwise_prompt, screen
from judge.pairs import PreferencePair, split_by_category, split_task_ids
from kb import KnowledgeBase, QueryRecord, load_prompt, neutralise, normalise_text
from retrieval import SYNTHESIS_PROMPT
from ui.cli.eval_cmd import load_pair_source


@pytest.fixture(scope="module")
def evaluation(teleqna_zip: Path, tau2_dir: Path) -> list[PreferencePair]:
    """Every pair the evaluation harness judges, as `telerubric eval` builds them (seed 0)."""
    return [
        *load_pair_source(f"teleqna:{teleqna_zip}", held_out=True, seed=0),
        *load_pair_source(f"teleqna-open:{teleqna_zip}", held_out=True, seed=0),
        *load_pair_source(f"tau2:{tau2_dir}", seed=0),
    ]


def _between(text: str, start: str, end: str) -> str:
    """The block of one of our own template's fences (inputs are fenced, so the tags occur once)."""
    return text.split(start, 1)[1].split(end, 1)[0]


def test_exported_pairs_share_no_question_task_or_category_with_the_evaluation(
    sources: PairSources, evaluation: list[PreferencePair]
) -> None:
    eval_prompts = {normalise_text(p.prompt) for p in evaluation}
    eval_questions = {p.id.rsplit(":", 1)[0] for p in evaluation if p.source.startswith("teleqna")}
    eval_tasks = {p.task_id for p in evaluation if p.task_id}
    teleqna = sources.train["teleqna"]
    assert len(teleqna) > 5000 and len(sources.train["tau2"]) > 300
    assert sum(normalise_text(p.prompt) in eval_prompts for p in teleqna) == 0
    assert sum(p.id.rsplit(":", 1)[0] in eval_questions for p in teleqna) == 0
    assert {p.category for p in teleqna}.isdisjoint(sources.split.teleqna_categories)
    assert sum(p.task_id in eval_tasks for p in sources.train["tau2"]) == 0
    # the split the export holds out is the evaluation's: same categories, same τ² test tasks, every prompt known
    mcq = [p for p in evaluation if p.source == "teleqna-mcq"]
    assert set(sources.split.teleqna_categories) == {p.category for p in mcq}
    assert sources.split.tau2_tasks == eval_tasks
    assert eval_prompts <= sources.split.prompts
    assert set(split_by_category(sources.train["teleqna"] + mcq, seed=0).held_out_categories) == {
        p.category for p in mcq
    }


def test_no_judge_prompt_in_the_export_appears_in_the_evaluation(
    sources: PairSources,
    evaluation: list[PreferencePair],
    teleqna_recs: dict[str, QueryRecord],
    tau2_recs: dict[str, QueryRecord],
) -> None:
    rows = JudgeRows(split=sources.split, teleqna=teleqna_recs, tau2=tau2_recs)
    pairs = sources.train["tau2"] + sources.train["teleqna"][:1500]
    examples = list(rows.examples(pairs, split="train"))
    assert examples[0].meta.prompt == pointwise_prompt().ref
    eval_requests = {normalise_text(defuse(p.prompt)) for p in evaluation if p.source.startswith("teleqna")}
    eval_items = {
        (normalise_text(defuse(p.prompt)), normalise_text(defuse(screen(response_text(r)).text)))
        for p in evaluation
        for r in (p.chosen, p.rejected)
    }
    overlapping = []
    for example in examples:
        request = normalise_text(_between(example.user, "<request>", "</request>"))
        response = normalise_text(_between(example.user, "<response>", "</response>"))
        if (request, response) in eval_items or request in eval_requests:
            overlapping.append(example.meta.item_id)
    assert overlapping == []
    assert rows.skipped["tau2-train: overlaps the evaluation"] > 0  # τ² persona variants repeat test trajectories


def test_no_generator_request_in_the_export_appears_in_the_evaluation(
    kb: KnowledgeBase,
    sources: PairSources,
    evaluation: list[PreferencePair],
    teleqna_recs: dict[str, QueryRecord],
    tau2_recs: dict[str, QueryRecord],
    tau2_dir: Path,
) -> None:
    held_category = sources.split.teleqna_categories[0]
    by_category = sorted(teleqna_recs.values(), key=lambda r: r.query_id)
    held = [r for r in by_category if f"category:{held_category}" in r.tags][:3]
    kept = [r for r in by_category if f"category:{held_category}" not in r.tags][:4]
    tasks = split_task_ids(tau2_dir, "train")[:2] + split_task_ids(tau2_dir, "test")[:2]
    kb.apply([*held, *kept, *(tau2_recs[t] for t in tasks)])
    groups = kb_groups(kb, sources.split)
    train = list(generator_examples(kb, groups, split="train", seed=0))
    held_out = list(generator_examples(kb, groups, split="held_out", seed=0))
    train_ids = {q for e in train for q in e.meta.query_ids}
    assert train_ids == {r.query_id for r in kept}  # every τ² request text is one the evaluation judges
    assert {q for e in held_out for q in e.meta.query_ids} >= {r.query_id for r in held}
    spec = load_prompt(*SYNTHESIS_PROMPT)
    eval_requests = {normalise_text(neutralise(p.prompt, spec.delimiters)) for p in evaluation}
    leaked = [
        e.meta.item_id for e in train if normalise_text(_between(e.user, "<request>", "</request>")) in eval_requests
    ]
    assert leaked == [] and all(e.meta.split == "train" for e in train)


def test_only_verified_builders_are_accepted() -> None:
    assert parse_pair_spec("tau2:/data/tau2:test").path == Path("/data/tau2")
    with pytest.raises(ExportError, match="teleqna:ZIP or tau2:DIR"):
        parse_pair_spec("pairs.jsonl")


def test_learning_reads_only_pairs_the_evaluation_never_judges(
    teleqna_zip: Path, tau2_dir: Path, evaluation: list[PreferencePair]
) -> None:
    """`telerubric learn pairs` loads builders with `train=True`: TeleQnA's train categories, τ²'s train split."""
    learned = [
        *load_pair_source(f"teleqna-open:{teleqna_zip}", train=True, seed=0),
        *load_pair_source(f"tau2:{tau2_dir}", train=True, seed=0),
    ]
    assert learned and not {p.id for p in learned} & {p.id for p in evaluation}
    assert not {p.category for p in learned if p.source.startswith("teleqna")} & {
        p.category for p in evaluation if p.source.startswith("teleqna")
    }
    assert not {p.task_id for p in learned if p.task_id} & {p.task_id for p in evaluation if p.task_id}
    with pytest.raises(ValueError, match="not both"):
        load_pair_source(f"teleqna:{teleqna_zip}", held_out=True, train=True)
