"""`telerubric export sft`: SFT data for the rubric generator and the judge (LLaMA-Factory / TRL layouts)."""

from __future__ import annotations

from pathlib import Path

import typer

from judge import ExportTarget, SftFormat, export_sft, load_learned
from kb import BarProgress
from ui.cli.common import cli_errors, open_kb, settings

export_app = typer.Typer(help="Export training data for the rubric generator and the judge.", no_args_is_help=True)

PAIRS_HELP = (
    "A verified pair source, repeatable: teleqna:ZIP (MCQ pairs; the option check decides) or tau2:DIR (gold vs "
    "drop-one; the tool-call checks decide). It also fixes the evaluation's split, which is never exported for "
    "training: TeleQnA's held-out categories (as `telerubric eval teleqna:ZIP --held-out`) and τ²'s test split. "
    "Required for a KB holding TeleQnA or τ² queries."
)
FORMAT_HELP = (
    "sharegpt: {conversations: [{from: human|gpt, value}], system}; alpaca: {instruction, input, output, system}; "
    "messages: {messages: [{role, content}]} (TRL SFTTrainer's conversational format)."
)


@export_app.command("sft")
def export_sft_command(
    what: ExportTarget = typer.Option(..., "--what", help="generator (request → rubric set) or judge (→ verdicts)."),
    fmt: SftFormat = typer.Option(..., "--format", help=FORMAT_HELP),
    out: Path = typer.Option(..., "--out", help="JSON Lines file of training examples."),
    held_out_out: Path | None = typer.Option(
        None, "--held-out-out", help="Also write the evaluation's items (never train on them) to this file."
    ),
    pairs: list[str] = typer.Option([], "--pairs", help=PAIRS_HELP),
    learned: Path | None = typer.Option(
        None, "--learned", help="Generator: learned.json (or its folder); its validated rubrics become targets."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the pair builders and split (default: settings)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Write at most N examples per file."),
    as_json: bool = typer.Option(False, "--json", help="Print the export report as JSON on stdout."),
) -> None:
    """Write SFT examples (JSON Lines) for the rubric generator or the judge.

    generator: request + retrieved neighbours -> the approved or learned
    rubric set, rendered with the synthesis prompt used at inference.

    judge: request, response, rubric set -> per-criterion verdicts that a
    verifier decided, rendered with the pointwise judge prompt.

    Each row has `metadata`: source, pair / query / rubric ids, and what
    decided each target item.

    dataset_info.json (LLaMA-Factory) next to each file gets an entry named
    after the file: sharegpt -> formatting sharegpt, columns {messages:
    conversations, system: system}, tags from/value/human/gpt; alpaca ->
    formatting alpaca, columns {prompt: instruction, query: input, response:
    output, system: system}; messages -> formatting sharegpt, columns
    {messages: messages}, tags role/content/user/assistant/system.
    TRL: load_dataset("json", data_files=OUT) gives SFTTrainer's columns.

    With teleqna:ZIP the files hold TeleQnA text: they are your own output;
    keep them out of version control.
    """
    with cli_errors():
        cfg = settings()
        learned_set = load_learned(learned) if learned is not None else None
        common = {
            "pairs": pairs,
            "seed": cfg.seed if seed is None else seed,
            "held_out_out": held_out_out,
            "learned": learned_set,
            "limit": limit,
            "progress": BarProgress(enabled=not as_json),
        }
        if what is ExportTarget.GENERATOR:
            with open_kb(cfg, progress=not as_json) as kb:
                report = export_sft(what, fmt, out, kb=kb, **common)
        else:
            report = export_sft(what, fmt, out, **common)
    if any(p.startswith("teleqna:") for p in pairs):
        typer.echo("note: the export holds TeleQnA text; keep it out of version control", err=True)
    if as_json:
        typer.echo(report.model_dump_json())
        return
    held = f", {report.held_out_rows} held out in {report.held_out_out}" if report.held_out_out else ""
    skipped = sum(report.skipped.values())
    typer.echo(
        f"{report.rows} {report.what} examples ({report.format}) in {report.out}{held}; {skipped} items skipped; "
        f"LLaMA-Factory: {', '.join(report.dataset_info)}"
    )
