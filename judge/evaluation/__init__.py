"""The evaluation harness: how well a judge configuration prefers `chosen` over `rejected`, with reports."""

from judge.evaluation.harness import GENERIC_CRITERIA, Evaluation, aevaluate, evaluate, report_of
from judge.evaluation.metrics import best_of_n, breakdown, metrics, roc_auc
from judge.evaluation.report import EvalConfig, EvalMode, EvalReport, Metrics, PairOutcome, RubricSource
from judge.evaluation.writers import html_report, markdown_summary, write_comparison, write_report

__all__ = [
    "GENERIC_CRITERIA",
    "EvalConfig",
    "EvalMode",
    "EvalReport",
    "Evaluation",
    "Metrics",
    "PairOutcome",
    "RubricSource",
    "aevaluate",
    "best_of_n",
    "breakdown",
    "evaluate",
    "html_report",
    "markdown_summary",
    "metrics",
    "report_of",
    "roc_auc",
    "write_comparison",
    "write_report",
]
