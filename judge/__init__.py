"""Judging responses: programmatic verifiers (τ²-bench telecom replay) first; the reward builds on them."""

from judge.adapters import (
    AdapterInputError,
    AdapterRuntime,
    CompareRequest,
    FlatReward,
    GroupScorer,
    HealthResponse,
    OpenRLHFRequest,
    OpenRLHFResponse,
    RewardBackend,
    RewardTarget,
    ScoreGroupRequest,
    ScoreGroupResponse,
    ScoreRequest,
    close_rewards,
    compute_score,
    compute_score_batch,
    configure_rewards,
    flatten_group,
    make_trl_reward,
    openrlhf_reward_func,
    openrlhf_rewards,
    telerubric_reward,
)
from judge.aggregate import Aggregate, aggregate
from judge.remote import RemoteRequestError, RemoteRewardModel
from judge.result import COMPONENTS, CriterionVerdict, JudgeError, JudgeErrorKind, RewardResult, Stage, Verdict
from judge.reward_model import PairResult, RewardModel, ScoreItem
from judge.verifiers.tau2 import (
    Tau2DataError,
    Tau2Error,
    Tau2Result,
    Tau2TaskSet,
    Tau2TaskSource,
    Tau2Verifier,
    Trajectory,
    TrajectoryFormatError,
    load_tasks,
    parse_trajectory,
    read_trajectories,
)

__all__ = [
    "Aggregate",
    "PairResult",
    "RewardModel",
    "ScoreItem",
    "aggregate",
    "COMPONENTS",
    "AdapterInputError",
    "AdapterRuntime",
    "CompareRequest",
    "CriterionVerdict",
    "FlatReward",
    "GroupScorer",
    "HealthResponse",
    "JudgeError",
    "JudgeErrorKind",
    "OpenRLHFRequest",
    "OpenRLHFResponse",
    "RemoteRequestError",
    "RemoteRewardModel",
    "RewardBackend",
    "RewardResult",
    "RewardTarget",
    "ScoreGroupRequest",
    "ScoreGroupResponse",
    "ScoreRequest",
    "Stage",
    "Verdict",
    "compute_score",
    "compute_score_batch",
    "close_rewards",
    "configure_rewards",
    "flatten_group",
    "make_trl_reward",
    "openrlhf_reward_func",
    "openrlhf_rewards",
    "telerubric_reward",
    "Tau2DataError",
    "Tau2Error",
    "Tau2Result",
    "Tau2TaskSet",
    "Tau2TaskSource",
    "Tau2Verifier",
    "Trajectory",
    "TrajectoryFormatError",
    "load_tasks",
    "parse_trajectory",
    "read_trajectories",
]

# Preference pairs, the evaluation harness and rubric learning ---------------------------------------------------------
from judge.evaluation import EvalMode, EvalReport, RubricSource, aevaluate, evaluate, write_comparison, write_report  # noqa: E402
from judge.learning import LearnedSet, LearnReport, alearn_from_pairs, criteria_of_learned, load_learned  # noqa: E402
from judge.pairs import (  # noqa: E402
    PreferencePair,
    load_mcq_items,
    mcq_pairs,
    open_pairs,
    read_pairs,
    split_by_category,
    split_task_ids,
    tau2_pairs,
    write_pairs,
)

__all__ += [
    "EvalMode",
    "EvalReport",
    "LearnReport",
    "LearnedSet",
    "PreferencePair",
    "RubricSource",
    "aevaluate",
    "alearn_from_pairs",
    "criteria_of_learned",
    "evaluate",
    "load_learned",
    "load_mcq_items",
    "mcq_pairs",
    "open_pairs",
    "read_pairs",
    "split_by_category",
    "split_task_ids",
    "tau2_pairs",
    "write_comparison",
    "write_pairs",
    "write_report",
]

# Rubric analysis (coverage, precision, contribution) ---------------------------------------------------------------
from judge.evaluation import (  # noqa: E402
    AnalysisReport,
    RubricAnalysis,
    aanalyse_rubrics,
    analyse_rubrics,
    latest_analysis_path,
    record_analysis,
    stored_analysis,
    write_analysis,
)

__all__ += [
    "AnalysisReport",
    "RubricAnalysis",
    "aanalyse_rubrics",
    "analyse_rubrics",
    "latest_analysis_path",
    "record_analysis",
    "stored_analysis",
    "write_analysis",
]

# The Bradley-Terry reward-model baseline (torch / trl are imported only when a model is trained or loaded) ----------
from judge.bt import BTCard, BTRewardModel, BTTrainConfig, evaluate_bt, logit_of, read_card, train_bt  # noqa: E402

__all__ += ["BTCard", "BTRewardModel", "BTTrainConfig", "evaluate_bt", "logit_of", "read_card", "train_bt"]

# SFT exports for the rubric generator and the judge (approved or verified items, held out from evaluation) ----------
from judge.export import ExportReport, ExportTarget, SftFormat, export_sft  # noqa: E402

__all__ += ["ExportReport", "ExportTarget", "SftFormat", "export_sft"]
