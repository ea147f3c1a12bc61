"""A real headless Chromium, driven over the DevTools protocol (CDP) with aiohttp's websocket client.

Synchronous for the tests: the websocket lives on an event loop in a thread of its own; `send` waits for
the answer to one command, and every CDP event is kept in `events` (console messages, exceptions, log
entries). Chromium is the Debian package `chromium` (`scripts/bootstrap.sh --test` installs it).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
]


class ChromiumError(RuntimeError):
    pass


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    def __init__(self, user_data_dir: Path, width: int = 1440, height: int = 1000) -> None:
        self.user_data_dir = Path(user_data_dir)
        self.size = (width, height)
        self.process: subprocess.Popen | None = None
        self.events: list[tuple[str, dict]] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cdp", daemon=True)
        self._session: aiohttp.ClientSession | None = None
        self._ws = None

    def start(self, timeout: float = 60) -> Chromium:
        binary = chromium_binary()
        if binary is None:
            raise ChromiumError("chromium is not installed (scripts/bootstrap.sh --test installs it)")
        self.user_data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.user_data_dir / "chromium.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    *FLAGS,
                    f"--user-data-dir={self.user_data_dir}",
                    f"--window-size={self.size[0]},{self.size[1]}",
                    "about:blank",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        port_file = self.user_data_dir / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ChromiumError(f"chromium did not start its DevTools server: {self.log_tail()}")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
                pages = [t for t in json.load(response) if t.get("type") == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise ChromiumError("chromium opened no page")
            time.sleep(0.1)
        self._thread.start()
        self._call(self._connect(pages[0]["webSocketDebuggerUrl"]), timeout)
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1, "mobile": False},
        )
        return self

    # --- the protocol -------------------------------------------------------------------------

    async def _connect(self, url: str) -> None:
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(url, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        self._loop.create_task(self._receive())

    async def _receive(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._pending:
                future = self._pending.pop(data["id"])
                if not future.done():
                    future.set_result(data)
            elif "method" in data:
                self.events.append((data["method"], data.get("params", {})))

    async def _send(self, method: str, params: dict) -> dict:
        ident = next(self._ids)
        future = self._loop.create_future()
        self._pending[ident] = future
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        return await future

    def _call(self, coroutine, timeout: float):
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coroutine, timeout), self._loop).result(timeout + 1)

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        answer = self._call(self._send(method, params or {}), timeout)
        if "error" in answer:
            raise ChromiumError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    # --- what the tests use -------------------------------------------------------------------

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise ChromiumError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, what: str | None = None) -> Any:
        """The value of `expression` once it is truthy; ChromiumError naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"waited {timeout:g} s for {what or expression}; errors: {self.errors()}")
            time.sleep(0.2)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (failed loads among them) so far."""
        found = []
        for method, params in self.events:
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                found.append(f"log: {entry.get('text')} {entry.get('url', '')}".strip())
        return found

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (not only the viewport)."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": max(self.size[0], size["width"]), "height": size["height"], "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True})
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def close(self) -> None:
        async def _close() -> None:
            if self._ws is not None:
                await self._ws.close()
            if self._session is not None:
                await self._session.close()

        if self._thread.is_alive():
            try:
                self._call(_close(), 10)
            except Exception:  # noqa: BLE001 - closing a browser that is gone already
                pass
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Chromium:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
