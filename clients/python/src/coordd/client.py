"""CoordClient: an asyncio JSON-RPC 2.0 connection to coordd over WebSocket, both ways.

Calls the daemon (typed operator helpers over :data:`coordd.models.METHODS`), serves the
methods the daemon calls back (``task.run``, ``task.cancel``, notifications), and reconnects
with exponential backoff and jitter when the socket drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl as _ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, TypeAdapter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from . import models as m
from .backoff import Backoff, BackoffOptions, backoff_delay
from .errors import ClientError, RpcError
from .notifications import AlertNotice, PoolEvent, TaskUpdated

log = logging.getLogger("coordd.client")

T = TypeVar("T")
#: Serves a method the daemon calls: ``(params, is_notification) -> result`` (or an awaitable of it).
MethodHandler = Callable[[Any, bool], Any]
Handshake = Callable[["CoordClient", bool], Awaitable[None]]
State = Literal["idle", "connecting", "open", "reconnecting", "closed"]

#: How much longer than a server-side wait the client waits for the reply (seconds).
WAIT_MARGIN = 5.0
#: Close codes after which the next URL is tried at once, without backoff: 1012 (service restart: a
#: cluster's leader changed and the replica dropped the sessions it relayed), 1013 (try again later).
RECONNECT_AT_ONCE_CODES = (1012, 1013)


class CoordClient:
    """A connection to coordd for operators and agents.

    ``token`` goes in the ``Authorization: Bearer`` header, or with ``token_via="subprotocol"``
    as the subprotocol ``coordd.token.<token>`` (the daemon echoes it back). ``reconnect`` is a
    :class:`BackoffOptions` (default) or ``False``. ``handshake`` runs on every new socket before
    the client counts as open (requests work inside it); a raised :class:`ClientError` whose
    ``final`` is true (AUTH_FAILED, FORBIDDEN) ends the client instead of retrying.

    ``url`` may be a list (the replicas of a cluster): the first connection tries them in order and
    every reconnect moves on to the next. ``assign_retries``: how many times :meth:`assign` repeats a
    ``pool.assign`` that carries an ``idempotency_key`` after a retryable error or a lost connection.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        token: str | None = None,
        token_via: Literal["header", "subprotocol"] = "header",
        request_timeout: float = 30.0,
        reconnect: BackoffOptions | Literal[False] = BackoffOptions(),
        handshake: Handshake | None = None,
        ssl: _ssl.SSLContext | None = None,
        open_timeout: float = 10.0,
        assign_retries: int = 5,
    ) -> None:
        self.urls: list[str] = [url] if isinstance(url, str) else list(url)
        if not self.urls:
            raise ValueError("CoordClient needs at least one url")
        self._url_index = 0
        self.assign_retries = assign_retries
        self._token = token
        self._token_via = token_via
        self.request_timeout = request_timeout
        self._backoff = Backoff(reconnect) if reconnect is not False else None
        self._handshake = handshake
        self._ssl = ssl
        self._open_timeout = open_timeout
        self._ws: ClientConnection | None = None
        self._state: State = "idle"
        self._next_id = 1
        self._pending: dict[int, tuple[str, asyncio.Future[Any]]] = {}
        self._handlers: dict[str, MethodHandler] = {}
        self._listeners: dict[str, list[Callable[[Any], None]]] = {}
        self._on_open: list[Callable[[bool], None]] = []
        self._on_close: list[Callable[[], None]] = []
        self._on_end: list[Callable[[BaseException | None], None]] = []
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ended: asyncio.Future[BaseException | None] | None = None
        self._streams: set[Stream[Any]] = set()

    # ---- lifecycle ----

    @property
    def url(self) -> str:
        """The URL of the current connection (or of the next attempt while reconnecting)."""
        return self.urls[self._url_index]

    @property
    def state(self) -> State:
        return self._state

    @property
    def connected(self) -> bool:
        """True while a connection is open and its handshake is done."""
        return self._state == "open"

    async def connect(self) -> CoordClient:
        """Open the first connection (and run the handshake); raises ClientError if that fails."""
        if self._state != "idle":
            raise RuntimeError(f"CoordClient.connect() may be called once (state: {self._state})")
        self._ended = asyncio.get_running_loop().create_future()
        self._state = "connecting"
        try:
            await self._establish_any()
        except BaseException as error:
            failure = error if isinstance(error, ClientError) else ClientError("CONNECT_FAILED", f"connection setup failed: {error}")
            self._state = "closed"
            self._finish(failure)
            raise failure from error
        return self

    async def __aenter__(self) -> CoordClient:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close for good: no more reconnects, pending calls fail with CLOSED."""
        self._state = "closed"
        if self._reconnector is not None:
            self._reconnector.cancel()
        self._fail_pending(lambda method: ClientError("CLOSED", f"{method}: the client was closed before the reply"))
        ws = self._ws
        if ws is not None:
            await ws.close(1000, "client closing")
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader
        self._finish(None)

    async def wait_closed(self) -> None:
        """Wait until the client is done for good; raises the error that ended it, if any."""
        if self._ended is None:
            raise RuntimeError("connect() first")
        error = await asyncio.shield(self._ended)
        if error is not None:
            raise error

    def on_open(self, callback: Callable[[bool], None]) -> None:
        """Call ``callback(reconnected)`` each time a connection is open (after its handshake)."""
        self._on_open.append(callback)

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` each time an established connection closes."""
        self._on_close.append(callback)

    def on_end(self, callback: Callable[[BaseException | None], None]) -> None:
        """Call ``callback(error)`` once, when the client is done for good (``close()``, a final error)."""
        self._on_end.append(callback)

    # ---- calls ----

    async def request(self, method: str, params: Mapping[str, Any] | BaseModel | None = None, *, timeout: float | None = None) -> Any:
        """Call a method; raises RpcError (the daemon's error reply) or ClientError (local failure).
        ``timeout`` in seconds overrides ``request_timeout``; 0 waits forever."""
        ws = self._ws
        if ws is None or self._state == "closed":
            raise ClientError("NOT_CONNECTED", f"cannot call {method}: not connected (state: {self._state})")
        request_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        wire = _wire(params)
        if wire is not None:
            message["params"] = wire
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (method, future)
        limit = self.request_timeout if timeout is None else timeout
        try:
            await self._send(ws, message)
            if limit > 0:
                try:
                    return await asyncio.wait_for(future, limit)
                except asyncio.TimeoutError:  # TimeoutError itself on 3.11+, not on 3.10
                    raise ClientError("TIMEOUT", f"{method}: no reply within {limit} s") from None
            return await future
        finally:
            self._pending.pop(request_id, None)

    async def call(self, method: str, params: Mapping[str, Any] | BaseModel | None = None, *, timeout: float | None = None) -> Any:
        """``request`` with the params checked against the method's model and the result parsed
        into its result model (from :data:`coordd.models.METHODS`)."""
        spec = m.METHODS.get(method)
        if spec is None:
            raise ValueError(f"unknown coordd method {method!r}")
        if params is not None and not isinstance(params, BaseModel):
            params = spec.params.model_validate(dict(params))
        raw = await self.request(method, params, timeout=timeout)
        return _adapter(spec.result).validate_python(raw)

    def notify(self, method: str, params: Mapping[str, Any] | BaseModel | None = None) -> None:
        """Send a notification (no reply); raises ClientError NOT_CONNECTED without an open socket."""
        ws = self._ws
        if ws is None or self._state == "closed":
            raise ClientError("NOT_CONNECTED", f"cannot send {method}: not connected (state: {self._state})")
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        wire = _wire(params)
        if wire is not None:
            message["params"] = wire
        self._spawn(self._send(ws, message, quiet=True))

    def handle(self, method: str, handler: MethodHandler) -> None:
        """Serve a method the daemon calls. The handler runs at once when the frame arrives (so
        notifications keep their order); its value, or what its awaitable returns, is the result
        (``None`` -> ``null``); a raised RpcError is sent as is, anything else becomes -32603."""
        self._handlers[method] = handler

    def listen(self, method: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call ``callback(params)`` for every notification ``method``; returns an unsubscribe function."""
        self._listeners.setdefault(method, []).append(callback)
        return lambda: self._listeners.get(method, []).remove(callback) if callback in self._listeners.get(method, []) else None

    # ---- operator helpers ----

    async def assign(self, type: str, payload: Any = None, **options: Any) -> m.AssignResult:
        """``pool.assign``: submit a task. Options as in :class:`coordd.models.PoolAssignParams`
        (``priority``, ``required_capabilities``, ``max_attempts``, ``idempotency_key``, ``subscribe``...).

        With an ``idempotency_key`` a repeat is harmless (the daemon answers it with the first task,
        ``deduplicated=True``), so a retryable error (LEADER_UNAVAILABLE: a cluster's leader changed)
        or a connection lost before the reply is retried after the reconnect, up to ``assign_retries``
        times. Without a key the call is made once."""
        params = m.PoolAssignParams(type=type, payload=payload, **_given(options))
        if params.idempotency_key is None:
            return m.AssignResult.model_validate(await self.request("pool.assign", params))
        attempt = 0
        while True:
            try:
                return m.AssignResult.model_validate(await self.request("pool.assign", params))
            except (RpcError, ClientError) as error:
                if attempt >= self.assign_retries or not _retryable_when_idempotent(error):
                    raise
                log.info("pool.assign failed (%s); retrying with its idempotency key", error)
                await self._before_retry(error, attempt)
                attempt += 1

    async def get_task(self, task_id: str) -> m.TaskRecord:
        return m.TaskRecord.model_validate(await self.request("task.get", m.TaskGetParams(task_id=task_id)))

    async def list_tasks(self, **filters: Any) -> m.TaskList:
        """``task.list``: newest first, paged (``state``, ``agent_id``, ``type``, ``cursor``, ``limit``...)."""
        return m.TaskList.model_validate(await self.request("task.list", m.TaskListParams(**_given(filters))))

    async def wait_task(self, task_id: str, timeout_ms: int | None = None) -> m.TaskRecord:
        """``task.wait``: the record once the task is terminal; the reply timeout covers the server-side wait."""
        params = m.TaskWaitParams(task_id=task_id, **_given({"timeout_ms": timeout_ms}))
        server_wait = (timeout_ms if timeout_ms is not None else 30_000) / 1000
        return m.TaskRecord.model_validate(await self.request("task.wait", params, timeout=server_wait + WAIT_MARGIN))

    async def cancel_task(self, task_id: str) -> m.CancelResult:
        return m.CancelResult.model_validate(await self.request("task.cancel", m.TaskCancelParams(task_id=task_id)))

    async def retry_task(self, task_id: str) -> m.TaskRecord:
        """``task.retry``: a FAILED or CANCELLED task becomes PENDING again (same id)."""
        return m.TaskRecord.model_validate(await self.request("task.retry", m.TaskRetryParams(task_id=task_id)))

    async def status(self) -> m.PoolStatus:
        """``pool.status``."""
        return m.PoolStatus.model_validate(await self.request("pool.status"))

    async def agents(self, **filters: Any) -> m.AgentList:
        """``agent.list`` (``state``, ``capability``, ``template``, ``spawned``, ``q``, ``cursor``, ``limit``)."""
        return m.AgentList.model_validate(await self.request("agent.list", m.AgentListParams(**_given(filters))))

    async def get_agent(self, agent_id: str) -> m.AgentDetail:
        return m.AgentDetail.model_validate(await self.request("agent.get", m.AgentGetParams(agent_id=agent_id)))

    async def spawn(self, count: int, template: str | None = None, *, timeout: float = 120.0) -> m.PoolSpawnResult:
        """``pool.spawn``: start ``count`` workers from a template of the daemon's configuration."""
        params = m.PoolSpawnParams(count=count, **_given({"template": template}))
        return m.PoolSpawnResult.model_validate(await self.request("pool.spawn", params, timeout=timeout))

    def task_updates(self) -> Stream[TaskUpdated]:
        """Every ``task.updated`` notification this connection receives (for tasks assigned with
        ``subscribe=True``). Create the stream before assigning, so no update falls before it."""
        stream: Stream[TaskUpdated] = Stream(self)
        stream.attach("task.updated", lambda p: TaskUpdated.model_validate(p))
        return stream

    async def events(self, *, types: list[str] | None = None, agent_id: str | None = None, task_type: str | None = None) -> EventStream:
        """``events.subscribe``: the snapshot (``stream.snapshot``) and then every pool event, in order."""
        stream = EventStream(self)
        stream.attach("events.event", lambda p: PoolEvent.model_validate(p))
        params = m.EventsSubscribeParams(**_given({"types": types, "agent_id": agent_id, "task_type": task_type}))
        try:
            stream.subscription = m.EventsSubscription.model_validate(await self.request("events.subscribe", params))
        except BaseException:
            stream.detach()
            raise
        return stream

    async def alerts(self) -> AlertStream:
        """``coordination.alerts {subscribe: true}``: ``stream.state`` now, then every raised and cleared alert."""
        stream = AlertStream(self)
        stream.attach("alert.raised", lambda p: AlertNotice.model_validate({**p, "kind": "raised"}))
        stream.attach("alert.cleared", lambda p: AlertNotice.model_validate({**p, "kind": "cleared"}))
        try:
            stream.state = m.AlertsState.model_validate(await self.request("coordination.alerts", m.CoordinationAlertsParams(subscribe=True)))
        except BaseException:
            stream.detach()
            raise
        return stream

    async def _before_retry(self, error: BaseException, attempt: int) -> None:
        """Wait what the error asks (``data.retryAfterMs``) or a backoff delay, then for an open connection."""
        asked = error.retry_after if isinstance(error, RpcError) else None
        await asyncio.sleep(asked if asked is not None else backoff_delay(attempt, BackoffOptions()))
        if self._state in ("open", "closed"):
            return
        opened = asyncio.get_running_loop().create_future()

        def on_open(_reconnected: bool) -> None:
            if not opened.done():
                opened.set_result(None)

        self._on_open.append(on_open)
        try:
            ended = asyncio.shield(self._ended) if self._ended is not None else None
            waits: list[Any] = [opened] + ([ended] if ended is not None else [])
            await asyncio.wait(waits, timeout=self.request_timeout if self.request_timeout > 0 else None, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._on_open.remove(on_open)

    # ---- connection ----

    async def _establish_any(self) -> None:
        """The first connection: each URL in turn until one works (a refused token ends it at once)."""
        for tried in range(1, len(self.urls) + 1):
            try:
                await self._establish(False)
                return
            except ClientError as error:
                if error.final or tried >= len(self.urls) or self._state != "connecting":
                    raise
                log.warning("connect to %s failed (%s); trying the next url", self.url, error)
                self._next_url()

    def _next_url(self) -> None:
        self._url_index = (self._url_index + 1) % len(self.urls)

    async def _establish(self, reconnected: bool) -> None:
        ws = await self._open_socket()
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))
        try:
            if self._handshake is not None:
                await self._handshake(self, reconnected)
        except BaseException:
            await ws.close(1000, "handshake failed")
            raise
        if self._state == "closed" or self._ws is not ws:
            raise ClientError("CLOSED" if self._state == "closed" else "CONNECTION_LOST", "the connection closed during its handshake")
        self._state = "open"
        if self._backoff is not None:
            self._backoff.reset()
        for callback in list(self._on_open):
            callback(reconnected)

    async def _open_socket(self) -> ClientConnection:
        headers: dict[str, str] = {}
        subprotocols: list[Subprotocol] | None = None
        if self._token:
            if self._token_via == "subprotocol":
                subprotocols = [Subprotocol(f"coordd.token.{self._token}")]
            else:
                headers["Authorization"] = f"Bearer {self._token}"
        try:
            return await connect(
                self.url,
                additional_headers=headers or None,
                subprotocols=subprotocols,
                ssl=self._ssl,
                open_timeout=self._open_timeout,
                compression=None,
                max_size=None,
                user_agent_header="coordd-python",
            )
        except InvalidStatus as error:
            status = error.response.status_code
            if status in (401, 403):
                raise ClientError("AUTH_FAILED", f"{self.url} refused the token (HTTP {status})") from error
            raise ClientError("CONNECT_FAILED", f"cannot connect to {self.url}: HTTP {status}") from error
        except (OSError, asyncio.TimeoutError, ConnectionClosed) as error:
            raise ClientError("CONNECT_FAILED", f"cannot connect to {self.url}: {error}") from error

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                self._receive(ws, frame if isinstance(frame, str) else frame.decode())
        except ConnectionClosed:
            pass
        finally:
            self._closed(ws)

    def _closed(self, ws: ClientConnection) -> None:
        if ws is not self._ws:
            return
        self._ws = None
        code = ws.close_code
        self._fail_pending(lambda method: ClientError("CONNECTION_LOST", f"{method}: the connection closed ({code}) before the reply"))
        if self._state != "open":
            return  # a failed attempt, or close(): those report themselves
        for stream in list(self._streams):
            stream.end(ClientError("CONNECTION_LOST", "the connection of this subscription closed"))
        for callback in list(self._on_close):
            callback()
        if self._backoff is None:
            self._state = "closed"
            self._finish(ClientError("CONNECTION_LOST", f"the connection closed ({code}) and reconnect is off"))
            return
        log.info("connection closed (%s); reconnecting", code)
        self._state = "reconnecting"
        self._reconnector = asyncio.get_running_loop().create_task(self._reconnect(at_once=code in RECONNECT_AT_ONCE_CODES))

    async def _reconnect(self, at_once: bool = False) -> None:
        """Every attempt goes to the next URL; the first after a 1012/1013 close without delay."""
        assert self._backoff is not None
        while self._state == "reconnecting":
            self._next_url()
            delay = self._backoff.next()
            await asyncio.sleep(0 if at_once else delay)
            at_once = False
            if self._state != "reconnecting":
                return
            try:
                await self._establish(True)
                log.info("reconnected after %d attempts", self._backoff.attempts)
                return
            except ClientError as error:
                log.warning("reconnect failed: %s", error)
                if error.final:
                    self._state = "closed"
                    self._finish(error)
                    return
            except Exception as error:  # noqa: BLE001 - any other failure: try again later
                log.warning("reconnect failed: %s", error)

    def _finish(self, error: BaseException | None) -> None:
        if self._ended is not None and not self._ended.done():
            self._ended.set_result(error)
            for callback in list(self._on_end):
                callback(error)
        for stream in list(self._streams):
            stream.end(error)

    def _fail_pending(self, error_for: Callable[[str], Exception]) -> None:
        for method, future in list(self._pending.values()):
            if not future.done():
                future.set_exception(error_for(method))

    # ---- wire ----

    def _receive(self, ws: ClientConnection, text: str) -> None:
        try:
            payload = json.loads(text)
        except ValueError:
            log.warning("ignored a frame that is not JSON (%d bytes)", len(text))
            return
        for message in payload if isinstance(payload, list) else [payload]:
            if not isinstance(message, dict):
                continue
            if "method" in message:
                self._dispatch(ws, message)
            elif "id" in message:
                self._settle(message)

    def _settle(self, message: dict[str, Any]) -> None:
        entry = self._pending.get(message["id"]) if isinstance(message.get("id"), int) else None
        if entry is None or entry[1].done():
            return
        method, future = entry
        error = message.get("error")
        if isinstance(error, dict):
            future.set_exception(RpcError(int(error.get("code", -32603)), str(error.get("message", "")), error.get("data")))
        else:
            future.set_result(message.get("result"))

    def _dispatch(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        method = message["method"]
        params = message.get("params")
        notification = "id" not in message
        if notification:
            for callback in list(self._listeners.get(method, [])):
                try:
                    callback(params)
                except Exception:  # noqa: BLE001
                    log.exception("listener of %s failed", method)
        handler = self._handlers.get(method)
        if handler is None:
            if not notification:
                self._reply(ws, message["id"], error=RpcError(-32601, "Method not found"))
            return
        try:
            outcome = handler(params, notification)
        except Exception as error:  # noqa: BLE001 - a handler's failure is its answer
            if notification:
                log.warning("handler of notification %s failed: %s", method, error)
            else:
                self._reply(ws, message["id"], error=_as_rpc_error(error))
            return
        if isinstance(outcome, Awaitable):
            self._spawn(self._answer(ws, message.get("id"), notification, outcome))
        elif not notification:
            self._reply(ws, message["id"], result=outcome)

    async def _answer(self, ws: ClientConnection, request_id: Any, notification: bool, outcome: Awaitable[Any]) -> None:
        try:
            result = await outcome
        except Exception as error:  # noqa: BLE001
            if not notification:
                self._reply(ws, request_id, error=_as_rpc_error(error))
            return
        if not notification:
            self._reply(ws, request_id, result=result)

    def _reply(self, ws: ClientConnection, request_id: Any, *, result: Any = None, error: RpcError | None = None) -> None:
        # Replies go back on the socket the request came on, never a newer one.
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            message["error"] = error.to_json()
        else:
            message["result"] = result
        self._spawn(self._send(ws, message, quiet=True))

    async def _send(self, ws: ClientConnection, message: dict[str, Any], quiet: bool = False) -> None:
        try:
            text = json.dumps(message, separators=(",", ":"), default=_jsonable)
        except (TypeError, ValueError) as error:
            if "id" in message and "method" not in message:
                text = json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32603, "message": f"result is not JSON: {error}"}})
            else:
                raise
        try:
            await ws.send(text)
        except ConnectionClosed as error:
            if not quiet:
                raise ClientError("CONNECTION_LOST", f"{message.get('method', 'reply')}: could not send (socket closed)") from error
            log.debug("not sent: the socket closed")

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class Stream(AsyncIterator[T]):
    """Notifications of one kind as an async iterator. Ends (``StopAsyncIteration``) after
    ``aclose()``; raises the error that ended the client, or CONNECTION_LOST when the connection
    it was subscribed on closed (subscriptions do not survive a reconnect: open a new stream)."""

    def __init__(self, client: CoordClient) -> None:
        self._client = client
        self._queue: asyncio.Queue[T | _End] = asyncio.Queue()
        self._detach: list[Callable[[], None]] = []
        self._done = False
        client._streams.add(self)

    def attach(self, method: str, parse: Callable[[Any], T]) -> None:
        self._detach.append(self._client.listen(method, lambda params: self._queue.put_nowait(parse(params))))

    def detach(self) -> None:
        for undo in self._detach:
            undo()
        self._detach.clear()
        self._client._streams.discard(self)

    def end(self, error: BaseException | None) -> None:
        if not self._done:
            self._done = True
            self.detach()
            self._queue.put_nowait(_End(error))

    def __aiter__(self) -> Stream[T]:
        return self

    async def __anext__(self) -> T:
        item = await self._queue.get()
        if isinstance(item, _End):
            self._queue.put_nowait(item)
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def next(self, timeout: float | None = None) -> T:
        """The next item, waiting at most ``timeout`` seconds (``TimeoutError``)."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    async def aclose(self) -> None:
        self.end(None)

    async def __aenter__(self) -> Stream[T]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class EventStream(Stream[PoolEvent]):
    subscription: m.EventsSubscription

    async def aclose(self) -> None:
        was_done = self._done
        self.end(None)
        if not was_done and self._client.connected:
            with contextlib.suppress(RpcError, ClientError):
                await self._client.request("events.unsubscribe", {"subscriptionId": self.subscription.subscription_id})


class AlertStream(Stream[AlertNotice]):
    state: m.AlertsState

    async def aclose(self) -> None:
        was_done = self._done
        self.end(None)
        if not was_done and self._client.connected:
            with contextlib.suppress(RpcError, ClientError):
                await self._client.request("coordination.alerts", {"subscribe": False})


class _End:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(id(kind))
    if adapter is None:
        adapter = _ADAPTERS[id(kind)] = TypeAdapter(kind)
    return adapter


def _wire(params: Mapping[str, Any] | BaseModel | None) -> Any:
    if params is None:
        return None
    if isinstance(params, BaseModel):
        return params.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dict(params)


def _retryable_when_idempotent(error: BaseException) -> bool:
    """Whether repeating the call can help and cannot harm, provided the call is idempotent."""
    if isinstance(error, RpcError):
        return error.retryable
    return isinstance(error, ClientError) and error.code in ("CONNECTION_LOST", "NOT_CONNECTED")


def _given(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword options without the ones left at None (absent on the wire, not null)."""
    return {k: v for k, v in options.items() if v is not None}


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _as_rpc_error(error: BaseException) -> RpcError:
    return error if isinstance(error, RpcError) else RpcError(-32603, str(error) or type(error).__name__)
