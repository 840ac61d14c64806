"""AgentWorker: a Python agent in the pool.

    worker = AgentWorker(capacity=4)

    @worker.task("summarize")
    async def summarize(payload: Doc, ctx: TaskContext) -> dict[str, str]:
        ctx.progress(0.5, "halfway")
        return {"summary": payload.text[:100]}

    worker.run()  # reads COORDD_URL, COORDD_JOIN_TOKEN... from the environment

Connects, registers (``agent.register``), heartbeats, and runs the daemon's ``task.run`` requests
through the handler registered for the task's type, answering each with its result or error.
Async handlers run on the event loop and are cancelled (``asyncio`` cancellation) on
``task.cancel``; plain functions run in a thread pool of ``capacity`` threads and poll
``ctx.cancelled``. Re-registers with the same agent id and context window after a reconnect,
reporting the attempts it still runs (or finished while disconnected): the daemon reattaches its
own after a restart (their outcome then goes by ``task.report``, since the request that started
them is gone) and names the ones to drop, which are cancelled.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import logging
import os
import signal
import sys
import threading
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from . import models as m
from .backoff import BackoffOptions
from .client import CoordClient
from .env import from_env, has_parent_pipe
from .errors import FORBIDDEN_CODE, TASK_FAILED_CODE, ClientError, RpcError, TaskCancelled, TaskFailure
from .notifications import TaskCancel, TaskRun

log = logging.getLogger("coordd.worker")

F = TypeVar("F", bound=Callable[..., Any])
MAX_PROGRESS_MESSAGE = 4096


class TaskContext:
    """What a handler gets besides the payload."""

    def __init__(self, worker: AgentWorker, run: TaskRun, loop: asyncio.AbstractEventLoop) -> None:
        self.task_id = run.task_id
        self.type = run.type
        self.attempt = run.attempt
        self.epoch = run.epoch
        self.trace_id = run.trace_id
        #: Milliseconds since the epoch by which the attempt times out (when the daemon says).
        self.deadline = run.deadline
        self.agent_id = worker.agent_id
        self._worker = worker
        self._loop = loop
        self._cancelled = threading.Event()
        self.cancel_reason: str | None = None

    @property
    def cancelled(self) -> bool:
        """True once the daemon sent ``task.cancel``, the connection dropped, or the worker is stopping.
        A sync handler should poll it (or call :meth:`check_cancelled`) between steps."""
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` if the task was cancelled."""
        if self.cancelled:
            raise TaskCancelled(self.cancel_reason or "cancelled")

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block (a thread) until cancelled or ``timeout`` seconds pass; True when cancelled."""
        return self._cancelled.wait(timeout)

    def progress(self, progress: float | None = None, message: str | None = None) -> None:
        """Send a ``task.progress`` notification (progress clamped to [0, 1]); never raises.
        Safe to call from a handler's thread."""
        params: dict[str, Any] = {"taskId": self.task_id, "epoch": self.epoch}
        if progress is not None and progress == progress and abs(progress) != float("inf"):
            params["progress"] = min(1.0, max(0.0, float(progress)))
        if message is not None:
            params["message"] = message[:MAX_PROGRESS_MESSAGE]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._worker._notify("task.progress", params)
        else:
            self._loop.call_soon_threadsafe(self._worker._notify, "task.progress", params)

    def _cancel(self, reason: str) -> None:
        self.cancel_reason = reason
        self._cancelled.set()


@dataclass
class _Handler:
    fn: Callable[..., Any]
    is_async: bool
    payload: TypeAdapter[Any] | None
    """Validates the payload into the handler's annotated type (None: passed as is)."""


@dataclass
class _Running:
    epoch: int
    ctx: TaskContext
    generation: int
    """The registration (connection) whose task.run request started it."""
    task: asyncio.Future[Any] | None = None
    cancelled_by: list[TaskFailure | ClientError] = field(default_factory=list)
    dropped: bool = False
    """The daemon no longer expects it (superseded, or dropped at re-registration): nothing is sent."""


#: An attempt's outcome: ``{taskId, epoch, result}`` or ``{taskId, epoch, error}`` (task.report's params).
Outcome = dict[str, Any]


class AgentWorker:
    """An agent: see the module's documentation. Settings not given here are read from the
    environment by :meth:`from_env` / :meth:`run` (``COORDD_URL``, ``COORDD_JOIN_TOKEN`` or
    ``COORDD_TOKEN``, ``COORDD_AGENT_ID``, ``COORDD_CAPABILITIES``, ``COORDD_CAPACITY``)."""

    def __init__(
        self,
        url: str | list[str] | None = None,
        *,
        token: str | None = None,
        token_via: typing.Literal["header", "subprotocol"] = "header",
        agent_id: str | None = None,
        name: str | None = None,
        type: str | None = None,
        capabilities: list[str] | None = None,
        capacity: int = 1,
        context_window_id: str | None = None,
        heartbeat: bool = True,
        reconnect: BackoffOptions | typing.Literal[False] = BackoffOptions(),
        request_timeout: float = 30.0,
        exit_with_parent: bool | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.url = url
        self.token = token
        self.token_via = token_via
        self.name = name
        self.type = type
        self.capabilities = capabilities
        self.capacity = capacity
        self.heartbeat = heartbeat
        self.reconnect = reconnect
        self.request_timeout = request_timeout
        self.exit_with_parent = exit_with_parent
        self._agent_id = agent_id
        self._context_window_id = context_window_id
        self._handlers: dict[str, _Handler] = {}
        self._running: dict[str, _Running] = {}
        self._undelivered: dict[str, Outcome] = {}
        """Outcomes finished while no connection could take them, by task id."""
        self._generation = 0
        self._socket_up = False
        self._client: CoordClient | None = None
        self._registration: m.Registration | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._on_registered: list[Callable[[m.Registration, bool], None]] = []

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **defaults: Any) -> AgentWorker:
        """A worker with ``defaults`` overridden by whatever the environment sets (as the TypeScript
        ``{capabilities: ['echo'], ...fromEnv()}``)."""
        worker = cls(**defaults)
        worker.apply_env(env)
        return worker

    def apply_env(self, env: Mapping[str, str] | None = None) -> None:
        """Override settings with the ``COORDD_*`` variables that are set (``COORDD_URL`` must be,
        unless a URL was given). Raises ValueError naming a malformed variable."""
        source = os.environ if env is None else env
        if self.url is not None and not source.get("COORDD_URL", "").strip():
            source = {**source, "COORDD_URL": self.url if isinstance(self.url, str) else ",".join(self.url)}
        settings = from_env(source)
        self.url = settings.url
        self.token = settings.token or self.token
        self._agent_id = settings.agent_id or self._agent_id
        if settings.capabilities is not None:
            self.capabilities = settings.capabilities
        if settings.capacity is not None:
            self.capacity = settings.capacity

    # ---- handlers ----

    def task(self, task_type: str) -> Callable[[F], F]:
        """Register the handler of tasks of ``task_type``: ``handler(payload, ctx)``. The payload is
        validated into the first parameter's annotation (a pydantic model, ``dict[str, Any]``...;
        a payload that does not fit fails the attempt for good, -32602). The value returned is the
        result (models are dumped to JSON); a raised exception fails the attempt, retried unless
        it is a :class:`TaskFailure` with ``retryable=False`` (or has ``retryable = False``)."""

        def register(fn: F) -> F:
            if task_type in self._handlers:
                raise ValueError(f"a handler for {task_type!r} is already registered")
            is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))
            self._handlers[task_type] = _Handler(fn=fn, is_async=is_async, payload=_payload_adapter(fn))
            return fn

        return register

    def on_registered(self, callback: Callable[[m.Registration, bool], None]) -> None:
        """Call ``callback(registration, reregistered)`` after every (re-)registration."""
        self._on_registered.append(callback)

    # ---- state ----

    @property
    def agent_id(self) -> str | None:
        """The id the daemon registered this agent under (after ``start()``)."""
        return self._registration.agent_id if self._registration else self._agent_id

    @property
    def registration(self) -> m.Registration | None:
        return self._registration

    @property
    def client(self) -> CoordClient:
        if self._client is None:
            raise RuntimeError("start() first")
        return self._client

    @property
    def in_flight(self) -> int:
        """Tasks running now."""
        return len(self._running)

    @property
    def undelivered(self) -> int:
        """Outcomes waiting for a connection to send them by ``task.report``."""
        return len(self._undelivered)

    # ---- lifecycle ----

    async def start(self) -> m.Registration:
        """Connect and register; returns the registration. Raises ClientError FORBIDDEN when the
        agent id belongs to another credential (never retried), AUTH_FAILED for a refused token."""
        if self.url is None:
            self.apply_env()
        if not self._handlers:
            raise RuntimeError("no task handlers: register one with @worker.task(type)")
        if self._client is not None:
            raise RuntimeError("start() may be called once")
        assert self.url is not None
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=self.capacity, thread_name_prefix="coordd-task")
        client = CoordClient(
            self.url,
            token=self.token,
            token_via=self.token_via,
            request_timeout=self.request_timeout,
            reconnect=self.reconnect,
            handshake=lambda _client, reconnected: self._register(reconnected),
        )
        self._client = client
        client.handle("task.run", self._on_task_run)
        client.handle("task.cancel", self._on_task_cancel)
        client.on_close(self._disconnected)
        client.on_end(lambda _error: self._abort_all(ClientError("CONNECTION_LOST", "the connection to the daemon is gone for good")))
        if self.exit_with_parent if self.exit_with_parent is not None else has_parent_pipe():
            _watch_parent_pipe(self._loop, self._parent_gone)
        await client.connect()
        assert self._registration is not None
        return self._registration

    async def stop(self) -> None:
        """Stop heartbeats, cancel running tasks, and close the connection."""
        self._stop_heartbeats()
        self._abort_all(ClientError("CLOSED", "the worker is stopping"))
        if self._client is not None:
            await self._client.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._stopped is not None:
            self._stopped.set()

    async def serve(self) -> None:
        """``start()``, then run until ``stop()``, SIGTERM/SIGINT, or the client ends for good
        (its error is raised: FORBIDDEN, AUTH_FAILED...)."""
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, lambda: loop.create_task(self.stop()))
        assert self._stopped is not None
        ended = loop.create_task(self.client.wait_closed())
        stopped = loop.create_task(self._stopped.wait())
        done, _ = await asyncio.wait({ended, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if ended in done:
            error = ended.exception()
            await self.stop()
            if error is not None:
                raise error
        else:
            ended.cancel()

    def run(self) -> None:
        """Block in ``serve()`` (``asyncio.run``); reads the environment for settings not given."""
        asyncio.run(self.serve())

    # ---- protocol ----

    async def _register(self, reregistered: bool) -> None:
        client = self.client
        # After a reconnect (the daemon may have restarted): what still runs, and what finished meanwhile.
        running = self._running_refs()
        params = m.AgentRegisterParams(
            capabilities=self.capabilities if self.capabilities is not None else sorted(self._handlers),
            capacity=self.capacity,
            **_given({"agent_id": self.agent_id, "name": self.name, "type": self.type, "context_window_id": self._context_window_id}),
            **({"running": running} if reregistered or running else {}),
        )
        # task.run requests may arrive before the registration's reply: they belong to this connection.
        self._generation += 1
        self._socket_up = True
        try:
            raw = await client.request("agent.register", params)
        except RpcError as error:
            if error.code == FORBIDDEN_CODE:
                detail = error.data.get("detail") if isinstance(error.data, dict) else None
                raise ClientError("FORBIDDEN", f"agent id {self.agent_id!r} is not this credential's: {detail or error.message}") from error
            raise
        registration = m.Registration.model_validate(raw)
        self._registration = registration
        self._reattach(registration, running)
        self._context_window_id = registration.context_window_id
        self._start_heartbeats(registration.heartbeat_interval_ms / 1000)
        log.info(
            "registered as %s (reregistered=%s, reattached=%d, dropped=%d)",
            registration.agent_id,
            reregistered,
            len(registration.reattached or []),
            len(registration.dropped or []),
        )
        for callback in list(self._on_registered):
            callback(registration, reregistered)

    def _on_task_run(self, raw: Any, notification: bool) -> Awaitable[Any] | None:
        if notification:
            return None
        try:
            run = TaskRun.model_validate(raw)
        except ValidationError as error:
            raise RpcError(-32602, "Invalid params", {"retryable": False, "paths": [".".join(map(str, e["loc"])) or "params" for e in error.errors()]}) from None
        previous = self._running.get(run.task_id)
        if previous is not None:
            previous.dropped = True
            self._abort(previous, TaskFailure("superseded by a newer attempt", retryable=True))
        self._undelivered.pop(run.task_id, None)
        handler = self._handlers.get(run.type)
        if handler is None:
            raise RpcError(TASK_FAILED_CODE, f"this worker has no handler for task type {run.type!r}", {"retryable": True, "types": sorted(self._handlers)})
        if len(self._running) >= self.capacity:
            raise RpcError(TASK_FAILED_CODE, f"over capacity ({self.capacity})", {"retryable": True})
        assert self._loop is not None
        entry = _Running(epoch=run.epoch, ctx=TaskContext(self, run, self._loop), generation=self._generation)
        self._running[run.task_id] = entry
        return self._run(run, handler, entry)

    async def _run(self, run: TaskRun, handler: _Handler, entry: _Running) -> Any:
        try:
            payload = handler.payload.validate_python(run.payload) if handler.payload is not None else run.payload
        except ValidationError as error:
            self._forget(run.task_id, entry)
            raise RpcError(-32602, f"payload does not fit the handler of {run.type!r}", {"retryable": False, "errors": error.errors(include_url=False, include_context=False, include_input=False)}) from None
        if handler.is_async:
            work: asyncio.Future[Any] = asyncio.ensure_future(handler.fn(payload, entry.ctx))
        else:
            assert self._loop is not None and self._executor is not None
            work = self._loop.run_in_executor(self._executor, handler.fn, payload, entry.ctx)
        entry.task = work
        outcome: Outcome = {"taskId": run.task_id, "epoch": run.epoch}
        try:
            result = await work
            if entry.cancelled_by:
                raise entry.cancelled_by[0]
            outcome["result"] = to_jsonable_python(result, by_alias=True)
        except BaseException as error:  # CancelledError too: the daemon always gets an answer
            outcome["error"] = _task_error(entry.cancelled_by[0] if entry.cancelled_by else error).to_json()
        finally:
            self._forget(run.task_id, entry)
        if entry.generation == self._generation and self._socket_up:
            # The request that started it can still be answered.
            if "error" in outcome:
                e = outcome["error"]
                raise RpcError(e["code"], e["message"], e.get("data"))
            return outcome["result"]
        # Started on an earlier connection (the daemon may have restarted): the reply cannot arrive.
        if not entry.dropped:
            if self._socket_up:
                self._deliver(outcome)
            else:
                self._undelivered[run.task_id] = outcome
        return None

    def _running_refs(self) -> list[dict[str, Any]]:
        """Every attempt the daemon may still expect from this agent: running, or finished and not yet told."""
        refs = {task_id: {"taskId": task_id, "epoch": e.epoch} for task_id, e in self._running.items() if not e.dropped}
        for task_id, outcome in self._undelivered.items():
            refs.setdefault(task_id, {"taskId": task_id, "epoch": outcome["epoch"]})
        return list(refs.values())[:10_000]

    def _reattach(self, registration: m.Registration, reported: list[dict[str, Any]]) -> None:
        """Act on the daemon's answer about the attempts reported at registration: those it
        reattached go on (their outcome goes by task.report); every other earlier attempt is
        cancelled or forgotten (a daemon that did not restart requeued them when the connection
        dropped; a daemon without reattachment does not answer ``reattached`` at all)."""
        keep = {(r.task_id, r.epoch) for r in registration.reattached or []}
        asked = {(r["taskId"], r["epoch"]) for r in reported}
        for task_id, entry in list(self._running.items()):
            key = (task_id, entry.epoch)
            if key in asked and key not in keep:
                entry.dropped = True
                self._abort(entry, ClientError("CONNECTION_LOST", "the connection to the daemon closed and the daemon did not keep this attempt"))
        for task_id, outcome in list(self._undelivered.items()):
            if (task_id, outcome["epoch"]) in keep:
                self._deliver(outcome)
            else:
                del self._undelivered[task_id]

    def _deliver(self, outcome: Outcome) -> None:
        """Send an outcome by task.report; kept for the next registration if the connection fails meanwhile."""
        self._undelivered[outcome["taskId"]] = outcome
        assert self._loop is not None
        self._loop.create_task(self._report(outcome))

    async def _report(self, outcome: Outcome) -> None:
        task_id = outcome["taskId"]
        try:
            answer = await self.client.request("task.report", outcome)
        except RpcError as error:  # refused: nothing more to do with it
            log.warning("task.report for %s refused: %s", task_id, error)
        except ClientError as error:  # connection lost: the next registration reports it
            log.debug("task.report for %s not delivered: %s", task_id, error)
            return
        else:
            log.info("task outcome reported for %s (accepted=%s)", task_id, answer.get("accepted") if isinstance(answer, dict) else answer)
        if self._undelivered.get(task_id) is outcome:
            del self._undelivered[task_id]

    def _on_task_cancel(self, raw: Any, notification: bool) -> None:
        try:
            notice = TaskCancel.model_validate(raw)
        except ValidationError:
            log.warning("ignored a malformed task.cancel: %r", raw)
            return
        entry = self._running.get(notice.task_id)
        if entry is None or (notice.epoch is not None and notice.epoch != entry.epoch):
            return
        self._abort(entry, TaskCancelled())

    def _abort(self, entry: _Running, reason: TaskFailure | ClientError) -> None:
        if entry.cancelled_by:
            return
        entry.cancelled_by.append(reason)
        entry.ctx._cancel(str(reason))
        # An async handler gets CancelledError; a thread cannot be interrupted, so its future is
        # cancelled (the answer goes now) and the thread stops when it next looks at ctx.cancelled.
        if entry.task is not None:
            entry.task.cancel()

    def _forget(self, task_id: str, entry: _Running) -> None:
        if self._running.get(task_id) is entry:
            del self._running[task_id]

    def _disconnected(self) -> None:
        # Running tasks go on: at the next registration they are reported, and the daemon says which
        # to keep (reattached after its restart) and which to drop (it requeued them meanwhile).
        self._socket_up = False
        self._stop_heartbeats()

    def _abort_all(self, reason: ClientError) -> None:
        for entry in list(self._running.values()):
            entry.dropped = True
            self._abort(entry, reason)
        self._undelivered.clear()

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        client = self._client
        if client is None or not client.connected:
            return
        try:
            client.notify(method, params)
        except ClientError as error:
            log.debug("%s not sent: %s", method, error)

    def _start_heartbeats(self, interval: float) -> None:
        self._stop_heartbeats()
        if self.heartbeat:
            self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeats(interval))

    async def _heartbeats(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._notify("agent.heartbeat", {"state": "EXECUTING" if self._running else "IDLE"})

    def _stop_heartbeats(self) -> None:
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        self._heartbeat_task = None

    def _parent_gone(self) -> None:
        """The daemon that spawned this worker is gone (stdin closed): nothing will send it work again."""
        print("coordd worker: the daemon that spawned this worker is gone (stdin closed); exiting", file=sys.stderr)
        assert self._loop is not None
        self._loop.call_later(1.0, os._exit, 0)  # a backstop: stopping is quick
        self._loop.create_task(self.stop()).add_done_callback(lambda _: os._exit(0))


def _watch_parent_pipe(loop: asyncio.AbstractEventLoop, on_gone: Callable[[], None]) -> None:
    """Call ``on_gone`` on the loop once stdin reaches end of file (read in a daemon thread, so
    any kind of stdin works)."""

    def read() -> None:
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(on_gone)

    threading.Thread(target=read, name="coordd-parent-pipe", daemon=True).start()


def _payload_adapter(fn: Callable[..., Any]) -> TypeAdapter[Any] | None:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable annotations: pass the payload as is
        return None
    parameters = list(inspect.signature(fn).parameters.values())
    if not parameters:
        raise TypeError(f"{fn.__name__} must take (payload, ctx)")
    annotation = hints.get(parameters[0].name)
    if annotation is None or annotation is Any:
        return None
    return TypeAdapter(annotation)


def _task_error(error: BaseException) -> RpcError:
    """A handler failure as the JSON-RPC error the daemon reads: data.retryable decides a retry."""
    if isinstance(error, RpcError):
        return error
    if isinstance(error, ClientError):
        return RpcError(TASK_FAILED_CODE, str(error), {"retryable": True})
    retryable = getattr(error, "retryable", None)
    data: dict[str, Any] = dict(error.data) if isinstance(error, TaskFailure) else {"type": type(error).__name__}
    data["retryable"] = retryable if isinstance(retryable, bool) else True
    return RpcError(TASK_FAILED_CODE, str(error) or type(error).__name__ or "task failed", data)


def _given(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}
