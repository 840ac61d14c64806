"""Running tasks survive a dropped connection and a daemon restart (issue 11's reattach protocol:
agent.register `running` -> `reattached` / `dropped`, outcomes by `task.report`)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coordd import AgentWorker, BackoffOptions, CoordClient, TaskContext

from .conftest import Daemon, until

FAST_RECONNECT = BackoffOptions(initial_delay=0.05, max_delay=0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gate:
    """A handler that waits for the test to let it finish, counting starts, cancels and finishes."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.epochs: list[int] = []
        self.cancelled: list[int] = []
        self.finished: list[int] = []

    async def __call__(self, payload: Any, ctx: TaskContext) -> dict[str, int]:
        self.epochs.append(ctx.epoch)
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.append(ctx.epoch)
            raise
        self.finished.append(ctx.epoch)
        return {"epoch": ctx.epoch}


async def test_after_a_dropped_connection_the_requeued_attempt_is_dropped_and_the_task_completes_once(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    gate = Gate()
    worker = AgentWorker(daemon.url, capabilities=["gated-drop"], reconnect=FAST_RECONNECT)
    worker.task("gated")(gate)
    registrations: list[Any] = []
    worker.on_registered(lambda r, again: registrations.append(r))
    workers.append(worker)
    await worker.start()
    a = await operator.assign("gated", None, required_capabilities=["gated-drop"])
    await until(lambda: gate.epochs == [1])

    ws = worker.client._ws  # the network drops (the daemon keeps running)
    assert ws is not None
    await ws.close()
    await until(lambda: len(registrations) == 2)
    # The daemon requeued the attempt when the socket closed: the re-registration reports it and
    # is told to drop it; the task comes back as a new attempt (a later epoch), to this worker.
    assert [(d.task_id, d.epoch) for d in registrations[1].dropped] == [(a.task_id, 1)]
    await until(lambda: gate.cancelled == [1] and len(gate.epochs) == 2, message=lambda: f"{gate.epochs} {gate.cancelled}")
    gate.release.set()
    record = await operator.wait_task(a.task_id, timeout_ms=5000)
    second = gate.epochs[1]
    assert second > 1 and record.state == "COMPLETED" and record.result == {"epoch": second}
    assert gate.finished == [second] and worker.undelivered == 0


async def test_after_a_daemon_restart_the_worker_reattaches_its_running_task_and_it_completes_once(start_daemon: Callable[..., Daemon], tmp_path: Path, workers: list[AgentWorker]) -> None:
    port = str(free_port())
    env = {"COORDD_PORT": port, "COORDD_STORE": f"sqlite:{tmp_path / 'coordd.db'}", "COORDD_REATTACH_GRACE": "10"}
    first = start_daemon(env)
    gate = Gate()
    worker = AgentWorker(first.url, agent_id="reattacher", capabilities=["gated"], reconnect=FAST_RECONNECT)
    worker.task("gated")(gate)
    registrations: list[Any] = []
    worker.on_registered(lambda r, again: registrations.append(r))
    workers.append(worker)
    await worker.start()
    async with CoordClient(first.url) as op:
        a = await op.assign("gated", None, required_capabilities=["gated"])
    await until(lambda: gate.epochs == [1])

    first.kill()  # SIGKILL: no shutdown, no task.cancel
    second = start_daemon(env)
    await until(lambda: len(registrations) == 2, timeout=10)
    async with CoordClient(second.url) as op:
        assert (await op.get_task(a.task_id)).state == "IN_PROGRESS"  # recovered from the SQLite file
        assert [(r.task_id, r.epoch) for r in registrations[1].reattached] == [(a.task_id, 1)]
        gate.release.set()
        record = await op.wait_task(a.task_id, timeout_ms=10_000)
        assert record.state == "COMPLETED" and record.result == {"epoch": 1}
        assert gate.epochs == [1] and gate.finished == [1] and gate.cancelled == []
        await until(lambda: worker.undelivered == 0)
