"""A real trainer calls the reward: TRL's `GRPOTrainer` runs 2 steps on CPU with a tiny Llama initialised here and a
tokenizer trained here (nothing is downloaded), `make_trl_reward` as its reward function and SmolLM2 as the judge
over a small KB; rewards and component metrics must reach `trainer.state.log_history`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from judge import make_trl_reward
from kb import KnowledgeBase, LLMSettings, QueryRecord, RubricRecord, Settings
from kb.embedders import Embedder

PROMPTS = ["My MMS picture messages won't send.", "Mobile data stopped working abroad."]
CORPUS = PROMPTS + [
    "Turn mobile data on, then retry the MMS.",
    "Check the APN settings for MMS.",
    "Enable roaming on the line and restart the phone.",
    "The agent checks the line status before suggesting a fix.",
]


def _tokenizer():  # noqa: ANN202 - PreTrainedTokenizerFast
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320, special_tokens=["<unk>", "<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>", bos_token="<eos>"
    )


@pytest.fixture
def judge_settings(settings: Settings, embedder: Embedder, smollm2_llm: LLMSettings) -> Settings:
    with KnowledgeBase(settings, embedder=embedder) as kb:
        kb.apply(
            [
                QueryRecord(
                    id="q-mms",
                    text=PROMPTS[0],
                    rubrics=[RubricRecord(id="r-apn", kind="principle", text="The agent checks the APN settings.")],
                ),
                QueryRecord(
                    id="q-roam",
                    text=PROMPTS[1],
                    rubrics=[RubricRecord(id="r-roam", kind="principle", text="The agent checks that roaming is on.")],
                ),
            ]
        )
    return settings.model_copy(
        update={
            "llm": smollm2_llm,
            "synthesis": settings.synthesis.model_copy(update={"draft_items": 2, "max_items": 2, "max_tokens": 300}),
        }
    )


@pytest.mark.slow
def test_grpo_trainer_logs_telerubric_rewards_and_components(judge_settings: Settings, tmp_path: Path) -> None:
    import torch
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    model = LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=4,
            max_position_embeddings=128,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
            bos_token_id=tokenizer.bos_token_id,
        )
    )
    reward = make_trl_reward(judge_settings)
    trainer = GRPOTrainer(
        model=model,
        processing_class=tokenizer,
        reward_funcs=[reward],
        args=GRPOConfig(
            output_dir=str(tmp_path / "out"),
            use_cpu=True,
            per_device_train_batch_size=2,
            num_generations=2,
            max_completion_length=12,
            max_steps=2,
            logging_steps=1,
            learning_rate=1e-4,
            report_to="none",
            save_strategy="no",
            seed=0,
        ),
        train_dataset=Dataset.from_dict({"prompt": PROMPTS * 2, "reference": ["Check the settings."] * 4}),
    )
    try:
        trainer.train()
    finally:
        reward.close()

    steps = [h for h in trainer.state.log_history if "rewards/telerubric/mean" in h]
    assert len(steps) == 2, trainer.state.log_history
    assert all("telerubric/error_rate" in h and "telerubric/capped_rate" in h for h in steps)
    error_rates = [h["telerubric/error_rate"] for h in steps]
    scored = [h for h in steps if h["telerubric/error_rate"] < 1.0]
    assert scored, f"every reward failed: error rates {error_rates}"
    assert all(0.0 <= h["rewards/telerubric/mean"] <= 1.0 for h in scored)
    components = {k for h in scored for k in h if k.startswith("telerubric/") and not k.endswith("_rate")}
    assert components & {"telerubric/principles", "telerubric/hard_rules", "telerubric/tool_calls"}, components
    assert all(math.isfinite(h[k]) for h in scored for k in components if k in h)
