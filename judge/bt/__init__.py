"""A Bradley-Terry reward-model baseline: train a one-logit sequence classifier on preference pairs (TRL's
`RewardTrainer`), then score with it behind `RewardModel`'s surface (`judge.backend = "bt"`). torch, transformers and
trl are imported only when a model is trained or loaded."""

from judge.bt.card import BTCard, read_card, write_card
from judge.bt.evaluate import evaluate_bt
from judge.bt.scorer import BTRewardModel, logit_of, sigmoid
from judge.bt.text import encode_pair, response_text
from judge.bt.train import PACKAGED_MINILM, BTTrainConfig, packaged_minilm, train_bt

__all__ = [
    "PACKAGED_MINILM",
    "BTCard",
    "BTRewardModel",
    "BTTrainConfig",
    "encode_pair",
    "evaluate_bt",
    "logit_of",
    "packaged_minilm",
    "read_card",
    "response_text",
    "sigmoid",
    "train_bt",
    "write_card",
]
