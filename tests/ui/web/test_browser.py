"""The page in a real browser: `telerubric ui` serves it on loopback, headless Chromium (Debian's `chromium`, which
.ci/run installs) loads the browse view, a rubric's detail view and the try-it panel; screenshots and DOMs are kept
under tests/artifacts/browser/, and each page must show its rubric text and no exception.

The try-it panel runs against a dead LLM endpoint: the page must show the reward's error value, not a score."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.serve import free_port
from tests.ui.web.browser import CHROMIUM, Browser

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
RUBRIC = "ex-r-mms-apn"  # a rubric of docs/examples/expert_rubrics.jsonl

pytestmark = pytest.mark.slow
SEED = """
import sys
from pathlib import Path
from ingest import ingest_expert_files
from kb import KnowledgeBase, UsageDelta, load_settings

data, rubric = Path(sys.argv[1]), sys.argv[2]
with KnowledgeBase(load_settings(data_dir=data)) as kb:
    ingest_expert_files(kb, [Path("docs/examples/expert_rubrics.jsonl").resolve()])
    assert rubric in kb.rubrics([rubric]), "the example file no longer holds the rubric the test opens"
    kb.record_usage(UsageDelta(retrieval_events=30, retrieved={rubric: 12}, used={rubric: 6}))
    kb.snapshot_usage()
    kb.record_usage(UsageDelta(retrieval_events=10, retrieved={rubric: 5}, met={rubric: 4}, not_met={rubric: 1}))
"""


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A KB of the example expert file with some usage, served by `telerubric ui` on a free loopback port."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run installs it)")
    root = tmp_path_factory.mktemp("browser")
    data = root / "kb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELERUBRIC_")}
    env.update(
        TELERUBRIC_CONFIG=str(root / "none.toml"),
        TELERUBRIC_LLM__BASE_URL="http://127.0.0.1:9/v1",  # nothing listens there: the LLM is dead
        TELERUBRIC_LLM__MAX_RETRIES="0",
    )
    # Seeded in a process of its own: milvus-lite frees its folder only when the process that opened it ends.
    seed = [sys.executable, "-c", SEED, str(data), RUBRIC]
    seeded = subprocess.run(seed, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    port = free_port()
    command = [sys.executable, "-m", "ui.cli.main", "--data-dir", str(data), "ui", "--port", str(port)]
    log = (root / "ui.log").open("w")
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, root / "ui.log")
        yield url
    finally:
        server.send_signal(signal.SIGTERM)  # `telerubric ui` passes it on to Streamlit
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"telerubric ui exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read().strip() == b"ok":
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"telerubric ui did not answer at {url} within {timeout_s:.0f}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    print(f"\nbrowser artifacts (screenshots, DOMs): {ARTIFACTS}")
    chromium = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


def _keep(browser: Browser, name: str, *, height: int | None = None) -> str:
    browser.screenshot(ARTIFACTS / f"{name}.png", height=height)
    (ARTIFACTS / f"{name}.html").write_text(browser.dom())
    text = browser.text()
    assert browser.count('[data-testid="stException"]') == 0, f"{name}: the page shows an exception:\n{text[:3000]}"
    assert "Traceback" not in text
    return text


def test_the_browse_view_lists_rubrics(page_url: str, browser: Browser) -> None:
    browser.open(f"{page_url}/?view=browse", wait_for="Browse rubrics")
    text = _keep(browser, "browse")
    assert "of 19" in text  # every rubric of the example file, counted
    assert browser.count('[data-testid="stDataFrame"]') == 1
    assert "The agent" in text  # the rubric picker names each rubric by its text


def test_a_rubric_detail_view_shows_its_text_usage_and_history(page_url: str, browser: Browser) -> None:
    browser.open(f"{page_url}/?view=rubric&id={RUBRIC}", wait_for="Pruning now")
    text = _keep(browser, "rubric-detail", height=1600)
    assert "MMSC" in text and RUBRIC in text
    assert "docs/examples/expert_rubrics.jsonl" in text  # provenance: the file …
    assert browser.count('[data-testid="stImage"], [data-testid="stPyplot"] img, img') >= 2  # usage and verdict plots


def test_the_try_it_panel_shows_the_llm_failure_as_the_error_value(page_url: str, browser: Browser) -> None:
    question = urllib.parse.quote("I can't send picture messages from my phone")
    response = urllib.parse.quote("Check that mobile data is on, then reset the APN.")
    browser.open(f"{page_url}/?view=try&q={question}&response={response}&run=1", wait_for="Reward", timeout_s=180)
    text = _keep(browser, "try-it", height=2200)
    assert "Neighbours" in text and "The agent" in text  # retrieved rubric texts
    assert "Synthesis failed" in text and "score: None" in text  # errors as values, never a number
