"""The echo worker in Python: answers each ``echo`` task with its payload.

    COORDD_URL=ws://127.0.0.1:7420/rpc python -m coordd.worker echo_worker:worker

Payload flags exercise the daemon's failure paths, as the TypeScript echo worker's do:
``sleep_ms`` (wait; cut short by task.cancel), ``fail`` (+ ``retryable: false`` to make it final).
"""

import asyncio
import os

from pydantic import BaseModel

from coordd import AgentWorker, TaskContext, TaskFailure

worker = AgentWorker(name="echo-py", type="echo", capabilities=["echo"], capacity=4)


class Echo(BaseModel):
    text: str = ""
    sleep_ms: int = 0
    fail: bool = False
    retryable: bool = True


@worker.task("echo")
async def echo(payload: Echo, ctx: TaskContext) -> dict[str, object]:
    if payload.sleep_ms > 0:
        await asyncio.sleep(payload.sleep_ms / 1000)
    if payload.fail:
        raise TaskFailure("echo: failure requested", retryable=payload.retryable)
    return {"echo": payload.text, "taskId": ctx.task_id, "attempt": ctx.attempt, "pid": os.getpid()}


if __name__ == "__main__":
    worker.run()
