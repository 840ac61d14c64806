"""Two error families, as in the TypeScript client: :class:`RpcError` crosses the wire with a
numeric JSON-RPC code (a reply from the daemon, or what a handler answers); :class:`ClientError`
is local to this library, has a string code and never goes on the wire."""

from __future__ import annotations

from typing import Any, Literal

#: The application error code of a failed task attempt.
TASK_FAILED_CODE = -32000
#: The daemon's code for "not yours" (e.g. an agent id held by another credential).
FORBIDDEN_CODE = -32001
#: The daemon's code for "no cluster leader could take this call; retry" (cluster mode).
LEADER_UNAVAILABLE_CODE = -32007
#: Catalogued error codes after which the same call may succeed if made again (docs/errors.md).
RETRYABLE_CODES = frozenset({LEADER_UNAVAILABLE_CODE})

ClientErrorCode = Literal[
    "NOT_CONNECTED",  # a call was made while there is no open socket
    "CONNECTION_LOST",  # the socket closed before the reply came
    "TIMEOUT",  # no reply within the request's timeout
    "CLOSED",  # close() was called
    "CONNECT_FAILED",  # the first connection (or its setup) failed
    "AUTH_FAILED",  # the daemon refused the token (HTTP 401/403); never retried
    "FORBIDDEN",  # the agent id belongs to another credential; never retried
]


class RpcError(Exception):
    """A JSON-RPC error object: received from the daemon, or to be sent as a handler's answer."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed if made again (LEADER_UNAVAILABLE during a cluster's
        failover). A call that is not idempotent (``pool.assign`` without an idempotency key) may
        have taken effect."""
        return self.code in RETRYABLE_CODES

    @property
    def retry_after(self) -> float | None:
        """Seconds the daemon suggests waiting before the retry (``data.retryAfterMs``), if it said."""
        value = self.data.get("retryAfterMs") if isinstance(self.data, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return value / 1000
        return None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            out["data"] = self.data
        return out

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r}, {self.data!r})"


class ClientError(Exception):
    """A local failure of the client (connection state, timeouts); never sent to the daemon."""

    def __init__(self, code: ClientErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ClientErrorCode = code

    @property
    def final(self) -> bool:
        """Whether reconnecting cannot help (the daemon refused who we are)."""
        return self.code in ("AUTH_FAILED", "FORBIDDEN", "CLOSED")


class TaskFailure(Exception):
    """What a task handler may raise to control the failure: ``retryable=False`` makes it final.
    Any exception with a boolean ``retryable`` attribute works the same way."""

    def __init__(self, message: str, *, retryable: bool = True, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.data = data or {}


class TaskCancelled(TaskFailure):
    """The daemon cancelled the task (``task.cancel``); raised by ``ctx.check_cancelled()``."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message, retryable=False, data={"cancelled": True})
