"""A Faust worker as a child process: started, waited for, stopped (demo, tests, bench, soak)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from streams.errors import NewswireError
from streams.settings import Settings


class WorkerError(NewswireError, RuntimeError):
    """The worker child process exited, or did not get ready in time."""


class WorkerProcess:
    def __init__(self, settings: Settings, log_path: Path | None = None) -> None:
        self.settings = settings
        self.log_path = log_path or settings.data_dir / "logs" / f"worker-{settings.web_port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def page_url(self) -> str:
        """The live page this worker serves (streams/runtime/live_web.py)."""
        return f"http://{self.settings.web_host}:{self.settings.web_port}/"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}/metrics"

    def start(self, timeout: float = 120) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = os.environ | self.settings.as_env()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        """Ready when the worker serves /metrics and has loaded its model."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise WorkerError(
                    f"the worker exited with code {self.process.returncode}", f"see {self.log_path}:\n{self.log_tail()}"
                )
            if self._model_loaded():
                return
            time.sleep(0.5)
        raise WorkerError(f"the worker was not ready after {timeout:.0f} s", f"see {self.log_path}:\n{self.log_tail()}")

    def _model_loaded(self) -> bool:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                body = response.read().decode()
        except OSError:
            return False
        for line in body.splitlines():
            if line.startswith("newswire_model_load_seconds "):
                return float(line.split()[1]) > 0
        return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 30) -> None:
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> WorkerProcess:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
