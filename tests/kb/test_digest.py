"""The KB content digest evaluation checkpoints record: equal for equal content whatever the order it was written in,
the SQL backend or when an analysis was recorded; changed by any content edit, and by pruning inputs only when they
are asked for."""

from __future__ import annotations

import json
from pathlib import Path

from kb.embedders import Embedder
from kb.records import QueryRecord, RubricRecord, RubricStatus
from kb.rubric_evidence import ANALYSIS_NAMESPACE, LATEST_ANALYSIS_KEY, analysis_key
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


def _evidence(rubric_id: str, recorded_at: str) -> str:
    return json.dumps({"id": rubric_id, "n_decided": 12, "n_agree": 3, "recorded_at": recorded_at, "extra": "x"})


def test_equal_content_gives_equal_digests_whatever_the_order_the_backend_or_the_recording_time(
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
            kb.record_usage(UsageDelta(retrieval_events=2, retrieved={"d-apn": 2, "d-roaming": 1}))
            kb.cache_put(analysis_key("d-apn"), ANALYSIS_NAMESPACE, _evidence("d-apn", f"2026-12-0{len(digests) + 1}"))
            kb.cache_put(LATEST_ANALYSIS_KEY, ANALYSIS_NAMESPACE, json.dumps({"path": str(tmp_path / name)}))
            digests.append((kb.content_digest(), kb.content_digest(pruning_inputs=True)))
            assert digests[-1][0] != empty
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
    kb.cache_put(analysis_key("d-apn"), ANALYSIS_NAMESPACE, _evidence("d-apn", "2026-12-01"))
    analysed = kb.content_digest(pruning_inputs=True)
    assert kb.content_digest() == content and analysed != used
    kb.cache_put(analysis_key("d-apn"), ANALYSIS_NAMESPACE, _evidence("d-apn", "2026-12-02"))  # recorded again
    assert kb.content_digest(pruning_inputs=True) == analysed
    decided_more = json.loads(_evidence("d-apn", "2026-12-03")) | {"n_decided": 13}
    kb.cache_put(analysis_key("d-apn"), ANALYSIS_NAMESPACE, json.dumps(decided_more))
    assert kb.content_digest(pruning_inputs=True) != analysed
