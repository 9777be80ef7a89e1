"""Versioned prompt files (`<package>/prompts/<name>.toml`): loading and rendering with fenced inputs."""

from __future__ import annotations

import re
import string
import tomllib
from functools import cache, cached_property
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kb.llm.transport import ChatMessage

_TAG = re.compile(r"</?\s*([A-Za-z][\w.-]*)\s*>")


class PromptSpec(BaseModel):
    """One prompt file. `system` is static (sent verbatim, so the server's prefix cache applies);
    `user` is a `str.format` template whose `{name}` fields are filled by `render` (write `{{` for a brace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="Stable prompt id, e.g. 'judge.pointwise'.")
    version: str = Field(min_length=1, description="Bumped on any wording change; recorded in results and cache keys.")
    output: str = Field(min_length=1, description="Name of the pydantic model the reply must validate against.")
    system: str = Field(description="System message, sent verbatim.")
    user: str = Field(description="User message template with {name} fields.")
    description: str = Field("", description="What the prompt is for (not sent).")

    @property
    def ref(self) -> str:
        """`id@version`, the name results and cache keys record."""
        return f"{self.id}@{self.version}"

    @cached_property
    def fields(self) -> frozenset[str]:
        """Template field names in `user`."""
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.user) if name)

    @cached_property
    def delimiters(self) -> frozenset[str]:
        """Tag names (`<request>` → 'request') the template uses to fence inputs."""
        return frozenset(m.group(1).lower() for m in _TAG.finditer(self.user + self.system))

    def render(self, **variables: object) -> tuple[ChatMessage, ChatMessage]:
        """Fill the user template; every value is fenced (see `neutralise`).

        Raises:
            ValueError: a template field is missing or an unknown variable was given.
        """
        missing, extra = self.fields - variables.keys(), variables.keys() - self.fields
        if missing or extra:
            raise ValueError(
                f"prompt {self.ref}: missing variables {sorted(missing)}, unknown variables {sorted(extra)}"
            )
        fenced = {k: neutralise(str(v), self.delimiters) for k, v in variables.items()}
        return ChatMessage(role="system", content=self.system), ChatMessage(
            role="user", content=self.user.format_map(fenced)
        )


def neutralise(text: str, delimiters: frozenset[str]) -> str:
    """Defuse our fence tags inside untrusted text: `</response>` becomes `‹/response›`, other tags stay."""
    if not delimiters:
        return text

    def swap(m: re.Match[str]) -> str:
        return "‹" + m.group(0)[1:-1] + "›" if m.group(1).lower() in delimiters else m.group(0)

    return _TAG.sub(swap, text)


@cache
def load_prompt(package: str, name: str) -> PromptSpec:
    """Load `<package>/prompts/<name>.toml` via importlib.resources (once per process: prompts are versioned
    package data, and a spec is frozen, so callers share it).

    Raises:
        FileNotFoundError: no such prompt file.
        ValueError: the file is not valid TOML or lacks/misnames a field.
    """
    resource = resources.files(package) / "prompts" / f"{name}.toml"
    if not resource.is_file():
        raise FileNotFoundError(f"prompt file {package}/prompts/{name}.toml not found")
    try:
        return PromptSpec.model_validate(tomllib.loads(resource.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ValueError(f"{package}/prompts/{name}.toml: {exc}") from exc
