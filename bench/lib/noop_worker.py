"""bench:python's Python worker: answers every `noop` task with None (settings from COORDD_*)."""

from typing import Any

from coordd import AgentWorker, TaskContext

worker = AgentWorker(name="noop-py", type="noop", capacity=16)


@worker.task("noop")
async def noop(payload: Any, ctx: TaskContext) -> None:
    return None
