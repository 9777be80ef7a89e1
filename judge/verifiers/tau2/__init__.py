"""τ²-bench telecom replay verifier: rebuild the environment from a trajectory and score it."""

from judge.verifiers.tau2.errors import Tau2DataError, Tau2Error, TrajectoryFormatError
from judge.verifiers.tau2.replay import Tau2Verifier
from judge.verifiers.tau2.result import ActionCheck, AssertionResult, ReplayedCall, Tau2Result
from judge.verifiers.tau2.tasks import KnowledgeBaseTasks, Tau2TaskSet, Tau2TaskSource, load_tasks
from judge.verifiers.tau2.trajectory import ToolCallRecord, Trajectory, parse_trajectory, read_trajectories

__all__ = [
    "ActionCheck",
    "AssertionResult",
    "KnowledgeBaseTasks",
    "ReplayedCall",
    "Tau2DataError",
    "Tau2Error",
    "Tau2Result",
    "Tau2TaskSet",
    "Tau2TaskSource",
    "Tau2Verifier",
    "ToolCallRecord",
    "Trajectory",
    "TrajectoryFormatError",
    "load_tasks",
    "parse_trajectory",
    "read_trajectories",
]
