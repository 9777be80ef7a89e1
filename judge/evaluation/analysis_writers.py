"""Rubric analysis writers: `analysis.json`, a Markdown table sorted by contribution, plots (coverage vs precision,
contribution per rubric) and a self-contained HTML page built with the evaluation report's helpers."""

from __future__ import annotations

import base64
from pathlib import Path

from judge.evaluation.analysis import AnalysisReport, RubricAnalysis
from judge.evaluation.writers import figure_png, html_page, percent

MAX_BARS = 30  # rubrics in the contribution chart (the largest |contribution|)
MAX_TEXT = 90  # characters of rubric text in the Markdown table


def _cell(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:+.1f} pp"


def _rate(rubric: RubricAnalysis, name: str) -> str:
    return "—" if rubric.usage is None else percent(getattr(rubric.usage, name))


def markdown_analysis(report: AnalysisReport, title: str = "Rubric analysis", command: str | None = None) -> str:
    """The run's summary, then one row per rubric (sorted by contribution, highest first)."""
    c = report.config
    lines = [f"# {title}", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        f"Rubrics: **{c.rubrics}** (pointwise, granularity {c.granularity}), judge `{c.model}`, "
        f"pairs source {c.pairs_source or '—'}.",
        "",
        f"Pairs judged: {report.pairs}; labelled: {report.labelled}; with verdicts on both sides: {report.judged}. "
        f"Accuracy recomputed from the verdicts: {percent(report.accuracy)} "
        f"(harness: {percent(report.overall.accuracy)}, ties {percent(report.overall.tie_rate)}, "
        f"errors {percent(report.overall.error_rate)}). "
        f"Tokens {report.input_tokens}/{report.output_tokens}, {report.seconds:.1f} s.",
        "",
        "Coverage: share of judged pairs the rubric decides (met for one response, not met for the other). "
        "Precision: share of its decisions that pick the labelled chosen response. Contribution: accuracy drop "
        "when it is removed (recomputed from the same verdicts). Retrieval and met rates: the KB's usage statistics.",
        "",
        "| rubric | kind | importance | present | coverage | precision | contribution | retrieval rate | met rate "
        "| text |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r.id}`{'' if r.in_kb else ' (not in KB)'} | {r.kind} | {r.importance} | {r.n_pairs_present} | "
        f"{percent(r.coverage)} | {percent(r.precision)} | {_signed(r.contribution)} | {_rate(r, 'retrieval_rate')} | "
        f"{_rate(r, 'met_rate')} | {_cell(r.text)} |"
        for r in report.rubrics
    ]
    if not report.rubrics:
        lines += ["", "No rubric was judged: every pair failed or no rubric set was built."]
    return "\n".join(lines) + "\n"


def analysis_plots(report: AnalysisReport) -> list[tuple[str, str]]:
    """(caption, base64 PNG): coverage vs precision (size = pairs present, colour = contribution), and the
    contribution of the rubrics with the largest |contribution|."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    out: list[tuple[str, str]] = []
    decided = [r for r in report.rubrics if r.precision is not None]
    never = len(report.rubrics) - len(decided)
    fig, ax = plt.subplots(figsize=(5.6, 4))
    if decided:
        contrib = np.array([r.contribution or 0.0 for r in decided])
        limit = max(float(np.abs(contrib).max()), 1e-9)
        dots = ax.scatter(
            [r.coverage or 0.0 for r in decided],
            [r.precision for r in decided],
            s=[20 + 180 * r.n_pairs_present / max(1, report.judged) for r in decided],
            c=contrib,
            cmap="RdYlGn",
            vmin=-limit,
            vmax=limit,
            edgecolors="#333",
            linewidths=0.4,
        )
        fig.colorbar(dots, ax=ax, label="contribution (accuracy)")
    ax.axhline(0.5, color="#999", linewidth=0.8, linestyle="--")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("coverage (share of pairs decided)")
    ax.set_ylabel("precision (decisions agreeing with the label)")
    ax.set_title(f"Coverage vs precision ({len(decided)} rubrics; {never} never decide)", fontsize=9)
    out.append(("Coverage vs precision per rubric (size: pairs present; colour: contribution).", figure_png(fig)))

    ranked = sorted(
        (r for r in report.rubrics if r.contribution is not None), key=lambda r: -abs(r.contribution or 0.0)
    )[:MAX_BARS]
    if ranked:
        ranked.sort(key=lambda r: r.contribution or 0.0)
        fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(ranked) + 1)))
        values = [100 * (r.contribution or 0.0) for r in ranked]
        ax.barh(
            np.arange(len(ranked)), values, color=["#2a7" if v > 0 else "#c44" if v < 0 else "#bbb" for v in values]
        )
        ax.set_yticks(np.arange(len(ranked)), [_cell(r.id, 28) for r in ranked], fontsize=7)
        ax.axvline(0, color="#333", linewidth=0.8)
        ax.set_xlabel("accuracy drop without the rubric (percentage points)")
        ax.set_title(f"Contribution per rubric (top {len(ranked)} by |contribution|)", fontsize=9)
        out.append(("Contribution of each rubric: how much accuracy falls without it.", figure_png(fig)))
    return out


PLOT_FILES = ("coverage_precision.png", "contribution.png")


def write_analysis(
    report: AnalysisReport, out: Path | str, *, title: str = "Rubric analysis", command: str | None = None
) -> dict[str, Path]:
    """Write `analysis.json`, `analysis.md`, `analysis.html` and the plots as PNG into `out`."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "analysis.json", "markdown": folder / "analysis.md", "html": folder / "analysis.html"}
    paths["json"].write_text(report.model_dump_json(indent=1) + "\n", encoding="utf-8")
    md = markdown_analysis(report, title, command)
    paths["markdown"].write_text(md, encoding="utf-8")
    figures = analysis_plots(report)
    paths["html"].write_text(html_page(title, markdown_analysis(report, title), figures, command), encoding="utf-8")
    for name, (_, png) in zip(PLOT_FILES, figures, strict=False):
        paths[name.removesuffix(".png")] = folder / name
        paths[name.removesuffix(".png")].write_bytes(base64.b64decode(png))
    return paths
