"""The reward server on loopback: concurrent requests, OpenRLHF's body, bad JSON and fields, body limits, timeouts,
a dead LLM endpoint (error values, not 500s) and graceful shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from judge import RewardResult
from kb import KnowledgeBase, QueryRecord, RubricRecord, Settings
from kb.embedders import Embedder
from tests.judge.adapters.fakes import FakeBackend
from ui.server import ServerThread, create_app

REPO = Path(__file__).resolve().parents[2]
CHATML = "<|im_start|>user\nMy MMS won't send.<|im_end|>\n<|im_start|>assistant\n"


def _cfg(settings: Settings, **serve: object) -> Settings:
    return settings.model_copy(update={"serve": settings.serve.model_copy(update={"port": 0, **serve})})


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend(delay_s=0.2)


@pytest.fixture
def server(settings: Settings, fake: FakeBackend) -> Iterator[ServerThread]:
    cfg = _cfg(settings, max_body_bytes=64 * 1024, request_timeout_s=1.0)
    with ServerThread(create_app(cfg, fake, window_s=0.05), cfg) as running:
        yield running


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_concurrent_requests_are_served_together(server: ServerThread, fake: FakeBackend) -> None:
    async def run() -> tuple[list[httpx.Response], float]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            started = time.perf_counter()
            calls = [
                http.post("/score", json={"request": "My MMS won't send.", "response": s})
                for s in ["good", "bad", "meh", "fail"] * 4
            ]
            calls += [
                http.post("/score_group", json={"request": f"q{i}", "responses": ["good", "bad"]}) for i in range(8)
            ]
            calls += [
                http.post(
                    "/get_reward", json={"query": [CHATML + "good<|im_end|>"], "prompts": [CHATML], "labels": [None]}
                )
                for _ in range(16)
            ]
            responses = await asyncio.gather(*calls)
            return responses, time.perf_counter() - started

    responses, seconds = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 40
    scores = [RewardResult.model_validate_json(r.content).score for r in responses[:16]]
    assert scores == [1.0, 0.0, 0.5, None] * 4
    assert all(len(r.json()["results"]) == 2 for r in responses[16:24])
    assert all(r.json()["rewards"] == [1.0] for r in responses[24:])
    # 40 requests of 0.2 s each in well under 40 × 0.2 s; the 16 /score calls of one request became one group
    assert seconds < 3.0 and fake.max_in_flight > 2
    mms_groups = [g for g in fake.groups if g["request"] == "My MMS won't send."]
    assert sum(len(g["responses"]) for g in mms_groups) == 32 and len(mms_groups) < 16


def test_openrlhf_body_gives_rewards_scores_and_extra_logs(server: ServerThread, fake: FakeBackend) -> None:
    body = {
        "query": [CHATML + "good<|im_end|>", CHATML + "fail<|im_end|>"],
        "prompts": [CHATML, CHATML],
        "labels": [json.dumps({"reference": "Turn data on."})] * 2,
    }
    answer = httpx.post(f"{server.url}/get_reward", json=body, timeout=10).json()
    assert answer["rewards"] == [1.0, 1.0] and answer["scores"] == answer["rewards"]
    assert answer["extra_logs"]["reward_error"] == [0.0, 1.0] and len(answer["extra_logs"]["principles"]) == 2
    assert fake.groups[0]["reference"] == "Turn data on." and fake.groups[0]["responses"] == ["good", "fail"]


def test_bad_json_is_400_and_wrong_fields_are_422_with_the_field(server: ServerThread) -> None:
    bad = httpx.post(
        f"{server.url}/score",
        content=b'{"request": "q", "response": ',
        timeout=10,
        headers={"content-type": "application/json"},
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["detail"]

    wrong = httpx.post(f"{server.url}/score_group", json={"request": "q", "responses": "good"}, timeout=10)
    assert wrong.status_code == 422 and wrong.json()["detail"].startswith("responses")

    neither = httpx.post(f"{server.url}/score", json={"request": "q"}, timeout=10)
    assert neither.status_code == 422 and "give response, messages or trajectory" in neither.json()["detail"]

    extra = httpx.post(f"{server.url}/score", json={"request": "q", "response": "a", "respnse": "b"}, timeout=10)
    assert extra.status_code == 422 and extra.json()["detail"].startswith("respnse")

    lengths = httpx.post(f"{server.url}/get_reward", json={"query": ["a", "b"], "prompts": ["a"]}, timeout=10)
    assert lengths.status_code == 422 and "prompts has 1 items for 2 queries" in lengths.json()["detail"]

    label = httpx.post(f"{server.url}/get_reward", json={"query": ["a"], "labels": ["{oops"]}, timeout=10)
    assert label.status_code == 422 and label.json()["detail"].startswith("labels[0]")


def test_oversized_bodies_are_413_declared_or_streamed(server: ServerThread) -> None:
    big = json.dumps({"request": "q", "response": "x" * 100_000}).encode()
    declared = httpx.post(f"{server.url}/score", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and "max_body_bytes=65536" in declared.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while the body streams in
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    streamed = httpx.post(f"{server.url}/score", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert httpx.get(f"{server.url}/health").status_code == 200  # the server is fine afterwards


def test_a_request_over_the_timeout_is_504(server: ServerThread) -> None:
    answer = httpx.post(f"{server.url}/score_group", json={"request": "q", "responses": ["slow"]}, timeout=10)
    assert answer.status_code == 504 and "request_timeout_s=1" in answer.json()["detail"]


def test_health_and_compare(server: ServerThread, settings: Settings) -> None:
    health = httpx.get(f"{server.url}/health").json()
    assert health["status"] == "ok" and health["llm_model"] == settings.llm.model and health["uptime_s"] >= 0
    pair = httpx.post(f"{server.url}/compare", json={"request": "q", "a": "bad", "b": "good"}).json()
    assert pair["winner"] == "b"


def test_compare_without_a_pairwise_backend_is_501(settings: Settings) -> None:
    class NoPairs(FakeBackend):
        acompare = None  # type: ignore[assignment]

    cfg = _cfg(settings)
    with ServerThread(create_app(cfg, NoPairs()), cfg) as running:
        answer = httpx.post(f"{running.url}/compare", json={"request": "q", "a": "x", "b": "y"})
    assert answer.status_code == 501


SERVE_FAKE = """
import sys
from tests.judge.adapters.fakes import FakeBackend
from kb import load_settings
from ui.server import serve
cfg = load_settings()
serve(cfg, backend=FakeBackend(slow_s=float(sys.argv[1])), log_level="info")
print("served and closed", flush=True)
"""


def _wait_listening(proc: subprocess.Popen[str], url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "server exited"
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "TELERUBRIC_DATA_DIR": str(tmp_path),
        "TELERUBRIC_SERVE__PORT": str(port),
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE_FAKE, "1.5"],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_listening(proc, url)

        async def slow_then_term() -> httpx.Response:
            async with httpx.AsyncClient(timeout=30) as http:
                request = asyncio.create_task(
                    http.post(f"{url}/score_group", json={"request": "q", "responses": ["slow good"]})
                )
                await asyncio.sleep(0.5)
                proc.send_signal(signal.SIGTERM)
                return await request

        answer = asyncio.run(slow_then_term())
        assert answer.status_code == 200 and answer.json()["results"][0]["score"] == 1.0
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "served and closed" in out  # serve() returned normally and closed its backend
        assert "Waiting for connections to close" in err
    finally:
        if proc.poll() is None:
            proc.kill()


# ---- the real RewardModel behind the server --------------------------------------------------------------------


@pytest.fixture
def small_kb(settings: Settings, embedder: Embedder) -> Settings:
    with KnowledgeBase(settings, embedder=embedder) as kb:
        kb.apply(
            [
                QueryRecord(
                    id="q-mms",
                    text="I cannot send MMS picture messages from my phone.",
                    rubrics=[
                        RubricRecord(id="r-apn", kind="principle", text="The agent checks the APN settings for MMS."),
                        RubricRecord(id="r-data", kind="principle", text="The agent asks whether mobile data is on."),
                    ],
                )
            ]
        )
    return settings


def test_a_dead_llm_endpoint_gives_error_values_not_500s(small_kb: Settings) -> None:
    from judge import RewardModel  # noqa: PLC0415

    llm = small_kb.llm.model_copy(
        update={"base_url": f"http://127.0.0.1:{_free_port()}/v1", "max_retries": 0, "timeout_s": 5}
    )
    cfg = _cfg(small_kb.model_copy(update={"llm": llm}))
    with RewardModel(cfg) as model, ServerThread(create_app(cfg, model), cfg) as running:
        one = httpx.post(f"{running.url}/score", json={"request": "My MMS fails", "response": "Check APN."}, timeout=60)
        group = httpx.post(
            f"{running.url}/score_group", json={"request": "My MMS fails", "responses": ["a", "b"]}, timeout=60
        )
        openrlhf = httpx.post(
            f"{running.url}/get_reward", json={"query": [CHATML + "Check APN."], "prompts": [CHATML]}, timeout=60
        )
    assert (one.status_code, group.status_code, openrlhf.status_code) == (200, 200, 200)
    result = RewardResult.model_validate_json(one.content)
    assert result.score is None and result.error is not None and result.error.kind == "unavailable"
    assert all(r["error"]["kind"] == "unavailable" for r in group.json()["results"])
    assert openrlhf.json()["extra_logs"]["reward_error"] == [1.0] and openrlhf.json()["rewards"] == [0.0]


BUILD_KB = """
import sys
from kb import KnowledgeBase, QueryRecord, RubricRecord, load_settings
with KnowledgeBase(load_settings(data_dir=sys.argv[1])) as kb:
    kb.apply([QueryRecord(id="q-mms", text="I cannot send MMS picture messages from my phone.", rubrics=[
        RubricRecord(id="r-apn", kind="principle", text="The agent checks the APN settings for MMS.")])])
"""


def test_telerubric_serve_finishes_a_real_reward_on_sigterm(tmp_path: Path) -> None:
    """The console command over a real KB: the reward in flight (its LLM call takes 1.5 s) completes after SIGTERM,
    then the process exits 0. The KB is built in another process: the embedded store admits one process."""
    from bench.openai_stub import StubServer  # noqa: PLC0415

    data_dir = tmp_path / "kb"
    subprocess.run([sys.executable, "-c", BUILD_KB, str(data_dir)], cwd=REPO, check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    port = _free_port()
    with StubServer(delay_s=1.5) as stub:
        env = {**os.environ, "TELERUBRIC_DATA_DIR": str(data_dir), "TELERUBRIC_LLM__BASE_URL": stub.url,
               "TELERUBRIC_LLM__MODEL": "stub", "PYTHONPATH": str(REPO)}  # fmt: skip
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli.main", "serve", "--port", str(port)], cwd=REPO,
                                env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_listening(proc, url)
            health = httpx.get(f"{url}/health").json()
            assert health["kb_version"] >= 1 and health["llm_model"] == "stub"

            async def reward_then_term() -> httpx.Response:
                async with httpx.AsyncClient(timeout=60) as http:
                    body = {"request": "My MMS won't send", "responses": ["Check the APN settings.", "Reboot."]}
                    request = asyncio.create_task(http.post(f"{url}/score_group", json=body))
                    while not stub.calls:  # the synthesis call is in flight
                        await asyncio.sleep(0.05)
                    proc.send_signal(signal.SIGTERM)
                    return await request

            answer = asyncio.run(reward_then_term())
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert answer.status_code == 200, answer.text
    results = [RewardResult.model_validate(r) for r in answer.json()["results"]]
    assert all(r.score is not None for r in results), results
    assert proc.returncode == 0, err
    assert stub.calls["RubricDraft"] == 1 and stub.calls["CriterionVerdicts"] == 2
