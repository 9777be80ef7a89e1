"""Measured run: what rubrics buy the LLM judge on held-out TeleQnA pairs (issue 11).

The pairs are TeleQnA as open questions (options removed; the right option and its explanation are the judge's
reference; a right and a wrong free-form answer). Whole categories are held out: the KB holds the expert examples,
the policy pack and TeleQnA questions of the *other* categories only, so no held-out question (or its answer key) can
be retrieved. The same pairs are judged pointwise with no rubrics (generic criteria), the retrieved rubrics, the
synthesised + pruned set (the default reward) and rubrics learned from training-category pairs.

The conditions advance together, `--chunk` pairs at a time, and the comparison is rewritten after each chunk, so a
stopped run has every condition over the same pairs. With `--work`, the KB, the learned rubrics and each condition's
judged pairs (`WORK/<condition>.jsonl`) are kept: rerunning the identical command continues where it stopped.
`--checkpoints` puts the judged pairs elsewhere: the repository keeps them in `bench/checkpoints/held-out-rubrics/`
(ids and scores only), so the 200 pairs accumulate across machines whose work folders are not kept. Each file's
header holds the KB's content digest (and the learned set's): a KB rebuilt from the same data on another machine
reuses them, a different one is refused. The learned set is pinned there too (`learned.json`, without the
pair-specific rubrics, which quote TeleQnA), since the local model does not learn the same set twice. `--report-only`
judges nothing: it rewrites the comparison from the checkpoints (the zip still gives the pairs' order).

    .venv/bin/python -m bench.eval_teleqna_rubrics --pairs 200 --chunk 5 --work /tmp/eval-teleqna \
        --checkpoints bench/checkpoints/held-out-rubrics --out bench/results/eval_teleqna

TeleQnA's text is read from the encrypted zip in memory; nothing here writes or prints it (reports hold pair ids).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ingest import ingest_expert_files, load_teleqna, write_records
from judge import (
    alearn_from_pairs,
    criteria_of_learned,
    evaluate,
    load_learned,
    load_mcq_items,
    open_pairs,
    split_by_category,
    stored_reports,
    write_comparison,
)
from kb import InputProblem, KnowledgeBase, LLMClient, QueryRecord, RubricStatus, Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("TELERUBRIC_SHARED_DIR", ROOT.parent / "shared"))
EXPERT = [ROOT / "docs/examples" / f"expert_rubrics.{ext}" for ext in ("jsonl", "csv", "yaml")]
POLICY = ROOT / "ingest/packs/telecom_policy.yaml"
CONDITIONS = ("none", "retrieved", "pruned", "learned")


def _category(record: QueryRecord) -> str:
    return next((t.split(":", 1)[1] for t in record.tags if t.startswith("category:")), "")


def build_kb(kb: KnowledgeBase, zip_path: Path, held_out: set[str], sample: int, seed: int) -> int:
    """Expert examples, the policy pack, and `sample` TeleQnA questions from the training categories."""
    ingest_expert_files(kb, EXPERT)
    ingest_expert_files(kb, [POLICY], status=RubricStatus.APPROVED, source="policy")
    problems: list[InputProblem] = []
    located = load_teleqna(zip_path, problems=problems, notes=[])
    train = [loc for loc in located if isinstance(loc[2], QueryRecord) and _category(loc[2]) not in held_out]
    rng = np.random.default_rng(seed)
    chosen = [train[i] for i in sorted(rng.choice(len(train), size=min(sample, len(train)), replace=False))]
    write_records(kb, "teleqna", [str(zip_path)], chosen, problems)
    return len(chosen)


def learn(
    kb: KnowledgeBase, settings: Settings, pairs: list, folder: Path, rounds: int, seed: int, pinned: Path
) -> list:
    """Learned rubrics from training-category pairs (resumable in `folder`), as judge criteria. They stay in
    `folder`, out of the KB: as drafts there they would be retrieved, and `retrieved` / `pruned` would judge them.

    The set is pinned in `pinned` beside the checkpoints, without the pair-specific rubrics it dropped (those quote
    TeleQnA): the local model does not learn the same set twice on different machines, and the `learned`
    checkpoint holds the set's digest, so a later run judges with the pinned set instead of learning again."""
    if pinned.is_file():
        learned_set = load_learned(pinned)
        if (learned_set.seed, learned_set.pairs) != (seed, len(pairs)):
            raise SystemExit(
                f"{pinned}: learned with seed {learned_set.seed} from {learned_set.pairs} pairs; this run asks for "
                f"seed {seed} and {len(pairs)} pairs: use another --checkpoints folder, or delete the file to relearn."
            )
        print(f"learned: {len(learned_set.rubrics)} rubrics pinned in {pinned} ({learned_set.model}); not learning")
        return criteria_of_learned(learned_set)
    started = time.perf_counter()
    client = LLMClient.from_settings(settings)
    report = asyncio.run(alearn_from_pairs(pairs, client, kb, folder, rounds=rounds, seed=seed, write=False))
    learned_set = load_learned(folder)
    learned = criteria_of_learned(learned_set)
    print(  # counts only: rubric texts can quote TeleQnA, which is never logged
        f"learned {len(learned)} rubrics from {len(pairs)} pairs in {time.perf_counter() - started:.0f} s: "
        f"{report.resumed} resumed, {report.ran} ran, {report.failed} failed, {report.converged} converged, "
        f"{learned_set.pool} pooled, {len(learned_set.pair_specific)} quoting their own pair dropped"
    )
    if learned:
        pinned.parent.mkdir(parents=True, exist_ok=True)
        pinned.write_text(learned_set.model_copy(update={"pair_specific": ()}).model_dump_json(indent=1) + "\n")
    return learned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, default=SHARED / "data/teleqna/TeleQnA.zip")
    parser.add_argument("--pairs", type=int, default=200, help="held-out pairs to judge")
    parser.add_argument("--kb-sample", type=int, default=2000, help="training-category TeleQnA questions in the KB")
    parser.add_argument("--learn-pairs", type=int, default=12, help="training-category pairs to learn rubrics from")
    parser.add_argument("--rounds", type=int, default=2, help="propose-evaluate-revise rounds when learning")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help=f"in this order; any of {CONDITIONS}")
    parser.add_argument("--mode", default="pointwise", choices=("pointwise", "pairwise"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=20, help="pairs each condition judges before each report")
    parser.add_argument(
        "--work", type=Path, default=None, help="keep the KB, learned rubrics and judged pairs here (resumable)"
    )
    parser.add_argument("--checkpoints", type=Path, default=None, help="the conditions' judged pairs (default: --work)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/eval_teleqna")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="judge nothing: rewrite the comparison from the checkpoints, over the pairs every condition has judged",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        parser.error(f"unknown conditions {sorted(unknown)}; choose from {CONDITIONS}")
    if args.chunk < 1:
        parser.error("--chunk must be at least 1")
    if args.report_only and not (args.checkpoints or args.work):
        parser.error("--report-only reads the checkpoints: give --checkpoints or --work")

    items = load_mcq_items(args.zip)
    split = split_by_category(open_pairs(items, seed=args.seed), seed=args.seed)
    rng = np.random.default_rng(args.seed)
    held = [split.held_out[i] for i in rng.permutation(len(split.held_out))[: args.pairs]]
    learn_from = [split.train[i] for i in rng.permutation(len(split.train))[: args.learn_pairs]]
    print(f"held-out categories {split.held_out_categories}: {len(split.held_out)} pairs, judging {len(held)}")

    locations = ("zip", "work", "checkpoints", "out", "report_only")
    command = "python -m bench.eval_teleqna_rubrics " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in locations and v
    )
    source = f"TeleQnA open, held-out categories {', '.join(split.held_out_categories)}"
    title = "TeleQnA held-out pairs: what rubrics buy"
    if args.report_only:
        files = [(args.checkpoints or args.work) / f"{condition}.jsonl" for condition in conditions]
        reports = stored_reports(files, [pair.id for pair in held], source)
        for r in reports:
            o = r.overall
            print(f"{r.config.rubrics}: pairs={r.pairs} accuracy={o.accuracy} auc={o.roc_auc} ties={o.tie_rate}")
        print("report:", write_comparison(reports, args.out, title=title, command=command)["html"])
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="eval-teleqna-"))
    checkpoints = args.checkpoints or work
    # no usage counting: judging one condition must not change what pruning keeps for the next
    settings = load_settings(data_dir=work / "kb", retrieval={"record_usage": False}, judge={"record_usage": False})
    try:
        with KnowledgeBase(settings) as kb:
            if not kb.query_ids():
                started = time.perf_counter()
                n = build_kb(kb, args.zip, set(split.held_out_categories), args.kb_sample, args.seed)
                took = time.perf_counter() - started
                print(f"KB: {n} training-category TeleQnA questions + expert + policy in {took:.0f} s")
            learned = []
            if "learned" in conditions:
                pinned = checkpoints / "learned.json"
                learned = learn(kb, settings, learn_from, work / "learned", args.rounds, args.seed, pinned)
                if not learned:
                    print("learned: no rubric survived the consistency filter; the condition is skipped")
                    conditions.remove("learned")
            for n in [*range(args.chunk, len(held), args.chunk), len(held)]:
                reports = []
                for condition in conditions:
                    reports.append(
                        evaluate(
                            held[:n],
                            settings,
                            kb=kb,
                            mode=args.mode,
                            rubrics=condition,
                            learned=learned if condition == "learned" else (),
                            pairs_source=source,
                            checkpoint=checkpoints / f"{condition}.jsonl",
                        )
                    )
                    r = reports[-1]
                    o = r.overall
                    print(
                        f"{r.config.mode}/{r.config.rubrics}: pairs={r.pairs} accuracy={o.accuracy} auc={o.roc_auc} "
                        f"ties={o.tie_rate} errors={o.error_rate} time={r.seconds}s "
                        f"tokens={r.input_tokens}/{r.output_tokens}",
                        flush=True,
                    )
                paths = write_comparison(reports, args.out, title=title, command=command)  # after each chunk
                print("report:", paths["html"], flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
