"""What a search asks for: the collections (`Scope`) and typed scalar filters (`SearchFilter`)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, Field

from kb.settings import RetrievalSettings
from kb.vectors import Collection


class Scope(StrEnum):
    QUERIES = "queries"
    RUBRICS = "rubrics"
    BOTH = "both"

    def collections(self) -> list[Collection]:
        return {
            Scope.QUERIES: [Collection.QUERIES],
            Scope.RUBRICS: [Collection.RUBRICS],
            Scope.BOTH: [Collection.QUERIES, Collection.RUBRICS],
        }[self]


class SearchFilter(BaseModel):
    """Typed scalar filters; each becomes a Milvus expression over typed fields (never JSON paths)."""

    tags_any: list[str] = Field(default_factory=list, description="Keep rows carrying any of these tags.")
    sources: list[str] = Field(default_factory=list, description="Keep rows from these sources.")
    kinds: list[str] = Field(default_factory=list, description="Rubrics only: keep these kinds.")
    statuses: list[str] = Field(default_factory=list, description="Rubrics only: keep these statuses.")
    standalone_only: bool = Field(False, description="Rubrics only: keep standalone rubrics.")
    exclude_ids: list[str] = Field(default_factory=list, description="Drop these ids (e.g. leave-one-out).")

    def with_defaults(self, settings: RetrievalSettings) -> SearchFilter:
        """This filter with the retrieval defaults every search path shares: statuses `settings.statuses` when
        it names none (never retired), and `standalone_only` when `settings.standalone_only` is on."""
        return self.model_copy(
            update={
                "statuses": self.statuses or list(settings.statuses),
                "standalone_only": self.standalone_only or settings.standalone_only,
            }
        )

    def expression(self, collection: Collection) -> str:
        parts: list[str] = []
        if self.tags_any:
            parts.append(f"array_contains_any(tags, {_str_list(self.tags_any)})")
        if self.sources:
            parts.append(f"source in {_str_list(self.sources)}")
        if self.exclude_ids:
            parts.append(f"id not in {_str_list(self.exclude_ids)}")
        if collection is Collection.RUBRICS:
            if self.kinds:
                parts.append(f"kind in {_str_list(self.kinds)}")
            if self.statuses:
                parts.append(f"status in {_str_list(self.statuses)}")
            if self.standalone_only:
                parts.append("standalone == true")
        return " and ".join(parts)


def _str_list(values: Sequence[str]) -> str:
    escaped = ['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values]
    return "[" + ", ".join(escaped) + "]"
