"""A list of URLs (the replicas of a cluster): rotation on reconnect, 1012/1013 at once, the
retryable LEADER_UNAVAILABLE error and assign's retry with an idempotency key (issue 12)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from coordd import LEADER_UNAVAILABLE_CODE, AgentWorker, BackoffOptions, CoordClient, RpcError, from_env

from .conftest import Daemon, until
from .test_reattach import FAST_RECONNECT, Gate, free_port

#: So long that a reconnect which waited for it would fail the test: 1012/1013 must not wait.
SLOW_RECONNECT = BackoffOptions(initial_delay=30.0, max_delay=30.0)


class Replica:
    """A scripted stand-in for one replica on a real socket: answers each method with what the
    test queued (a result or an error), and can close every connection with a given code."""

    def __init__(self) -> None:
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[dict[str, Any]] = []
        self.connections: list[ServerConnection] = []
        self.url = ""

    async def handler(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        async for frame in ws:
            message = json.loads(frame)
            self.calls.append(message)
            queued = self.replies.get(message["method"], [])
            reply = queued.pop(0) if queued else {"result": None}
            if reply.get("hang"):
                continue
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": message["id"], **reply}))

    async def close_all(self, code: int, reason: str) -> None:
        for ws in self.connections:
            await ws.close(code, reason)


@pytest.fixture
async def replica() -> AsyncIterator[Replica]:
    r = Replica()
    async with serve(r.handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        r.url = f"ws://127.0.0.1:{port}/rpc"
        yield r


LEADER_UNAVAILABLE = {"error": {"code": -32007, "message": "No cluster leader could take this call; retry", "data": {"retryAfterMs": 20, "reason": "leader changed"}}}
ASSIGNED = {"result": {"taskId": "t1", "state": "PENDING", "deduplicated": True}}


def test_leader_unavailable_is_retryable_and_carries_its_delay() -> None:
    error = RpcError(LEADER_UNAVAILABLE_CODE, "x", {"retryAfterMs": 250})
    assert LEADER_UNAVAILABLE_CODE == -32007
    assert error.retryable and error.retry_after == 0.25
    assert RpcError(-32007, "x").retry_after is None
    assert not RpcError(-32602, "Invalid params").retryable
    assert not RpcError(-32008, "state lost").retryable


def test_from_env_reads_a_comma_list_of_urls() -> None:
    assert from_env({"COORDD_URL": " ws://a:1/rpc , ws://b:2/rpc,"}).url == ["ws://a:1/rpc", "ws://b:2/rpc"]
    assert from_env({"COORDD_URL": "ws://a:1/rpc"}).url == "ws://a:1/rpc"
    with pytest.raises(ValueError, match='COORDD_URL must be a ws.*"http://b"'):
        from_env({"COORDD_URL": "ws://a:1/rpc,http://b"})
    worker = AgentWorker.from_env({"COORDD_URL": "ws://a:1/rpc,ws://b:2/rpc"})
    assert worker.url == ["ws://a:1/rpc", "ws://b:2/rpc"]


def test_an_empty_url_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one url"):
        CoordClient([])


async def test_connects_to_the_first_url_that_answers(daemon: Daemon) -> None:
    dead = f"ws://127.0.0.1:{free_port()}/rpc"
    async with CoordClient([dead, daemon.url], reconnect=FAST_RECONNECT) as client:
        assert client.url == daemon.url
        assert (await client.status()).agents.total >= 0


async def test_close_code_1012_moves_to_the_next_url_at_once(replica: Replica, daemon: Daemon) -> None:
    async with CoordClient([replica.url, daemon.url], reconnect=SLOW_RECONNECT) as client:
        assert client.url == replica.url
        opened = asyncio.Event()
        client.on_open(lambda reconnected: opened.set())
        started = time.monotonic()
        await replica.close_all(1012, "leader changed")
        await asyncio.wait_for(opened.wait(), 5)
        assert time.monotonic() - started < 5 and client.url == daemon.url
        assert (await client.status()).agents.total >= 0


async def test_close_code_1013_also_moves_on_at_once(replica: Replica, daemon: Daemon) -> None:
    async with CoordClient([replica.url, daemon.url], reconnect=SLOW_RECONNECT) as client:
        opened = asyncio.Event()
        client.on_open(lambda reconnected: opened.set())
        await replica.close_all(1013, "try again later")
        await asyncio.wait_for(opened.wait(), 5)
        assert client.url == daemon.url


async def test_an_operator_continues_on_daemon_b_when_daemon_a_stops(start_daemon: Callable[..., Daemon]) -> None:
    a, b = start_daemon(), start_daemon()
    async with CoordClient([a.url, b.url], reconnect=FAST_RECONNECT) as client:
        await client.assign("job", {"on": "a"})
        opened = asyncio.Event()
        client.on_open(lambda reconnected: opened.set())
        a.stop()
        await asyncio.wait_for(opened.wait(), 10)
        assert client.url == b.url
        record = await client.assign("job", {"on": "b"})
        assert (await client.get_task(record.task_id)).payload == {"on": "b"}


async def test_assign_with_an_idempotency_key_retries_leader_unavailable(replica: Replica) -> None:
    replica.replies["pool.assign"] = [LEADER_UNAVAILABLE, ASSIGNED]
    async with CoordClient(replica.url, reconnect=FAST_RECONNECT) as client:
        result = await client.assign("echo", idempotency_key="k1")
    assert result.task_id == "t1" and result.deduplicated
    sent = [c["params"] for c in replica.calls if c["method"] == "pool.assign"]
    assert sent == [{"type": "echo", "payload": None, "idempotencyKey": "k1"}] * 2


async def test_assign_without_a_key_is_made_once(replica: Replica) -> None:
    replica.replies["pool.assign"] = [LEADER_UNAVAILABLE, ASSIGNED]
    async with CoordClient(replica.url, reconnect=FAST_RECONNECT) as client:
        with pytest.raises(RpcError) as caught:
            await client.assign("echo")
    assert caught.value.retryable and caught.value.code == -32007
    assert len([c for c in replica.calls if c["method"] == "pool.assign"]) == 1


async def test_assign_gives_up_after_assign_retries(replica: Replica) -> None:
    replica.replies["pool.assign"] = [LEADER_UNAVAILABLE] * 5
    async with CoordClient(replica.url, reconnect=FAST_RECONNECT, assign_retries=2) as client:
        with pytest.raises(RpcError):
            await client.assign("echo", idempotency_key="k")
    assert len([c for c in replica.calls if c["method"] == "pool.assign"]) == 3


async def test_assign_survives_a_1012_before_the_reply_and_lands_on_the_next_replica(replica: Replica, daemon: Daemon) -> None:
    replica.replies["pool.assign"] = [{"hang": True}]
    async with CoordClient([replica.url, daemon.url], reconnect=SLOW_RECONNECT) as client:
        pending = asyncio.ensure_future(client.assign("echo", {"n": 1}, idempotency_key="move-me"))
        await until(lambda: any(c["method"] == "pool.assign" for c in replica.calls))
        await replica.close_all(1012, "leader changed")
        result = await asyncio.wait_for(pending, 10)
        assert client.url == daemon.url
        assert (await client.get_task(result.task_id)).idempotency_key == "move-me"


async def test_an_agent_reregisters_on_the_next_url_with_its_running_task(start_daemon: Callable[..., Daemon], tmp_path: Path, workers: list[AgentWorker]) -> None:
    # A and its successor B share one SQLite file (B starts once A is dead), like a new leader that
    # loads what the old one committed; the agent knows both URLs.
    store = {"COORDD_STORE": f"sqlite:{tmp_path / 'coordd.db'}", "COORDD_REATTACH_GRACE": "20"}
    a = start_daemon(store)
    b_port = free_port()
    b_url = f"ws://127.0.0.1:{b_port}/rpc"
    gate = Gate()
    worker = AgentWorker([a.url, b_url], agent_id="mover", capabilities=["gated"], reconnect=FAST_RECONNECT)
    worker.task("gated")(gate)
    registrations: list[tuple[Any, bool, str]] = []
    worker.on_registered(lambda r, again: registrations.append((r, again, worker.client.url)))
    workers.append(worker)
    await worker.start()
    async with CoordClient(a.url) as op:
        task = await op.assign("gated", None, required_capabilities=["gated"])
    await until(lambda: gate.epochs == [1])
    a.kill()
    b = start_daemon({**store, "COORDD_PORT": str(b_port)})
    await until(lambda: len(registrations) == 2, timeout=15)
    registration, again, url = registrations[1]
    assert again and url == b.url
    assert [(r.task_id, r.epoch) for r in registration.reattached] == [(task.task_id, 1)]
    gate.release.set()
    async with CoordClient(b.url) as op:
        record = await op.wait_task(task.task_id, timeout_ms=10_000)
    assert record.state == "COMPLETED" and record.result == {"epoch": 1}
    assert gate.epochs == [1] and gate.finished == [1]


