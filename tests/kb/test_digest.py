"""The KB content digest evaluation checkpoints record: equal for equal content whatever the order it was written in
or the SQL backend, changed by any content edit, and changed by pruning inputs only when they are asked for."""

from __future__ import annotations

from pathlib import Path

from kb.embedders import Embedder
from kb.records import QueryRecord, RubricRecord, RubricStatus
from kb.rubric_evidence import ANALYSIS_NAMESPACE, analysis_key
from kb.settings import load_settings
from kb.store import KnowledgeBase
from kb.usage import UsageDelta

RUBRICS = [
    RubricRecord(id="d-apn", text="The agent checks the APN settings.", kind="principle"),
    RubricRecord(id="d-roaming", text="The agent checks that roaming is enabled abroad.", kind="hard_rule"),
]
QUERY = QueryRecord(
    id="q-data-abroad",
    text="Mobile data does not work abroad.",
    rubrics=[RubricRecord(id="d-airplane", text="The agent asks whether airplane mode is on.", kind="principle")],
)


def test_equal_content_gives_equal_digests_whatever_the_order_or_the_backend(
    tmp_path: Path, embedder: Embedder, postgres_url: str
) -> None:
    digests = []
    for name, records, sql_url in (
        ("forward", [*RUBRICS, QUERY], None),
        ("backward", [QUERY, *reversed(RUBRICS)], None),
        ("postgres", [*RUBRICS, QUERY], postgres_url),
    ):
        settings = load_settings(data_dir=tmp_path / name, sql_url=sql_url)
        with KnowledgeBase(settings, embedder=embedder) as kb:
            empty = kb.content_digest()
            for record in records:
                kb.apply([record])
            digests.append(kb.content_digest())
            assert digests[-1] != empty
            assert kb.content_digest(pruning_inputs=True) != digests[-1]  # another document, not a superset hash
    assert digests[0] == digests[1] == digests[2]


def test_a_content_edit_changes_the_digest_and_a_rewrite_of_the_same_content_does_not(kb: KnowledgeBase) -> None:
    kb.apply([*RUBRICS, QUERY])
    before = kb.content_digest()
    kb.apply(RUBRICS)
    assert kb.content_digest() == before
    kb.apply([RUBRICS[0].model_copy(update={"text": "The agent checks the APN name and type."})])
    edited = kb.content_digest()
    assert edited != before
    version = kb.rubrics(["d-roaming"])["d-roaming"].version
    kb.set_status("d-roaming", RubricStatus.RETIRED, expected_version=version, actor="test", reason="digest test")
    assert kb.content_digest() not in (before, edited)


def test_usage_and_analyses_change_only_the_pruning_digest(kb: KnowledgeBase) -> None:
    kb.apply([*RUBRICS, QUERY])
    content, pruning = kb.content_digest(), kb.content_digest(pruning_inputs=True)
    kb.record_usage(UsageDelta(retrieval_events=1, retrieved={"d-apn": 1}))
    used = kb.content_digest(pruning_inputs=True)
    assert kb.content_digest() == content and used != pruning
    kb.cache_put(analysis_key("d-apn"), ANALYSIS_NAMESPACE, '{"id": "d-apn"}')
    assert kb.content_digest() == content and kb.content_digest(pruning_inputs=True) != used
