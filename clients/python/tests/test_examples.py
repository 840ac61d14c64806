"""The examples run against the real daemon: the smolagents-style worker and the operator script."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

from coordd import AgentWorker, CoordClient

from .conftest import EXAMPLES, Daemon, python_env, until

sys.path.insert(0, str(EXAMPLES))
import smol_worker  # noqa: E402


async def test_the_smolagents_style_worker_reports_progress_and_stops_when_cancelled(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    worker = smol_worker.worker
    worker.url = daemon.url
    workers.append(worker)
    await worker.start()
    done = await operator.assign("summarize", {"text": "one two three four five six seven eight nine ten eleven twelve thirteen", "steps": 2}, required_capabilities=["summarize"])
    record = await operator.wait_task(done.task_id, timeout_ms=10_000)
    assert record.state == "COMPLETED" and record.result == {"summary": "one two three four five six seven eight nine ten eleven twelve…"}
    assert record.progress == 1 and record.progress_message == "step 2"

    long = await operator.assign("summarize", {"text": "long", "steps": 400}, required_capabilities=["summarize"])
    await until(lambda: _progressed(operator, long.task_id))
    await operator.cancel_task(long.task_id)
    assert (await operator.wait_task(long.task_id, timeout_ms=5000)).state == "CANCELLED"
    await until(lambda: worker.in_flight == 0)


async def _progressed(operator: CoordClient, task_id: str) -> bool:
    return ((await operator.get_task(task_id)).progress or 0) > 0


async def test_the_operator_script_runs_against_an_echo_worker(daemon: Daemon) -> None:
    env = {**os.environ, **python_env(), "COORDD_URL": daemon.url, "COORDD_PARENT_PIPE": "stdin"}
    echo = subprocess.Popen([sys.executable, "-m", "coordd.worker", "echo_worker:worker"], cwd=EXAMPLES, env=env, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        async with CoordClient(daemon.url) as op:
            await until(lambda: _has_agent(op, "echo"), timeout=15)
        script = await asyncio.create_subprocess_exec(sys.executable, str(EXAMPLES / "operator_script.py"), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(script.communicate(), 60)
        text = out.decode()
        assert script.returncode == 0, err.decode()
        assert "update" in text and "result {'echo': 'hello'" in text
        assert "cancelled: CANCELLED" in text and "failed: FAILED" in text and "retried: " in text
    finally:
        assert echo.stdin is not None
        echo.stdin.close()
        echo.wait(10)


async def _has_agent(op: CoordClient, capability: str) -> Any:
    return (await op.agents(capability=capability)).agents
