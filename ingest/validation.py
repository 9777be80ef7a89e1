"""Turning validation failures into addressed problems (`file:line: field: what, expected`), shared by all jobs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from kb import InputProblem, QueryRecord, RubricRecord

M = TypeVar("M", bound=BaseModel)


def field_path(loc: Sequence[int | str], prefix: str | None = None) -> str:
    """`("rubrics", 0, "kind")` → `rubrics[0].kind`, after `prefix` (e.g. a JSON key) when given."""
    out = prefix or ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_nested_model, get_args(annotation)) if m is not None), None)


def _model_at(model: type[BaseModel] | None, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model that holds the field at `loc` (through nested models and lists of them); None when unknown."""
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _nested_model(field.annotation) if field is not None else None
    return model


def _message(error: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        holder = _model_at(model, error["loc"][:-1])
        return f"unknown field; expected one of {', '.join(sorted(holder.model_fields))}" if holder else "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return f"text is {len(str(error.get('input', '')))} characters; at most {limit} allowed"
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    if isinstance(given, str | int | float | bool) and len(str(given)) <= 80:
        message += f" (got {given!r})"
    return message


def validation_problems(
    exc: ValidationError,
    file: str,
    line: int | None,
    *,
    model: type[BaseModel] | None = None,
    prefix: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> list[InputProblem]:
    """One problem per error of `exc`, at `file:line`, with the field path as a dotted name.

    `prefix` goes before the path (e.g. the record's key in a JSON object); `rename` maps a top-level field name of
    the validated model to the name the file uses (a `QueryRecord`'s `text` is an expert file's `query`).
    """
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        if loc and rename and isinstance(loc[0], str):
            loc[0] = rename.get(loc[0], loc[0])
        problems.append(InputProblem(file, line, field_path(loc, prefix), _message(error, model)))
    return problems


def validate_entry(
    model: type[M], data: Any, file: str, line: int | None, problems: list[InputProblem], *, prefix: str | None = None
) -> M | None:
    """Validate one record; on failure append one problem per field error and return None."""
    if not isinstance(data, dict):
        problems.append(InputProblem(file, line, prefix, f"expected an object, got {type(data).__name__}"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, file, line, model=model, prefix=prefix))
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
