"""A fingerprint of everything a KB holds (SQL rows and index hashes), to prove a rejected write changed nothing."""

from __future__ import annotations

import hashlib
import json

from sqlmodel import Session, select

from kb.store import KnowledgeBase
from kb.tables import KBCounter, Meta, Query, QueryRubricLink, Revision, Rubric, UsageCounters
from kb.vectors import Collection


def kb_fingerprint(kb: KnowledgeBase) -> str:
    digest = hashlib.sha256(kb.stats().model_dump_json().encode())
    with Session(kb.engine) as session:
        for table in (Rubric, Query, QueryRubricLink, Revision, UsageCounters, Meta, KBCounter):
            for row in session.exec(select(table)).all():
                digest.update(json.dumps(row.model_dump(mode="json"), sort_keys=True, default=str).encode())
    for collection in Collection:
        if kb.index.exists(collection):
            digest.update(json.dumps(sorted(kb.index.hashes(collection).items())).encode())
    return digest.hexdigest()
