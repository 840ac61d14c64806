"""Fixtures: the real daemon (dist/bin/coordd.js, built by `npm run build`) on port 0."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coordd import AgentWorker, CoordClient

REPO = Path(__file__).resolve().parents[3]
DAEMON_BIN = REPO / "dist" / "bin" / "coordd.js"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class Daemon:
    """A coordd process; ``url`` is its WebSocket URL, ``logs`` its parsed stdout lines."""

    def __init__(self, env: dict[str, str] | None = None, args: list[str] | None = None) -> None:
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH")
        if not DAEMON_BIN.exists():
            pytest.fail(f"{DAEMON_BIN} is missing: run `npm run build` first")
        full_env = {"PATH": os.environ.get("PATH", ""), "COORDD_PORT": "0", "COORDD_LOG_LEVEL": "info", "COORDD_RETRY_BASE_DELAY": "0.01", "COORDD_RETRY_MAX_DELAY": "0.05", "COORDD_STORE": "memory", **(env or {})}
        self.proc = subprocess.Popen(["node", str(DAEMON_BIN), *(args or [])], env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.logs: list[dict[str, Any]] = []
        self._listening = threading.Event()
        self.url = ""
        self.port = 0
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._listening.wait(30):
            self.stop()
            pytest.fail(f"the daemon did not log 'listening': {self.proc.stderr.read() if self.proc.stderr else ''}")

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                entry = json.loads(line)
            except ValueError:
                entry = {"raw": line}
            self.logs.append(entry)
            if entry.get("msg") == "listening" and not self._listening.is_set():
                self.url, self.port = str(entry["url"]), int(entry["port"])
                self._listening.set()
        self._listening.set()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def daemon() -> Iterator[Daemon]:
    d = Daemon()
    yield d
    d.stop()


@pytest.fixture
def start_daemon() -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None) -> Daemon:
        d = Daemon(env, args)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


@pytest.fixture
async def operator(daemon: Daemon) -> AsyncIterator[CoordClient]:
    async with CoordClient(daemon.url) as client:
        yield client


@pytest.fixture
async def workers() -> AsyncIterator[list[AgentWorker]]:
    """Workers a test starts; stopped at its end."""
    started: list[AgentWorker] = []
    yield started
    for w in started:
        await w.stop()


async def until(check: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02, message: Callable[[], str] | None = None) -> Any:
    """Poll ``check`` until it returns something truthy (the daemon's state, seen from outside)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s" + (f": {message()}" if message else ""))
        await asyncio.sleep(interval)


def python_env() -> dict[str, str]:
    """What a child Python needs to import coordd from this checkout."""
    return {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}


__all__ = ["Daemon", "EXAMPLES", "REPO", "python_env", "sys", "until"]
