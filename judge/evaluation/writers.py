"""Report writers: JSON for machines, a Markdown summary, and a self-contained HTML page with matplotlib plots
embedded as base64 PNG. Several runs side by side (`write_comparison`) share the same writers."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

from judge.evaluation.report import EvalReport, Metrics


def percent(value: float | None) -> str:
    """A share as `12.5%`; `—` for None."""
    return "—" if value is None else f"{100 * value:.1f}%"


def number(value: float | None) -> str:
    """A number with three decimals; `—` for None."""
    return "—" if value is None else f"{value:.3f}"


def label_of(report: EvalReport) -> str:
    c = report.config
    if c.backend != "rubric":
        return f"{c.mode}/{c.backend} baseline"
    verifiers = "" if c.use_llm else " (verifiers only)"
    return f"{c.mode}/{c.rubrics}{verifiers}"


_HEAD = "| run | pairs | accuracy | answered acc. | ties | errors | swap consistency | ROC-AUC | tokens in/out | time |"


def _row(name: str, m: Metrics, r: EvalReport) -> str:
    return (
        f"| {name} | {m.n} | {percent(m.accuracy)} | {percent(m.accuracy_answered)} | {percent(m.tie_rate)} | "
        f"{percent(m.error_rate)} | {percent(m.swap_consistency)} | {number(m.roc_auc)} | "
        f"{r.input_tokens}/{r.output_tokens} | {r.seconds:.1f} s |"
    )


def markdown_summary(reports: Sequence[EvalReport], title: str = "Evaluation") -> str:
    """A Markdown table of the runs, then each run's per-category (and difficulty / best-of-n) breakdown."""
    lines = [f"# {title}", "", _HEAD, "|" + "---|" * 10]
    lines += [_row(label_of(r), r.overall, r) for r in reports]
    for r in reports:
        lines += ["", f"## {label_of(r)} — model `{r.config.model}`, granularity {r.config.granularity}", ""]
        lines += [f"Pairs judged: {r.pairs} ({r.overall.n} decisive). Source: {r.config.pairs_source or '—'}."]
        if r.best_of_n is not None:
            lines += [f"Best-of-n accuracy: {percent(r.best_of_n)}."]
        for name, table in (("category", r.by_category), ("difficulty", r.by_difficulty)):
            if table:
                lines += ["", f"| {name} | pairs | accuracy | ties | errors |", "|---|---|---|---|---|"]
                lines += [
                    f"| {k} | {m.n} | {percent(m.accuracy)} | {percent(m.tie_rate)} | {percent(m.error_rate)} |"
                    for k, m in table.items()
                ]
    return "\n".join(lines) + "\n"


def figure_png(fig: object) -> str:
    """A matplotlib figure as base64 PNG (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")  # type: ignore[attr-defined]
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.close(fig)  # type: ignore[arg-type]
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(reports: Sequence[EvalReport]) -> list[tuple[str, str]]:
    """(caption, base64 PNG) per plot: accuracy / tie / error per run, accuracy per category, score histograms."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    out: list[tuple[str, str]] = []
    names = [label_of(r) for r in reports]
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(reports) + 2), 3.4))
    x = np.arange(len(reports))
    for offset, (key, colour) in enumerate((("accuracy", "#2a7"), ("tie_rate", "#bbb"), ("error_rate", "#c44"))):
        values = [getattr(r.overall, key) or 0.0 for r in reports]
        bars = ax.bar(x + (offset - 1) * 0.27, values, 0.27, label=key.replace("_", " "), color=colour)
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], fontsize=7)
    ax.set_xticks(x, names, rotation=15, fontsize=8)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share of decisive pairs")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Chosen preferred (accuracy), ties and errors per run")
    out.append(("Accuracy, tie rate and error rate per run.", figure_png(fig)))

    categories = sorted({c for r in reports for c in r.by_category})
    if categories and len(categories) <= 30:
        fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(categories) + 2), 3.4))
        width = 0.8 / len(reports)
        for i, r in enumerate(reports):
            values = [(r.by_category.get(c).accuracy or 0.0) if c in r.by_category else 0.0 for c in categories]
            ax.bar(np.arange(len(categories)) + i * width, values, width, label=names[i])
        ax.set_xticks(np.arange(len(categories)) + 0.4 - width / 2, categories, rotation=20, fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=7)
        ax.set_title("Accuracy per category")
        out.append(("Accuracy per category.", figure_png(fig)))

    for r in reports:
        scored = [o for o in r.outcomes if o.chosen_score is not None and o.rejected_score is not None]
        if not scored:
            continue
        fig, ax = plt.subplots(figsize=(5, 3))
        bins = np.linspace(0, 1, 11)
        ax.hist([o.chosen_score for o in scored], bins=bins, alpha=0.6, label="chosen", color="#2a7")
        ax.hist([o.rejected_score for o in scored], bins=bins, alpha=0.6, label="rejected", color="#c44")
        ax.set_xlabel("score")
        ax.set_ylabel("responses")
        ax.legend(fontsize=7)
        ax.set_title(f"Scores, {label_of(r)} (ROC-AUC {number(r.overall.roc_auc)})", fontsize=9)
        out.append((f"Score distributions of chosen and rejected responses, {label_of(r)}.", figure_png(fig)))
    return out


PAGE_STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
    "figure{display:inline-block;margin:1em}img{max-width:100%}"
)


def html_page(title: str, markdown_text: str, figures: Sequence[tuple[str, str]], command: str | None = None) -> str:
    """A self-contained HTML page: the command, the figures ((caption, base64 PNG), inline) and the Markdown."""
    import markdown_it  # noqa: PLC0415

    body = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown_text)
    images = "\n".join(
        f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for caption, png in figures
    )
    cmd = f"<p>Command: <code>{html.escape(command)}</code></p>" if command else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body>{cmd}{images}{body}</body></html>"
    )


def html_report(reports: Sequence[EvalReport], title: str = "Evaluation", command: str | None = None) -> str:
    """A self-contained HTML page: the summary table, the plots (inline PNG) and the breakdowns."""
    return html_page(title, markdown_summary(reports, title), plots(reports), command)


def write_comparison(
    reports: Sequence[EvalReport], out: Path | str, *, title: str = "Evaluation", command: str | None = None
) -> dict[str, Path]:
    """Write `report.json` (a list of reports), `summary.md`, `report.html` and each plot as PNG into `out`."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "report.json", "markdown": folder / "summary.md", "html": folder / "report.html"}
    blob = "[\n" + ",\n".join(r.model_dump_json(indent=1) for r in reports) + "\n]\n"
    paths["json"].write_text(blob, encoding="utf-8")
    md = markdown_summary(reports, title)
    if command:
        md = md.replace("\n\n", f"\n\nCommand: `{command}`\n\n", 1)
    paths["markdown"].write_text(md, encoding="utf-8")
    paths["html"].write_text(html_report(reports, title, command), encoding="utf-8")
    for i, (_, png) in enumerate(plots(reports)[:1]):
        paths[f"png{i}"] = folder / "accuracy.png"
        paths[f"png{i}"].write_bytes(base64.b64decode(png))
    return paths


def write_report(report: EvalReport, out: Path | str, *, command: str | None = None) -> dict[str, Path]:
    """`write_comparison` of one run."""
    return write_comparison([report], out, title=f"Evaluation: {label_of(report)}", command=command)
