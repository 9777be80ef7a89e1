"""The rubric view's plots: usage over time (from the usage snapshots) and verdict counts."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kb import RubricUsage, UsagePoint  # noqa: E402

SIZE = (5.0, 2.6)


def usage_over_time(points: Sequence[UsagePoint]) -> Figure:
    """Cumulative retrieved / used / verdict counts, a step per snapshot, ending at the live counters."""
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    at = [p.at for p in points]
    for label, values in (
        ("retrieved", [p.retrieved for p in points]),
        ("used in rubric sets", [p.used for p in points]),
        ("verdicts", [p.met + p.not_met + p.not_applicable for p in points]),
    ):
        ax.step(at, values, where="post", label=label, marker="o", markersize=3)
    ax.set_ylabel("cumulative count")
    ax.set_title("Usage over time (UTC)", fontsize=10)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    return fig


def verdict_counts(usage: RubricUsage) -> Figure:
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    labels = ["met", "not met", "not applicable"]
    values = [usage.met, usage.not_met, usage.not_applicable]
    bars = ax.bar(labels, values, color=["#2e7d32", "#c62828", "#9e9e9e"])
    ax.bar_label(bars, fontsize=8)
    ax.set_title("Verdicts", fontsize=10)
    ax.set_ylabel("count")
    ax.grid(axis="y", alpha=0.3)
    return fig


def close(fig: Figure) -> None:
    plt.close(fig)
