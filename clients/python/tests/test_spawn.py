"""pool.spawn of a Python template: `python -m coordd.worker module:worker` registers, works, and
dies with the daemon (COORDD_PARENT_PIPE=stdin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from coordd import CoordClient

from .conftest import EXAMPLES, Daemon, python_env, until


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its dead parent's reaper) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


async def test_pool_spawn_of_a_python_template_registers_workers_that_die_with_the_daemon(start_daemon: Callable[..., Daemon], tmp_path: Path) -> None:
    templates = tmp_path / "templates.json"
    templates.write_text(json.dumps({
        "py-echo": {
            "command": sys.executable,
            "args": ["-m", "coordd.worker", "echo_worker:worker"],
            "cwd": str(EXAMPLES),
            "env": {**python_env(), "COORDD_CAPABILITIES": "py-echo,echo", "COORDD_CAPACITY": "2"},
            "restart": "never",
        }
    }))
    d = start_daemon({"COORDD_AGENT_TEMPLATES": str(templates)})
    async with CoordClient(d.url) as client:
        spawned = await client.spawn(2, "py-echo")
        assert len(spawned.agent_ids) == 2 and len(spawned.pids) == 2
        listed = await client.agents(template="py-echo")
        assert sorted(a.agent_id for a in listed.agents) == sorted(spawned.agent_ids)
        assert all(a.capabilities == ["py-echo", "echo"] and a.capacity == 2 and a.spawned for a in listed.agents)
        tasks = [await client.assign("echo", {"text": f"hi {i}"}, required_capabilities=["py-echo"]) for i in range(4)]
        records = [await client.wait_task(t.task_id, timeout_ms=10_000) for t in tasks]
        results: list[Any] = [r.result for r in records]
        assert [r["echo"] for r in results] == [f"hi {i}" for i in range(4)]
        assert {r["pid"] for r in results} <= set(spawned.pids)
    d.kill()  # SIGKILL: only the stdin pipe (and setpriv's death signal) can tell the workers
    await until(lambda: not any(alive(pid) for pid in spawned.pids), timeout=10)


def test_the_worker_cli_exits_when_stdin_closes_and_reports_bad_settings(daemon: Daemon) -> None:
    env = {**os.environ, **python_env(), "COORDD_URL": daemon.url, "COORDD_PARENT_PIPE": "stdin"}
    proc = subprocess.Popen([sys.executable, "-m", "coordd.worker", "echo_worker:worker"], cwd=EXAMPLES, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None and proc.stdin is not None
    for line in proc.stderr:
        if "registered as" in line:
            break
    began = time.monotonic()
    proc.stdin.close()
    assert proc.wait(5) == 0
    assert time.monotonic() - began < 3

    bad = subprocess.run([sys.executable, "-m", "coordd.worker", "echo_worker:worker"], cwd=EXAMPLES, env={**env, "COORDD_CAPACITY": "zero"}, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "COORDD_CAPACITY" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "coordd.worker", "no_such_module:worker"], cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=30)
    assert missing.returncode == 2 and "no_such_module" in missing.stderr
