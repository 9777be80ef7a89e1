"""Turning validation failures into addressed problems (`file:line: field: what, expected`), shared by all jobs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kb import InputProblem, QueryRecord, RubricRecord

M = TypeVar("M", bound=BaseModel)


def field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


def _message(error: dict[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown field; expected one of {', '.join(sorted(model.model_fields))}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return f"text is {len(str(error.get('input', '')))} characters; at most {limit} allowed"
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if isinstance(given, str | int | float | bool) and len(str(given)) <= 80 and kind != "string_too_long":
        message += f" (got {given!r})"
    return message


def validate_entry(model: type[M], data: Any, file: str, line: int | None, problems: list[InputProblem]) -> M | None:
    """Validate one record; on failure append one problem per field error and return None."""
    if not isinstance(data, dict):
        problems.append(InputProblem(file, line, None, f"expected an object, got {type(data).__name__}"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.append(InputProblem(file, line, field_path(error["loc"]), _message(error, model)))
        return None


def check_duplicate_ids(
    located: Iterable[tuple[str, int | None, QueryRecord | RubricRecord]], problems: list[InputProblem]
) -> None:
    """Duplicate query ids, duplicate standalone rubric ids, and one rubric id with two contents are errors."""
    seen_queries: dict[str, tuple[str, int | None]] = {}
    seen_standalone: dict[str, tuple[str, int | None]] = {}
    contents: dict[str, tuple[dict[str, Any], str, int | None]] = {}
    for file, line, record in located:
        if isinstance(record, QueryRecord):
            first = seen_queries.setdefault(record.query_id, (file, line))
            if first != (file, line):
                problems.append(
                    InputProblem(
                        file, line, "id", f"duplicate query id {record.query_id!r} (first at {first[0]}:{first[1]})"
                    )
                )
            rubrics = record.rubrics
        else:
            first = seen_standalone.setdefault(record.rubric_id, (file, line))
            if first != (file, line):
                problems.append(
                    InputProblem(
                        file, line, "id", f"duplicate rubric id {record.rubric_id!r} (first at {first[0]}:{first[1]})"
                    )
                )
            rubrics = [record]
        for rubric in rubrics:
            content = rubric.content()
            prior = contents.setdefault(rubric.rubric_id, (content, file, line))
            if prior[0] != content:
                problems.append(
                    InputProblem(
                        file,
                        line,
                        "id",
                        f"rubric id {rubric.rubric_id!r} has other content "
                        f"at {prior[1]}:{prior[2]}; one id, one rubric",
                    )
                )
