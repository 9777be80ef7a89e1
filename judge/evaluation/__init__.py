"""The evaluation harness: how well a judge configuration prefers `chosen` over `rejected`, with reports."""

from judge.evaluation.analysis import (
    AnalysisReport,
    RubricAnalysis,
    UsageStats,
    aanalyse_rubrics,
    analyse_outcomes,
    analyse_rubrics,
    latest_analysis_path,
    record_analysis,
    stored_analysis,
)
from judge.evaluation.analysis_writers import analysis_plots, markdown_analysis, write_analysis
from judge.evaluation.checkpoint import StoredRun, read_checkpoint
from judge.evaluation.conditions import GENERIC_CRITERIA, ConditionCriteria
from judge.evaluation.harness import Evaluation, aevaluate, evaluate, report_of
from judge.evaluation.metrics import best_of_n, breakdown, metrics, roc_auc
from judge.evaluation.report import EvalConfig, EvalMode, EvalReport, Metrics, PairOutcome, RubricSource
from judge.evaluation.stored import stored_reports
from judge.evaluation.writers import (
    figure_png,
    html_page,
    html_report,
    markdown_summary,
    write_comparison,
    write_report,
)

__all__ = [
    "AnalysisReport",
    "RubricAnalysis",
    "UsageStats",
    "aanalyse_rubrics",
    "analyse_outcomes",
    "analyse_rubrics",
    "analysis_plots",
    "latest_analysis_path",
    "markdown_analysis",
    "record_analysis",
    "stored_analysis",
    "write_analysis",
    "GENERIC_CRITERIA",
    "ConditionCriteria",
    "EvalConfig",
    "EvalMode",
    "EvalReport",
    "Evaluation",
    "Metrics",
    "PairOutcome",
    "RubricSource",
    "StoredRun",
    "aevaluate",
    "best_of_n",
    "breakdown",
    "evaluate",
    "figure_png",
    "html_page",
    "html_report",
    "markdown_summary",
    "metrics",
    "read_checkpoint",
    "report_of",
    "roc_auc",
    "stored_reports",
    "write_comparison",
    "write_report",
]
