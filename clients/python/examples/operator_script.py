"""An operator script: submit tasks, follow them, cancel one, retry a failure, read the pool.

    COORDD_URL=ws://127.0.0.1:7420/rpc COORDD_TOKEN=... python operator_script.py

Start a worker first (``python -m coordd.worker echo_worker:worker``).
"""

import asyncio
import os

from coordd import CoordClient


async def main() -> None:
    url = os.environ.get("COORDD_URL", "ws://127.0.0.1:7420/rpc")
    async with CoordClient(url, token=os.environ.get("COORDD_TOKEN")) as client:
        updates = client.task_updates()  # before assigning, so no update is missed
        done = await client.assign("echo", {"text": "hello"}, subscribe=True)
        async for update in updates:
            print("update", update.task_id, update.state)
            if update.state in ("COMPLETED", "FAILED", "CANCELLED"):
                break
        await updates.aclose()
        print("result", (await client.get_task(done.task_id)).result)

        slow = await client.assign("echo", {"sleep_ms": 60_000})
        await client.cancel_task(slow.task_id)
        print("cancelled:", (await client.wait_task(slow.task_id, timeout_ms=5000)).state)

        failed = await client.assign("echo", {"fail": True, "retryable": False})
        record = await client.wait_task(failed.task_id, timeout_ms=5000)
        print("failed:", record.state, record.error)
        retried = await client.retry_task(failed.task_id)
        print("retried:", retried.state, "retry", retried.retry)

        status = await client.status()
        print("agents", status.agents.total, "utilization", status.utilization)
        for agent in (await client.agents()).agents:
            print(" ", agent.agent_id, agent.state, agent.capabilities, f"{agent.in_flight}/{agent.capacity}")


if __name__ == "__main__":
    asyncio.run(main())
