"""RL framework adapters (verl, TRL, OpenRLHF) and what they share: the process's reward runtime (in process, or
a client of `telerubric serve` when `judge.remote_url` is set), grouping by request, and finite-value mapping.

    verl     custom_reward_function.path=…/judge/adapters/verl.py, name=compute_score (or compute_score_batch)
    TRL      GRPOTrainer(reward_funcs=[make_trl_reward()])
    OpenRLHF --reward.remote_url …/judge/adapters/openrlhf.py, or http://127.0.0.1:8008/get_reward

Exact shapes: docs/rl-integration.md.
"""

from judge.adapters.coalesce import GroupCoalescer, GroupKey
from judge.adapters.neutral import ERROR_KEY, FLAT_KEYS, FlatReward, flatten_group
from judge.adapters.openrlhf import openrlhf_rewards, request_from_prompt, split_response, strip_special_tokens
from judge.adapters.openrlhf import reward_func as openrlhf_reward_func
from judge.adapters.runtime import AdapterRuntime, adapter_runtime, close_rewards, configure_rewards
from judge.adapters.scorer import GroupScorer, GroupSlot, RewardBackend
from judge.adapters.target import AdapterInputError, RewardTarget, read_target
from judge.adapters.trl import make_trl_reward, telerubric_reward
from judge.adapters.verl import compute_score, compute_score_batch, verl_target
from judge.adapters.wire import (
    CompareRequest,
    HealthResponse,
    OpenRLHFRequest,
    OpenRLHFResponse,
    ScoreGroupRequest,
    ScoreGroupResponse,
    ScoreRequest,
)

__all__ = [
    "ERROR_KEY",
    "FLAT_KEYS",
    "AdapterInputError",
    "AdapterRuntime",
    "CompareRequest",
    "FlatReward",
    "GroupCoalescer",
    "GroupKey",
    "GroupScorer",
    "GroupSlot",
    "HealthResponse",
    "OpenRLHFRequest",
    "OpenRLHFResponse",
    "RewardBackend",
    "RewardTarget",
    "ScoreGroupRequest",
    "ScoreGroupResponse",
    "ScoreRequest",
    "adapter_runtime",
    "close_rewards",
    "compute_score",
    "compute_score_batch",
    "configure_rewards",
    "flatten_group",
    "make_trl_reward",
    "openrlhf_reward_func",
    "openrlhf_rewards",
    "read_target",
    "request_from_prompt",
    "split_response",
    "strip_special_tokens",
    "telerubric_reward",
    "verl_target",
]
