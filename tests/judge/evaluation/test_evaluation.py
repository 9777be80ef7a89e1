"""The evaluation harness: metrics (ROC-AUC by hand), pairwise / pointwise runs over a scripted judge, the report
writers, the CLI, and SmolLM2 for the real client path."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge import REFERENCE_CRITERION
from judge.evaluation import (
    EvalMode,
    PairOutcome,
    RubricSource,
    aevaluate,
    metrics,
    read_checkpoint,
    roc_auc,
    stored_reports,
    write_report,
)
from judge.evaluation.identity import judging_settings, prompt_refs
from judge.llm_judge import SCREEN_VERSION, Criterion, criterion_prompt, pairwise_prompt, pointwise_prompt
from judge.pairs import PreferencePair
from kb import (
    ChatRequest,
    ChatResponse,
    ChoiceCheck,
    Embedder,
    InputRejected,
    KnowledgeBase,
    LLMSettings,
    NoProgress,
    QueryRecord,
    RubricKind,
    RubricRecord,
    ScriptedTransport,
    Settings,
    TokenUsage,
    load_prompt,
    load_settings,
)
from retrieval import SYNTHESIS_PROMPT

PAIRS = [
    PreferencePair(
        id=f"p{i}",
        prompt=f"Question {i}?",
        chosen=f"GOOD answer {i}",
        rejected=f"bad answer {i}",
        category="mms" if i % 2 else "billing",
    )
    for i in range(4)
]


class ContentJudge:
    """A fake transport that prefers the reply containing GOOD (pairwise) / marks GOOD replies met (pointwise)."""

    endpoint = "content-judge"
    model = "content-judge"

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        text = request.messages[1].content
        usage = TokenUsage(model=self.model, input_tokens=100, output_tokens=10)
        if request.schema_name == "PairAnswer":
            a = text.split("<response_a>")[1].split("</response_a>")[0]
            reply = {"reason": "r", "better": "A" if "GOOD" in a else "B"}
        else:
            good = "GOOD" in text.split("<response>")[1].split("</response>")[0]
            block = text.split("<criteria>")[1].split("</criteria>")[0]
            n = sum(1 for line in block.splitlines() if line[:1].isdigit())
            verdict = lambda k: "not_met" if (k == 3) == good else "met"  # noqa: E731 - pitfall #3 inverted
            reply = {"verdicts": [{"number": k, "reason": "r", "verdict": verdict(k)} for k in range(1, n + 1)]}
        return ChatResponse(content=json.dumps(reply), usage=usage, model=self.model, finish_reason="stop")


def test_roc_auc_by_hand() -> None:
    assert roc_auc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert roc_auc([0.5, 0.5], [1, 0]) == 0.5
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert roc_auc([0.3], [1]) is None


def test_metrics_count_ties_and_errors_as_wrong() -> None:
    outcomes = [
        PairOutcome(pair_id="a", preferred="chosen", consistent=True),
        PairOutcome(pair_id="b", preferred="tie", consistent=False),
        PairOutcome(pair_id="c", error="timeout: slow"),
        PairOutcome(pair_id="d", preferred="rejected", consistent=True),
        PairOutcome(pair_id="e", preferred="rejected", decisive=False),
    ]
    m = metrics(outcomes)
    assert (m.n, m.accuracy, m.tie_rate, m.error_rate) == (4, 0.25, 0.25, 0.25)
    assert m.accuracy_answered == 0.5 and m.swap_consistency == pytest.approx(2 / 3)


@pytest.mark.parametrize("mode", ["pairwise", "pointwise"])
def test_a_judge_that_knows_the_answer_is_always_right(mode: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    report = asyncio.run(aevaluate(PAIRS, settings, mode=mode, rubrics="none", transport=ContentJudge()))
    o = report.overall
    assert (o.n, o.accuracy, o.error_rate) == (4, 1.0, 0.0)
    assert report.input_tokens > 0 and set(report.by_category) == {"mms", "billing"}
    if mode == "pairwise":
        assert o.swap_consistency == 1.0 and o.roc_auc is None
    else:
        assert o.roc_auc == 1.0 and o.swap_consistency is None
    paths = write_report(report, tmp_path / "out", command="telerubric eval x")
    page = paths["html"].read_text()
    assert "data:image/png;base64," in page and "<table>" in page
    assert "| pointwise/none" in paths["markdown"].read_text() or mode == "pairwise"
    assert json.loads(paths["json"].read_text())[0]["overall"]["accuracy"] == 1.0


def test_llm_faults_are_error_outcomes(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb", llm={"max_retries": 0})
    transport = ScriptedTransport(*[TimeoutError()] * 4)
    report = asyncio.run(aevaluate(PAIRS[:2], settings, mode="pairwise", transport=transport))
    assert report.overall.error_rate == 1.0 and report.overall.accuracy == 0.0
    assert all(o.error and o.error.startswith("timeout") for o in report.outcomes)


def test_eval_warns_when_the_kb_holds_questions_of_the_held_out_categories(kb: KnowledgeBase) -> None:
    from ui.cli.eval_cmd import seen_held_out

    held = [p.model_copy(update={"category": "research_publications"}) for p in PAIRS[:2]]
    assert seen_held_out(kb, held) is None
    tags = ["teleqna", "category:research_publications"]
    kb.apply([QueryRecord(id="q-held", text="Which release introduced NR-U?", source="teleqna", tags=tags)])
    warning = seen_held_out(kb, held)
    assert warning is not None and "holds 1 TeleQnA question(s)" in warning and "(research_publications)" in warning
    assert seen_held_out(kb, PAIRS) is None  # the KB's question is of another category


def test_cli_eval_writes_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import eval_cmd
    from ui.cli.main import app

    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(p.model_dump_json() + "\n" for p in PAIRS))
    real = eval_cmd.aevaluate
    monkeypatch.setattr(eval_cmd, "aevaluate", lambda *a, **k: real(*a, **{**k, "transport": ContentJudge()}))
    result = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(tmp_path / "kb"),
            "eval",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--limit",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pairs"] == 3
    assert (tmp_path / "out" / "report.html").is_file()


class CountingJudge(ContentJudge):
    """`ContentJudge` that records which pairs' questions it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        self.asked.append(re.search(r"Question (\d+)\?", request.messages[1].content).group(0))  # type: ignore[union-attr]
        return await super().__call__(request)


class StopAfter(NoProgress):
    """A progress sink that stops the run (raises) once `n` pairs have finished."""

    def __init__(self, n: int) -> None:
        self.left = n

    def advance(self, n: int) -> None:
        self.left -= n
        if self.left <= 0:
            raise RuntimeError("stopped")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _checkpointed(settings: Settings, pairs: list[PreferencePair], path: Path, judge: ContentJudge, **kw: object):  # noqa: ANN202
    return asyncio.run(aevaluate(pairs, settings, mode="pairwise", transport=judge, checkpoint=path, **kw))  # type: ignore[arg-type]


def test_a_checkpoint_records_every_pair_and_a_rerun_judges_nothing(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "run" / "outcomes.jsonl"
    first_judge, again_judge = CountingJudge(), CountingJudge()
    first = _checkpointed(settings, PAIRS, path, first_judge)
    lines = _lines(path)
    assert lines[0]["header"]["rubrics"] == "none" and lines[0]["header"]["mode"] == "pairwise"
    assert lines[0]["header"]["model"] == first.config.model and lines[0]["header"]["use_llm"] is True
    assert sorted(line["pair_id"] for line in lines[1:-1]) == ["p0", "p1", "p2", "p3"]
    assert lines[-1]["judged"] == 4 and lines[-1]["run_seconds"] >= 0 and len(lines) == 6
    assert len(first_judge.asked) == 8  # both orders of every pair

    again = _checkpointed(settings, list(reversed(PAIRS)), path, again_judge)
    assert again_judge.asked == []
    assert again.overall == first.overall and again.input_tokens == first.input_tokens
    assert [o.pair_id for o in again.outcomes] == ["p3", "p2", "p1", "p0"]
    assert again.seconds >= lines[-1]["run_seconds"]
    assert _lines(path)[-1]["judged"] == 0 and len(_lines(path)) == 7


def test_a_stopped_run_resumes_with_the_missing_and_errored_pairs(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "outcomes.jsonl"
    with pytest.raises(RuntimeError, match="stopped"):
        _checkpointed(settings, PAIRS, path, CountingJudge(), in_flight=1, progress=StopAfter(2))
    lines = _lines(path)
    assert [line.get("pair_id") for line in lines[1:3]] == ["p0", "p1"]
    assert lines[-1]["judged"] == 2 and len(lines) == 4  # the run's time is recorded although it raised
    with path.open("a") as f:  # p1 failed on a later attempt: its newest line wins
        f.write(PairOutcome(pair_id="p1", error="timeout: slow").model_dump_json() + "\n")

    judge = CountingJudge()
    report = _checkpointed(settings, PAIRS, path, judge)
    assert sorted(set(judge.asked)) == ["Question 1?", "Question 2?", "Question 3?"]
    assert [o.pair_id for o in report.outcomes] == ["p0", "p1", "p2", "p3"]
    assert report.overall.accuracy == 1.0 and report.overall.error_rate == 0.0
    assert report.outcomes[0] == PairOutcome.model_validate(lines[1])  # reused as written
    assert _lines(path)[-1]["judged"] == 3


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "outcomes.jsonl"
    _checkpointed(settings, PAIRS[:1], path, CountingJudge())
    before = path.read_text()
    judge = CountingJudge()
    with pytest.raises(InputRejected) as caught:
        _checkpointed(settings, PAIRS[:1], path, judge, rubrics="retrieved")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (str(path), 1, "rubrics")
    assert "'none'" in problem.message and "'retrieved'" in problem.message
    assert path.read_text() == before and judge.asked == []


def test_a_checkpoint_names_its_prompt_and_refuses_changed_judging_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "outcomes.jsonl"
    _checkpointed(settings, PAIRS[:1], path, CountingJudge())
    header = _lines(path)[0]["header"]
    assert pairwise_prompt().ref in header["prompts"] and pointwise_prompt().ref not in header["prompts"]
    assert header["judging"]["judge.votes"] == settings.judge.votes
    assert "llm.timeout_s" not in header["judging"] and "llm.temperature" in header["judging"]
    before = path.read_text()

    slower = settings.model_copy(update={"llm": settings.llm.model_copy(update={"timeout_s": 999.0})})
    assert _checkpointed(slower, PAIRS[:1], path, judge := CountingJudge()).pairs == 1 and judge.asked == []
    warmer = settings.model_copy(update={"llm": settings.llm.model_copy(update={"temperature": 0.7})})
    with pytest.raises(InputRejected) as caught:
        _checkpointed(warmer, PAIRS[:1], path, CountingJudge())
    assert caught.value.problems[0].field == "judging.llm.temperature"

    stored = json.loads(before.splitlines()[0])
    stored["header"]["prompts"] = ["judge.pairwise@0"]  # written by an older prompt version
    path.write_text(json.dumps(stored) + "\n" + "".join(before.splitlines(keepends=True)[1:]))
    with pytest.raises(InputRejected) as caught:
        _checkpointed(settings, PAIRS[:1], path, CountingJudge())
    assert caught.value.problems[0].field == "prompts" and "judge.pairwise@0" in caught.value.problems[0].message


def test_the_prompts_and_settings_a_checkpoint_names_follow_the_condition(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    per_criterion = load_settings(data_dir=tmp_path / "kb", judge={"granularity": "criterion"})
    llm_rerank = load_settings(data_dir=tmp_path / "kb", retrieval={"reranker": "llm"})
    no_llm = load_settings(data_dir=tmp_path / "kb", judge={"use_llm": False})
    listwise, synthesis = load_prompt("retrieval", "rerank.listwise").ref, load_prompt(*SYNTHESIS_PROMPT).ref
    pointwise, pairwise = pointwise_prompt().ref, pairwise_prompt().ref
    always = [load_prompt("kb.llm", "llm.reask").ref, f"screen@{SCREEN_VERSION}"]

    def refs(s: Settings, mode: EvalMode, rubrics: RubricSource) -> list[str]:
        return sorted(set(prompt_refs(s, mode, rubrics)) - set(always))

    assert set(always) <= set(prompt_refs(settings, EvalMode.POINTWISE, RubricSource.NONE))
    assert refs(settings, EvalMode.POINTWISE, RubricSource.NONE) == [pointwise]
    assert refs(per_criterion, EvalMode.POINTWISE, RubricSource.LEARNED) == [criterion_prompt().ref]
    assert refs(llm_rerank, EvalMode.POINTWISE, RubricSource.RETRIEVED) == sorted([pointwise, listwise])
    # pairwise mode scores trajectory pairs pointwise through the reward
    assert refs(settings, EvalMode.PAIRWISE, RubricSource.PRUNED) == sorted([pointwise, pairwise, synthesis])
    assert prompt_refs(no_llm, EvalMode.POINTWISE, RubricSource.PRUNED) == []  # verifiers only
    assert refs(no_llm, EvalMode.POINTWISE, RubricSource.RETRIEVED) == [pointwise]  # the judge still runs

    none, pruned = judging_settings(settings, RubricSource.NONE), judging_settings(settings, RubricSource.PRUNED)
    assert "judge.votes" in none and "llm.gguf_path" in none and "llm.timeout_s" not in none
    assert not any(k.startswith(("synthesis.", "retrieval.")) for k in none)  # no synthesis: its settings never refuse
    assert {"synthesis.max_items", "pruning.min_met_rate", "retrieval.exact_max_rows"} <= set(pruned)


def test_a_truncated_last_line_is_ignored_and_a_broken_one_is_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "outcomes.jsonl"
    _checkpointed(settings, PAIRS[:2], path, CountingJudge())
    with path.open("a") as f:
        f.write('{"pair_id": "p2", "categ')  # killed mid-write
    judge = CountingJudge()
    with caplog.at_level(logging.WARNING, logger="judge.evaluation.checkpoint"):
        report = _checkpointed(settings, PAIRS[:3], path, judge)
    assert "truncated last line" in caplog.text
    assert set(judge.asked) == {"Question 2?"} and report.pairs == 3 and report.overall.error_rate == 0.0
    lines = _lines(path)  # the torn line is gone, every line parses
    assert [line.get("pair_id") for line in lines].count("p2") == 1

    text = path.read_text().splitlines(keepends=True)
    path.write_text("".join(text[:2]) + "{not json\n" + "".join(text[2:]))
    with pytest.raises(InputRejected) as caught:
        _checkpointed(settings, PAIRS[:3], path, CountingJudge())
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == (str(path), 3)


def test_pairwise_with_smollm2(smollm2_llm: LLMSettings, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "kb", llm=smollm2_llm.model_copy(update={"max_tokens": 300}))
    report = asyncio.run(aevaluate(PAIRS[:1], settings, mode="pairwise", rubrics="none"))
    assert report.pairs == 1 and report.config.model == smollm2_llm.model
    outcome = report.outcomes[0]
    assert outcome.error is not None or (outcome.preferred is not None and outcome.input_tokens > 100)


class FailingJudge:
    """A transport whose every reply is prose, never the JSON the judge asked for."""

    endpoint = model = "failing-judge"

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        usage = TokenUsage(model=self.model, input_tokens=10, output_tokens=5)
        return ChatResponse(content="Both answers look fine to me.", usage=usage, model=self.model)


class RecordingJudge(ContentJudge):
    """`ContentJudge` that keeps the user message of every call."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    async def __call__(self, request: ChatRequest) -> ChatResponse:
        self.prompts.append(request.messages[1].content)
        return await super().__call__(request)


LEARNED = [
    Criterion(id="l1", text="The response names the setting to change.", kind=RubricKind.HARD_RULE),
    Criterion(id="l2", text="The response explains why the fix works.", kind=RubricKind.PRINCIPLE),
]


def test_learned_rubrics_are_judged_with_the_reference_check_and_the_set_is_in_the_checkpoint(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    pairs = [PAIRS[0].model_copy(update={"reference": "GOOD answer 0, because the APN is wrong."}), PAIRS[1]]
    judge, path = RecordingJudge(), tmp_path / "learned.jsonl"
    run = aevaluate(
        pairs, settings, mode="pointwise", rubrics="learned", learned=LEARNED, transport=judge, checkpoint=path
    )
    report = asyncio.run(run)  # type: ignore[arg-type]
    assert report.pairs == 2 and report.overall.error_rate == 0.0
    with_reference = [p for p in judge.prompts if "Question 0?" in p]
    without = [p for p in judge.prompts if "Question 1?" in p]
    assert len(with_reference) == len(without) == 2
    assert all(REFERENCE_CRITERION.text in p and "the APN is wrong" in p for p in with_reference)
    assert not any(REFERENCE_CRITERION.text in p for p in without)
    assert re.search(r"learned:2:[0-9a-f]{12}\+reference-agreement", _lines(path)[0]["header"]["tag"])
    # another learned set never resumes this set's outcomes; the same set judges nothing again
    other = [LEARNED[0], LEARNED[1].model_copy(update={"text": "The response is short."})]
    with pytest.raises(InputRejected) as caught:
        asyncio.run(
            aevaluate(
                pairs, settings, mode="pointwise", rubrics="learned", learned=other, transport=judge, checkpoint=path
            )
        )  # type: ignore[arg-type]
    assert caught.value.problems[0].field == "tag"
    again = RecordingJudge()
    asyncio.run(
        aevaluate(
            pairs, settings, mode="pointwise", rubrics="learned", learned=LEARNED, transport=again, checkpoint=path
        )
    )  # type: ignore[arg-type]
    assert again.prompts == []


def test_pairwise_judging_shows_the_reference(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    pair = PAIRS[0].model_copy(update={"reference": "GOOD answer 0, because the APN is wrong."})
    judge = RecordingJudge()
    report = asyncio.run(aevaluate([pair], settings, mode="pairwise", transport=judge))  # type: ignore[arg-type]
    assert report.overall.accuracy == 1.0 and len(judge.prompts) == 2  # both orders
    assert all("<reference>GOOD answer 0, because the APN is wrong.</reference>" in p for p in judge.prompts)


def test_retrieved_rubrics_come_from_the_kb_without_other_questions_answer_keys(
    tmp_path: Path, embedder: Embedder
) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    mms = "I can't send picture messages (MMS) from my new phone, but SMS works."
    records = [
        QueryRecord(
            id="q-mcq",
            text="Which MMS setting holds the MMSC address? 1) APN 2) DNS",
            rubrics=[
                RubricRecord(
                    id="r-mcq",
                    kind="hard_rule",
                    text="The response selects option 1 (APN).",
                    check=ChoiceCheck(answer=1, options=["APN", "DNS"]),
                )
            ],
        ),
        QueryRecord(
            id="q-mms",
            text=mms,
            rubrics=[RubricRecord(id="r-apn", kind="principle", text="The agent checks the MMSC URL in the APN.")],
        ),
    ]
    pair = PreferencePair(
        id="m1", prompt=mms, chosen="GOOD: check the MMSC URL.", rejected="bad: buy a phone", reference="Fix the APN."
    )
    judge = RecordingJudge()
    with KnowledgeBase(settings, embedder=embedder) as kb:
        kb.apply(records)
        report = asyncio.run(aevaluate([pair], settings, mode="pointwise", rubrics="retrieved", kb=kb, transport=judge))  # type: ignore[arg-type]
    assert report.pairs == 1 and report.overall.error_rate == 0.0 and len(judge.prompts) == 2
    for prompt in judge.prompts:
        criteria = prompt.split("<criteria>")[1]
        assert "The agent checks the MMSC URL in the APN." in criteria
        assert "selects option 1" not in criteria  # another question's answer key
        assert REFERENCE_CRITERION.text in criteria


def test_a_checkpoint_that_reads_the_kb_records_its_content_and_refuses_another(
    tmp_path: Path, embedder: Embedder
) -> None:
    """A KB rebuilt with the same content (another machine) reuses the outcomes; an edited one is refused."""
    rubric = RubricRecord(id="r-apn", kind="principle", text="The agent checks the MMSC URL in the APN.")
    records = [QueryRecord(id="q-mms", text="Picture messages (MMS) fail; SMS works.", rubrics=[rubric])]
    pair = PreferencePair(id="m1", prompt="Question 0? MMS fails.", chosen="GOOD: the MMSC URL.", rejected="bad")
    path = tmp_path / "retrieved.jsonl"

    def run(data_dir: Path, judge: CountingJudge, edit: bool = False) -> object:
        settings = load_settings(data_dir=data_dir)
        with KnowledgeBase(settings, embedder=embedder) as kb:
            kb.apply(records)
            if edit:
                kb.apply([rubric.model_copy(update={"text": "The agent checks the APN's MMS proxy."})])
            return asyncio.run(
                aevaluate(
                    [pair], settings, mode="pointwise", rubrics="retrieved", kb=kb, transport=judge, checkpoint=path
                )
            )

    run(tmp_path / "first", CountingJudge())
    with KnowledgeBase(load_settings(data_dir=tmp_path / "first"), embedder=embedder) as kb:
        assert f"kb:{kb.content_digest()[:16]}" in _lines(path)[0]["header"]["tag"]
    rebuilt = CountingJudge()
    assert run(tmp_path / "rebuilt", rebuilt).pairs == 1 and rebuilt.asked == []  # reused, nothing judged
    with pytest.raises(InputRejected) as caught:
        run(tmp_path / "edited", CountingJudge(), edit=True)
    assert caught.value.problems[0].field == "tag" and "kb:" in caught.value.problems[0].message


def test_a_comparison_is_rebuilt_from_kept_checkpoints_over_the_pairs_all_of_them_judged(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    first, second = tmp_path / "none.jsonl", tmp_path / "other.jsonl"
    _checkpointed(settings, PAIRS[:3], first, CountingJudge())
    seeded = load_settings(data_dir=tmp_path / "kb", seed=1)
    judged = _checkpointed(seeded, PAIRS[1:], second, CountingJudge())  # p1..p3
    reports = stored_reports([first, second], [p.id for p in reversed(PAIRS)], pairs_source="kept")
    assert [[o.pair_id for o in r.outcomes] for r in reports] == [["p2", "p1"]] * 2  # common, in the order given
    assert reports[1].config.seed == 1 and reports[0].config.pairs_source == "kept"
    assert reports[1].outcomes[0] == next(o for o in judged.outcomes if o.pair_id == "p2")
    assert reports[0].overall.accuracy == 1.0 and 0 < reports[1].seconds <= judged.seconds
    with pytest.raises(InputRejected) as caught:
        stored_reports([first, tmp_path / "missing.jsonl"], ["p1"])
    assert (caught.value.problems[0].file, caught.value.problems[0].line) == (str(tmp_path / "missing.jsonl"), None)


def test_reading_a_kept_checkpoint_refuses_what_resuming_refuses_and_ignores_a_torn_line(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "none.jsonl"
    _checkpointed(settings, PAIRS[:2], path, CountingJudge())
    text = path.read_text()
    path.write_text(text + '{"pair_id": "p9", "categ')  # killed mid-write
    stored = read_checkpoint(path)
    assert sorted(stored.outcomes) == ["p0", "p1"] and stored.header.rubrics == "none" and stored.seconds >= 0
    assert path.read_text().endswith('"categ')  # reading changes nothing

    headerless = tmp_path / "headerless.jsonl"
    headerless.write_text("\n" + "".join(text.splitlines(keepends=True)[1:]))
    with pytest.raises(InputRejected) as caught:
        read_checkpoint(headerless)
    assert caught.value.problems[0].line == 2 and "no header" in caught.value.problems[0].message
    old = json.loads(text.splitlines()[0])
    del old["header"]["prompts"]  # written before checkpoints recorded their prompts
    (older := tmp_path / "older.jsonl").write_text("\n" + json.dumps(old) + "\n")
    with pytest.raises(InputRejected) as caught:
        read_checkpoint(older)
    assert (caught.value.problems[0].line, caught.value.problems[0].field) == (2, "prompts")


def test_a_checkpoint_keeps_an_error_s_kind_not_its_message(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "kb")
    path = tmp_path / "none.jsonl"
    report = _checkpointed(settings, PAIRS[:1], path, FailingJudge())
    assert report.outcomes[0].error and ":" in report.outcomes[0].error  # the run's own report has the message
    kept = read_checkpoint(path).outcomes["p0"].error
    assert kept and ":" not in kept and report.outcomes[0].error.startswith(kept)
