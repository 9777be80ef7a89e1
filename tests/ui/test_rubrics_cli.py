"""`telerubric rubrics`: JSON output, the explained text view, the cache, and exit 3 without a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kb.embedders import Embedder
from kb.records import QueryRecord, RubricRecord, ToolCallCheck
from kb.settings import LLMSettings, load_settings
from kb.store import KnowledgeBase
from ui.cli.rubrics_cmd import RubricsOutput, rubrics

QUESTION = "Mobile data is on but web pages never load while I'm abroad."

app = typer.Typer()
app.command()(rubrics)
app.command("noop")(lambda: None)  # two commands: typer then expects the command name


@pytest.fixture
def data_dir(tmp_path: Path, embedder: Embedder) -> Path:
    where = tmp_path / "kb"
    with KnowledgeBase(load_settings(data_dir=where), embedder=embedder) as kb:
        kb.apply(
            [
                QueryRecord(
                    id="q-roam",
                    text="My mobile data stopped working while I'm travelling abroad.",
                    rubrics=[
                        RubricRecord(
                            id="r-roam",
                            kind="tool_call",
                            importance="essential",
                            text="The agent checks that roaming is enabled on the customer's line.",
                            check=ToolCallCheck(name="enable_roaming"),
                        ),
                        RubricRecord(id="r-apn", kind="principle", text="The agent checks the APN settings."),
                    ],
                ),
                RubricRecord(
                    id="r-identity",
                    kind="hard_rule",
                    importance="essential",
                    text="The agent identifies the customer before changing any account data.",
                ),
            ]
        )
    return where


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "TELERUBRIC_DATA_DIR": str(data_dir),
        "TELERUBRIC_SYNTHESIS__DRAFT_ITEMS": "3",
        "TELERUBRIC_SYNTHESIS__MAX_TOKENS": "400",
        "TELERUBRIC_RETRIEVAL__RERANKER": "mmr",
        **extra,
    }


def test_json_then_cached_or_fallback_then_explained_text(data_dir: Path, smollm2_llm: LLMSettings) -> None:
    env = _env(data_dir, TELERUBRIC_LLM__BASE_URL=str(smollm2_llm.base_url), TELERUBRIC_LLM__MODEL=smollm2_llm.model)
    runner = CliRunner()
    first = runner.invoke(app, ["rubrics", QUESTION, "--json"], env=env)
    assert first.exit_code == 0, first.output
    out = RubricsOutput.model_validate_json(first.stdout)
    rs = out.rubric_set
    assert rs.items and rs.generator == smollm2_llm.model and not rs.cached
    assert {"r-roam", "r-apn", "r-identity"} <= set(out.neighbours.all_rubric_ids())
    assert rs.fallback or rs.usage is not None

    second = RubricsOutput.model_validate_json(runner.invoke(app, ["rubrics", QUESTION, "--json"], env=env).stdout)
    assert second.rubric_set.cached is not rs.fallback  # successes are cached, fallbacks never

    text = runner.invoke(app, ["rubrics", QUESTION, "--explain", "--no-cache"], env=env)
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith(f"Rubrics for: {QUESTION}")
    assert "-- neighbours" in text.stdout and "r-roam" in text.stdout and "pruned 0 rubric(s)" in text.stdout


def test_a_model_that_cannot_be_loaded_exits_3_with_one_line(data_dir: Path, tmp_path: Path) -> None:
    env = _env(data_dir, TELERUBRIC_LLM__GGUF_PATH=str(tmp_path / "missing.gguf"))
    result = CliRunner().invoke(app, ["rubrics", QUESTION], env=env)
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot use the LLM (GGUF file")
    assert result.stdout == ""


def test_search_and_rubrics_return_the_same_neighbours(data_dir: Path, smollm2_llm: LLMSettings) -> None:
    """`telerubric search` and `telerubric rubrics` run one engine: same text and filters → same neighbours."""
    from ui.cli.main import app as main_app  # noqa: PLC0415 - the real console script

    env = _env(data_dir, TELERUBRIC_LLM__BASE_URL=str(smollm2_llm.base_url), TELERUBRIC_LLM__MODEL=smollm2_llm.model)
    runner = CliRunner()
    seen = []
    for filters in ([], ["--tag", "no-such-tag"], ["--status", "draft"]):
        found = runner.invoke(main_app, ["search", QUESTION, "--json", *filters], env=env)
        assert found.exit_code == 0, found.output
        hits = json.loads(found.stdout)
        built = runner.invoke(main_app, ["rubrics", QUESTION, "--json", *filters], env=env)
        assert built.exit_code == 0, built.output
        neighbours = RubricsOutput.model_validate_json(built.stdout).neighbours
        expected = [("queries", q.query.id) for q in neighbours.queries] + [
            ("rubrics", r.rubric.id) for r in neighbours.rubrics
        ]
        assert [(h["collection"], h["id"]) for h in hits] == expected
        seen.append(len(expected))
    assert seen[0] > 0 and seen[1] == 0 and seen[2] > 0, seen
