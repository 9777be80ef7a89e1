"""Retrieval fixtures: a small KB built in code, and a tiny cross-encoder generated locally."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.embedders import Embedder
from kb.records import QueryRecord, RubricRecord
from kb.settings import Settings, load_settings
from kb.store import KnowledgeBase


def _rubric(
    id_: str, text: str, kind: str = "principle", status: str = "approved", tags: list[str] | None = None
) -> RubricRecord:
    return RubricRecord(id=id_, text=text, kind=kind, status=status, tags=tags or [])


QUERIES = [
    QueryRecord(
        id="q-mms",
        text="I can't send picture messages (MMS) from my phone, but texts work.",
        tags=["mms"],
        rubrics=[
            _rubric("r-mms-apn", "The agent checks the MMSC URL in the phone's APN settings.", tags=["mms"]),
            _rubric(
                "r-mms-wifi",
                "The agent asks the user to turn off Wi-Fi calling for MMS.",
                kind="tool_call",
                tags=["mms"],
            ),
            _rubric("r-mms-old", "The agent tells the user to buy a new phone.", status="retired", tags=["mms"]),
        ],
    ),
    QueryRecord(
        id="q-mms-dup",
        text="I cannot send picture messages (MMS) from my phone, though texts work.",
        tags=["mms"],
        rubrics=[_rubric("r-mms-apn", "The agent checks the MMSC URL in the phone's APN settings.", tags=["mms"])],
    ),
    QueryRecord(
        id="q-roam",
        text="My mobile data stopped working while I am travelling abroad in France.",
        tags=["roaming", "mobile_data"],
        rubrics=[
            _rubric(
                "r-roam-line",
                "The agent checks that roaming is enabled on the customer's line.",
                kind="tool_call",
                tags=["roaming"],
            )
        ],
    ),
    QueryRecord(
        id="q-bill",
        text="Why is my bill so high this month? I was charged twice.",
        tags=["billing"],
        rubrics=[_rubric("r-bill", "The agent explains each charge on the bill.", tags=["billing"])],
    ),
    QueryRecord(
        id="q-signal",
        text="No signal on my phone since this morning, calls fail.",
        tags=["service"],
        rubrics=[
            _rubric(
                "r-airplane", "The agent asks the user to turn airplane mode off.", kind="tool_call", tags=["service"]
            )
        ],
    ),
]

STANDALONE = [
    _rubric("s-verify", "The agent verifies the customer's identity before changing the account.", kind="hard_rule"),
    _rubric(
        "s-apn-reset",
        "The agent has the user reset the APN settings when MMS or data fails.",
        kind="tool_call",
        tags=["mms", "mobile_data"],
    ),
    _rubric(
        "s-apn-reset-dup",
        "The agent has the user reset APN settings when MMS or mobile data fails.",
        kind="tool_call",
        tags=["mms", "mobile_data"],
        status="draft",
    ),
    _rubric("s-roaming-cost", "The agent warns about roaming charges before enabling roaming.", tags=["roaming"]),
    _rubric(
        "s-retired", "The agent reads the MMS troubleshooting script word for word.", status="retired", tags=["mms"]
    ),
    _rubric("s-polite", "The agent stays polite and apologises for the inconvenience."),
]


@pytest.fixture
def small_kb(settings: Settings, embedder: Embedder) -> Iterator[KnowledgeBase]:
    """Five queries (one a near-duplicate) with linked rubrics, six standalone rubrics (one retired, one draft)."""
    with KnowledgeBase(settings, embedder=embedder) as kb:
        kb.apply([*QUERIES, *STANDALONE])
        yield kb


@pytest.fixture
def milvus_only(tmp_path: Path) -> Settings:
    """Settings whose dense sub-request always goes to Milvus (no exact in-process copy)."""
    return load_settings(data_dir=tmp_path / "kb", retrieval={"exact_max_rows": 0})


@pytest.fixture(scope="session")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer, 32-wide BERT sequence classifier with a word-level vocab, saved for `CrossEncoder(path)`."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = sorted(
        {
            w
            for r in [*STANDALONE, *(x for q in QUERIES for x in q.rubrics)]
            for w in r.text.lower().replace(".", " ").replace("'", " ").split()
        }
        | {"mms", "phone"}
    )
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=1,
    )
    path = tmp_path_factory.mktemp("tiny-ce")
    BertForSequenceClassification(config).eval().save_pretrained(path)
    fast.save_pretrained(path)
    return path
