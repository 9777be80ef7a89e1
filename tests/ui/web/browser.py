"""A tiny headless-Chromium driver over the DevTools protocol (no Selenium): open a URL, wait until the Streamlit page
has rendered and stopped running, then take a screenshot and the DOM.

`chromium --dump-dom` alone returns before Streamlit's websocket delivers the page, so the page is polled instead.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = Path(os.environ.get("TELERUBRIC_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--window-size=1400,1000",
]
# Rendered: the app container is there, no script is running, no skeleton is waiting for elements.
READY = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return document.querySelector('[data-testid="stMainBlockContainer"]') !== null;
})()"""


class Browser:
    """One headless Chromium with its own profile folder; `close()` ends its process group."""

    def __init__(self, profile: Path):
        profile.mkdir(parents=True, exist_ok=True)
        self._proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its renderers join this group, so close() ends them all
        )
        port = self._port(profile / "DevToolsActivePort")
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t.get("type") == "page")
        self._ws: ClientConnection = connect(page["webSocketDebuggerUrl"], max_size=64 << 20)
        self._id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _port(self, active: Path, timeout_s: float = 30.0) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if active.exists() and active.read_text().strip():
                return int(active.read_text().splitlines()[0])
            if self._proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self._proc.returncode}")
            time.sleep(0.1)
        raise TimeoutError("chromium did not open its DevTools port")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._id += 1
        self._ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=60))
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url: str, *, wait_for: str | None = None, timeout_s: float = 90.0, settle_s: float = 1.5) -> None:
        """Navigate and wait until the page is rendered, idle, and (if given) shows `wait_for` in its text."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout_s
        time.sleep(1.0)
        while time.monotonic() < deadline:
            ready = self.evaluate(READY)
            found = wait_for is None or bool(self.evaluate(f"document.body.innerText.includes({json.dumps(wait_for)})"))
            if ready and found:
                time.sleep(settle_s)  # charts and the data grid paint after the last message
                if self.evaluate(READY):
                    return
            time.sleep(0.5)
        raise TimeoutError(f"{url} did not render{f' {wait_for!r}' if wait_for else ''} within {timeout_s:.0f}s")

    def text(self) -> str:
        return str(self.evaluate("document.body.innerText"))

    def dom(self) -> str:
        return str(self.evaluate("document.documentElement.outerHTML"))

    def count(self, selector: str) -> int:
        return int(self.evaluate(f"document.querySelectorAll({json.dumps(selector)}).length"))

    def screenshot(self, path: Path, *, height: int | None = None) -> Path:
        """A PNG of the window (1400×1000), or of a window `height` pixels tall to show more of a long page."""
        if height:
            self.call(
                "Emulation.setDeviceMetricsOverride", width=1400, height=height, deviceScaleFactor=1, mobile=False
            )
            time.sleep(1.5)
        try:
            shot = self.call("Page.captureScreenshot", format="png")
        finally:
            if height:
                self.call("Emulation.clearDeviceMetricsOverride")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self._ws.close()
        finally:
            if self._proc.poll() is None:
                os.killpg(self._proc.pid, signal.SIGTERM)
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                    self._proc.wait()
