from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from kb.llm.errors import LLMSetupError
from kb.llm.model_files import ModelFile, packaged_smollm2
from kb.llm.server import EmbeddedServer, shared_server_url, stop_shared_servers
from kb.settings import LLMSettings


def test_fixture_server_binds_loopback_and_answers(smollm2_llm: LLMSettings) -> None:
    assert smollm2_llm.base_url.startswith("http://127.0.0.1:")
    models = httpx.get(f"{smollm2_llm.base_url}/models", timeout=5).json()["data"]
    assert [m["id"] for m in models] == [smollm2_llm.model]


def test_start_and_stop(tmp_path) -> None:
    server = EmbeddedServer(packaged_smollm2(tmp_path), alias="tiny", context_size=512, threads=1)
    with server:
        root = server.start(timeout_s=60).removesuffix("/v1")
        assert server.running and httpx.get(f"{root}/health", timeout=5).status_code == 200
    assert not server.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{root}/health", timeout=2)


def test_unloadable_model_is_a_setup_error(tmp_path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 64)
    model = ModelFile(path=fake, size_bytes=68, sha256=None, source="test")
    with pytest.raises(LLMSetupError, match="could not load"):
        EmbeddedServer(model, alias="x").start(timeout_s=10)


def test_shared_server_starts_once_per_process(tmp_path) -> None:
    llm = LLMSettings(packaged_model="smollm2-135m", model="tiny", context_size=512, threads=1, concurrency=1)
    try:
        first = shared_server_url(llm, tmp_path)
        assert shared_server_url(llm, tmp_path) == first
        assert httpx.get(f"{first}/models", timeout=5).status_code == 200
    finally:
        stop_shared_servers()


def test_every_slot_gets_the_whole_per_call_context(tmp_path) -> None:
    """`context_size` is per call: three calls that each fill most of it run at once without a KV-cache failure."""
    parallel, context = 3, 512
    server = EmbeddedServer(
        packaged_smollm2(tmp_path), alias="tiny", context_size=context, threads=1, parallel=parallel
    )
    prompt = " ".join(["the radio link failed on cell"] * 50)  # ~300 tokens
    body = {"model": "tiny", "messages": [{"role": "user", "content": prompt}], "max_tokens": 120, "ignore_eos": True}
    with server:
        url = server.start(timeout_s=60)
        with ThreadPoolExecutor(parallel) as pool:
            replies = list(pool.map(lambda _: httpx.post(f"{url}/chat/completions", json=body, timeout=120), range(3)))
    assert [r.status_code for r in replies] == [200] * parallel, [r.text[:200] for r in replies]
    used = [r.json()["usage"] for r in replies]
    assert all(u["prompt_tokens"] + u["completion_tokens"] > context // 2 for u in used), used
    assert sum(u["prompt_tokens"] + u["completion_tokens"] for u in used) > context  # more than one shared window
