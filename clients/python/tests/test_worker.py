"""AgentWorker and CoordClient against the real daemon."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from coordd import AgentWorker, BackoffOptions, ClientError, CoordClient, RpcError, TaskContext, TaskFailure
from coordd.notifications import TaskUpdated

from .conftest import Daemon, until

FAST_RECONNECT = BackoffOptions(initial_delay=0.05, max_delay=0.2)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def started(workers: list[AgentWorker], worker: AgentWorker) -> AgentWorker:
    workers.append(worker)
    await worker.start()
    return worker


class Doc(BaseModel):
    text: str
    words: int = 3


async def test_a_worker_completes_tasks_with_typed_payloads_and_progress(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("summarize")
    worker = AgentWorker(daemon.url, capabilities=[cap], capacity=4)
    seen: list[tuple[str, int, str]] = []

    @worker.task("summarize")
    async def summarize(payload: Doc, ctx: TaskContext) -> dict[str, Any]:
        seen.append((ctx.task_id, ctx.attempt, ctx.trace_id))
        ctx.progress(0.5, "halfway")
        return {"summary": " ".join(payload.text.split()[: payload.words]), "agent": ctx.agent_id}

    await started(workers, worker)
    assert worker.agent_id
    assigned = [await operator.assign("summarize", {"text": f"task {i} of many words"}, required_capabilities=[cap], trace_id=f"trace-{i}") for i in range(6)]
    records = [await operator.wait_task(a.task_id, timeout_ms=5000) for a in assigned]
    assert [r.state for r in records] == ["COMPLETED"] * 6
    assert records[2].result == {"summary": "task 2 of", "agent": worker.agent_id}
    assert {t for t, _, _ in seen} == {a.task_id for a in assigned}
    assert ("trace-0" in {tr for _, _, tr in seen}) and all(attempt == 1 for _, attempt, _ in seen)
    assert records[0].progress == 0.5 and records[0].progress_message == "halfway"


async def test_a_payload_that_does_not_fit_the_handler_fails_for_good(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("typed")
    worker = AgentWorker(daemon.url, capabilities=[cap])

    @worker.task("typed")
    async def typed(payload: Doc, ctx: TaskContext) -> str:
        return payload.text

    await started(workers, worker)
    a = await operator.assign("typed", {"words": "many"}, required_capabilities=[cap], max_attempts=3)
    record = await operator.wait_task(a.task_id, timeout_ms=5000)
    assert record.state == "FAILED" and len(record.attempts) == 1
    assert record.error is not None and record.error.code == -32602


async def test_sync_handlers_run_in_threads_up_to_capacity(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("blocking")
    worker = AgentWorker(daemon.url, capabilities=[cap], capacity=3)
    lock = threading.Lock()
    active = [0, 0]  # now, most at once

    @worker.task("blocking")
    def blocking(payload: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        assert threading.current_thread() is not threading.main_thread()
        with lock:
            active[0] += 1
            active[1] = max(active[1], active[0])
        time.sleep(0.1)  # a blocking agent.run
        with lock:
            active[0] -= 1
        return {"n": payload["n"]}

    await started(workers, worker)
    assigned = [await operator.assign("blocking", {"n": i}, required_capabilities=[cap]) for i in range(9)]
    records = [await operator.wait_task(a.task_id, timeout_ms=10_000) for a in assigned]
    assert [r.result for r in records] == [{"n": i} for i in range(9)]
    assert active[1] == 3  # the daemon filled every slot, and never more


async def test_task_cancel_reaches_an_async_handler_within_a_second(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("slow")
    worker = AgentWorker(daemon.url, capabilities=[cap])
    began = asyncio.Event()
    cancelled_at: list[float] = []

    @worker.task("slow")
    async def slow(payload: Any, ctx: TaskContext) -> None:
        began.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled_at.append(time.monotonic())
            assert ctx.cancelled
            raise

    await started(workers, worker)
    a = await operator.assign("slow", None, required_capabilities=[cap])
    await asyncio.wait_for(began.wait(), 5)
    asked = time.monotonic()
    await operator.cancel_task(a.task_id)
    record = await operator.wait_task(a.task_id, timeout_ms=5000)
    assert record.state == "CANCELLED"
    assert cancelled_at and cancelled_at[0] - asked < 1.0
    assert worker.in_flight == 0


async def test_a_sync_handler_sees_ctx_cancelled(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("polling")
    worker = AgentWorker(daemon.url, capabilities=[cap])
    began = threading.Event()
    saw_cancel = threading.Event()

    @worker.task("polling")
    def polling(payload: Any, ctx: TaskContext) -> str:
        began.set()
        if ctx.wait_cancelled(30):
            saw_cancel.set()
            ctx.check_cancelled()
        return "not cancelled"

    await started(workers, worker)
    a = await operator.assign("polling", None, required_capabilities=[cap])
    await until(began.is_set)
    await operator.cancel_task(a.task_id)
    assert (await operator.wait_task(a.task_id, timeout_ms=5000)).state == "CANCELLED"
    await until(saw_cancel.is_set, timeout=1.0)


async def test_a_failing_handler_fails_the_attempt_and_the_daemon_retries(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("flaky")
    worker = AgentWorker(daemon.url, capabilities=[cap])
    calls: dict[str, int] = {}

    @worker.task("flaky")
    async def flaky(payload: dict[str, Any], ctx: TaskContext) -> str:
        calls[ctx.task_id] = calls.get(ctx.task_id, 0) + 1
        if payload["mode"] == "final":
            raise TaskFailure("bad input", retryable=False, data={"field": "x"})
        if payload["mode"] == "always" or ctx.attempt < 2:
            raise ValueError(f"boom on attempt {ctx.attempt}")
        return f"ok on attempt {ctx.attempt}"

    await started(workers, worker)
    once = await operator.assign("flaky", {"mode": "once"}, required_capabilities=[cap], max_attempts=3)
    always = await operator.assign("flaky", {"mode": "always"}, required_capabilities=[cap], max_attempts=3)
    final = await operator.assign("flaky", {"mode": "final"}, required_capabilities=[cap], max_attempts=3)

    r_once = await operator.wait_task(once.task_id, timeout_ms=5000)
    assert r_once.state == "COMPLETED" and r_once.result == "ok on attempt 2"
    assert r_once.attempts[0].error is not None and r_once.attempts[0].error.message == "boom on attempt 1"

    r_always = await operator.wait_task(always.task_id, timeout_ms=5000)
    assert r_always.state == "FAILED" and len(r_always.attempts) == 3 and calls[always.task_id] == 3
    assert r_always.error is not None and r_always.error.data == {"type": "ValueError", "retryable": True}

    r_final = await operator.wait_task(final.task_id, timeout_ms=5000)
    assert r_final.state == "FAILED" and calls[final.task_id] == 1
    assert r_final.error is not None and r_final.error.data == {"field": "x", "retryable": False}

    retried = await operator.retry_task(final.task_id)
    assert retried.state in ("PENDING", "IN_PROGRESS") and retried.retry is not None and retried.retry.count == 1
    assert (await operator.wait_task(final.task_id, timeout_ms=5000)).state == "FAILED"
    assert calls[final.task_id] == 2


async def test_task_updates_and_pool_events_arrive_as_async_iterators(daemon: Daemon, workers: list[AgentWorker]) -> None:
    cap = unique("watched")
    async with CoordClient(daemon.url) as client:
        events = await client.events(types=["agent.joined", "task.state"])
        assert events.subscription.seq == 0
        worker = AgentWorker(daemon.url, capabilities=[cap])

        @worker.task("watched")
        async def watched(payload: Any, ctx: TaskContext) -> int:
            return 42

        await started(workers, worker)
        updates = client.task_updates()
        a = await client.assign("watched", None, required_capabilities=[cap], subscribe=True)
        states: list[TaskUpdated] = []
        async for update in updates:
            assert update.task_id == a.task_id
            states.append(update)
            if update.state == "COMPLETED":
                break
        await updates.aclose()
        assert states[-1].result == 42 and states[-1].agent_id == worker.agent_id

        joined = await events.next(timeout=5)
        while not (joined.type == "agent.joined" and joined.data["agentId"] == worker.agent_id):
            joined = await events.next(timeout=5)
        seqs = [joined.seq]
        finished = await events.next(timeout=5)
        while not (finished.type == "task.state" and finished.data["taskId"] == a.task_id and finished.data["state"] == "COMPLETED"):
            seqs.append(finished.seq)
            finished = await events.next(timeout=5)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        await events.aclose()

        alerts = await client.alerts()
        assert alerts.state.subscribed is True and isinstance(alerts.state.active, list)
        await alerts.aclose()


async def test_request_timeouts_and_typed_calls(operator: CoordClient) -> None:
    queued = await operator.assign("nobody-serves-this", None, required_capabilities=[unique("none")])
    with pytest.raises(ClientError) as timed_out:
        await operator.request("task.wait", {"taskId": queued.task_id, "timeoutMs": 5000}, timeout=0.2)
    assert timed_out.value.code == "TIMEOUT"
    assert (await operator.cancel_task(queued.task_id)).state == "CANCELLED"
    with pytest.raises(RpcError) as unknown:
        await operator.get_task("00000000-0000-4000-8000-000000000000")
    assert unknown.value.code == -32020 or unknown.value.data["name"] == "TASK_NOT_FOUND"
    status = await operator.call("pool.status")
    assert status.accepting is True
    with pytest.raises(Exception):
        await operator.call("pool.assign", {"type": ""})  # refused locally by the params model


async def test_a_dropped_worker_reconnects_and_registers_the_same_id(daemon: Daemon, operator: CoordClient, workers: list[AgentWorker]) -> None:
    cap = unique("sticky")
    worker = AgentWorker(daemon.url, capabilities=[cap], reconnect=FAST_RECONNECT)
    registrations: list[bool] = []
    worker.on_registered(lambda _r, again: registrations.append(again))

    @worker.task("sticky")
    async def sticky(payload: Any, ctx: TaskContext) -> str | None:
        return ctx.agent_id

    await started(workers, worker)
    first_id = worker.agent_id
    assert first_id is not None
    removed = await operator.request("agent.remove", {"agentId": first_id, "force": True})
    assert removed["removed"] is True
    await until(lambda: registrations == [False, True])
    assert worker.agent_id == first_id
    a = await operator.assign("sticky", None, required_capabilities=[cap])
    assert (await operator.wait_task(a.task_id, timeout_ms=5000)).result == first_id


async def test_another_credentials_agent_id_is_forbidden_and_not_retried(start_daemon: Any, tmp_path: Any, workers: list[AgentWorker]) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text('[{"token":"agent-one-0123456789","role":"agent","name":"one"},{"token":"agent-two-0123456789","role":"agent","name":"two"},{"token":"operator-0123456789","role":"operator"}]')
    d: Daemon = start_daemon({"COORDD_TOKENS_FILE": str(tokens)})
    owner = AgentWorker(d.url, token="agent-one-0123456789", agent_id="shared-id", capabilities=["x"])
    owner.task("x")(_noop)
    await started(workers, owner)

    intruder = AgentWorker(d.url, token="agent-two-0123456789", token_via="subprotocol", agent_id="shared-id", capabilities=["x"], reconnect=FAST_RECONNECT)
    intruder.task("x")(_noop)
    workers.append(intruder)
    began = time.monotonic()
    with pytest.raises(ClientError) as refused:
        await intruder.start()
    assert refused.value.code == "FORBIDDEN" and "shared-id" in str(refused.value)
    assert time.monotonic() - began < 2  # not retried with backoff
    assert owner.client.connected

    with pytest.raises(ClientError) as bad_token:
        await CoordClient(d.url, token="nope-0123456789", token_via="subprotocol").connect()
    assert bad_token.value.code == "AUTH_FAILED"
    async with CoordClient(d.url, token="operator-0123456789", token_via="subprotocol") as op:
        listed = await op.agents()
        assert [a.agent_id for a in listed.agents] == ["shared-id"]


async def _noop(payload: Any, ctx: TaskContext) -> None:
    return None
