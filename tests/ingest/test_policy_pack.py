"""The telecom policy rubric pack (ingest/packs/telecom_policy.yaml): it ingests cleanly into a real KB (SQLite,
milvus-lite, packaged embedder), every rubric is approved policy data citing a real section of main_policy.md or
tech_support_manual.md, every section of both documents is cited, and re-ingesting changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ingest.expert.job import ingest_expert_files
from ingest.summary import IngestSummary
from kb.search.filters import Scope, SearchFilter
from kb.settings import load_settings
from kb.store import KnowledgeBase
from kb.tables import Rubric
from tests.shared_data import require

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "ingest" / "packs" / "telecom_policy.yaml"
DOCUMENTS = ("main_policy.md", "tech_support_manual.md")
SEPARATOR = " > "

# Headings that only group sub-sections and have no text of their own; each of their sub-sections is cited.
# `test_structural_exclusions_have_no_text` keeps this list honest.
STRUCTURAL: set[tuple[str, str]] = {
    ("main_policy.md", "Domain Basics"),  # groups Customer, Payment Method, Line, Plan, Device, Bill
    ("tech_support_manual.md", "Troubleshooting Service Problems"),  # groups Airplane Mode … Line Suspension
    ("tech_support_manual.md", "Troubleshooting Mobile Data Problems"),  # groups Airplane Mode … Network Mode
    ("tech_support_manual.md", "Troubleshooting MMS Problems"),  # groups Basic Connectivity … App Permissions
}


@dataclass(frozen=True)
class Heading:
    document: str
    path: tuple[str, ...]  # titles from the top-level heading down to this one
    has_text: bool  # non-blank lines between this heading and the next heading of any level

    @property
    def title(self) -> str:
        return self.path[-1]


def policy_dir() -> Path:
    return require(*(f"data/tau2-telecom/{name}" for name in DOCUMENTS)) / "data" / "tau2-telecom"


def parse_headings(document: str, text: str) -> list[Heading]:
    """Markdown ATX headings (outside code fences) with their ancestor path."""
    headings: list[Heading] = []
    stack: list[tuple[int, str]] = []
    body_lines: list[int] = []  # non-blank body lines seen per heading, parallel to `headings`
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line)
        if match:
            level, title = len(match.group(1)), match.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            headings.append(Heading(document, tuple(t for _, t in stack), False))
            body_lines.append(0)
        elif headings and line.strip():
            body_lines[-1] += 1
    return [Heading(h.document, h.path, n > 0) for h, n in zip(headings, body_lines, strict=True)]


@pytest.fixture(scope="module")
def headings() -> list[Heading]:
    folder = policy_dir()
    out: list[Heading] = []
    for name in DOCUMENTS:
        parsed = parse_headings(name, (folder / name).read_text(encoding="utf-8"))
        assert parsed, f"no headings parsed from {name}"
        out.extend(parsed)
    return out


def resolve(section: str, headings: list[Heading]) -> list[Heading]:
    """The headings a `section` string names: `<document> > [ancestors >] <heading>`, matched on the path's tail."""
    document, *parts = [p.strip() for p in section.split(SEPARATOR)]
    return [
        h
        for h in headings
        if h.document == document and parts and len(parts) <= len(h.path) and list(h.path[-len(parts) :]) == parts
    ]


@dataclass
class Ingested:
    first: IngestSummary
    second: IngestSummary
    version_after_first: int
    version_after_second: int
    rows: list[Rubric]
    index_rows: int
    more_data_hits: list


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("policy-kb"))
    with KnowledgeBase(settings) as kb:
        # Default status/source on purpose: the file itself must say approved / policy.
        first = ingest_expert_files(kb, [PACK])
        version_after_first = kb.version()
        second = ingest_expert_files(kb, [PACK])
        version_after_second = kb.version()
        with Session(kb.engine) as session:
            rows = list(session.exec(select(Rubric)).all())
        index_rows = kb.stats().collections["rubrics"].index_rows
        hits = kb.search("customer wants more data", k=5, scope=Scope.RUBRICS, filters=SearchFilter(sources=["policy"]))
    yield Ingested(first, second, version_after_first, version_after_second, rows, index_rows, hits)


def test_pack_ingests_40_to_80_approved_policy_rubrics(ingested: Ingested) -> None:
    first = ingested.first
    assert first.rejected == []
    assert 40 <= first.rubrics.added <= 80, first.rubrics
    assert first.records == first.rubrics.added
    assert first.queries.added == 0
    rows = ingested.rows
    assert len(rows) == first.rubrics.added
    assert ingested.index_rows == len(rows)
    assert {r.status for r in rows} == {"approved"}
    assert {r.source for r in rows} == {"policy"}
    assert all(r.standalone for r in rows)


def test_every_rubric_is_well_formed(ingested: Ingested) -> None:
    for r in ingested.rows:
        assert re.fullmatch(r"policy-[a-z]+-\d{2}", r.id), r.id
        assert r.text.startswith(("The agent ", "The response ")), r.id
        assert r.kind in {"hard_rule", "principle", "tool_call"}, r.id
        assert 0.3 <= r.weight <= 1.0, r.id
        assert r.theme, r.id
        assert "policy" in r.tags, r.id
        if r.importance == "pitfall":
            assert any(t.startswith("Pitfall: met = bad") for t in r.tips), r.id
        if r.kind == "tool_call":
            assert r.check and r.check["type"] == "tool_call", r.id


def test_every_rubric_cites_one_section_of_a_policy_document(ingested: Ingested, headings: list[Heading]) -> None:
    for r in ingested.rows:
        section = (r.provenance or {}).get("section") or ""
        assert section.split(SEPARATOR)[0] in DOCUMENTS, f"{r.id}: section {section!r} names no policy document"
        matches = resolve(section, headings)
        assert len(matches) == 1, (
            f"{r.id}: section {section!r} matches {len(matches)} headings; cite it exactly "
            f"(add the parent heading if the title occurs twice)"
        )
        assert (matches[0].document, matches[0].title) not in STRUCTURAL, f"{r.id} cites a structural heading"


def test_every_section_of_both_documents_is_cited(ingested: Ingested, headings: list[Heading]) -> None:
    cited = {
        (h.document, h.path)
        for r in ingested.rows
        for h in resolve((r.provenance or {}).get("section") or "", headings)
    }
    uncited = [
        f"{h.document} > {' > '.join(h.path)}"
        for h in headings
        if (h.document, h.title) not in STRUCTURAL and (h.document, h.path) not in cited
    ]
    assert uncited == [], "sections no rubric cites:\n" + "\n".join(uncited)


def test_structural_exclusions_have_no_text(headings: list[Heading]) -> None:
    by_key = {(h.document, h.title): h for h in headings}
    for key in STRUCTURAL:
        assert key in by_key, f"excluded heading {key} no longer exists"
        assert not by_key[key].has_text, f"excluded heading {key} has its own text now; cite it instead"


def test_reingest_is_a_no_op(ingested: Ingested) -> None:
    second = ingested.second
    assert second.rejected == []
    assert second.rubrics.added == 0 and second.rubrics.updated == 0
    assert second.rubrics.unchanged == ingested.first.rubrics.added
    assert second.kb_version is None
    assert ingested.version_after_second == ingested.version_after_first


def test_retrieval_finds_refuel_rubrics_for_a_data_request(ingested: Ingested) -> None:
    assert any("refuel" in hit.tags for hit in ingested.more_data_hits), [h.id for h in ingested.more_data_hits]
