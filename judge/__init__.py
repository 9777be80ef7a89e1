"""Judging responses: programmatic verifiers (τ²-bench telecom replay) first; the reward builds on them."""

from judge.verifiers.tau2 import (
    Tau2DataError,
    Tau2Error,
    Tau2Result,
    Tau2Task,
    Tau2TaskSet,
    Tau2Verifier,
    Trajectory,
    TrajectoryFormatError,
    load_tasks,
    parse_trajectory,
    read_trajectories,
)

__all__ = [
    "Tau2DataError",
    "Tau2Error",
    "Tau2Result",
    "Tau2Task",
    "Tau2TaskSet",
    "Tau2Verifier",
    "Trajectory",
    "TrajectoryFormatError",
    "load_tasks",
    "parse_trajectory",
    "read_trajectories",
]
