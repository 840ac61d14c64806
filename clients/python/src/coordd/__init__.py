"""coordd: the Python client of the coordd coordination daemon.

- :class:`AgentWorker`: an agent that joins the pool and runs tasks (``@worker.task("type")``).
- :class:`CoordClient`: the operator API (assign, get, list, wait, cancel, retry, status, agents,
  task updates, pool events and alerts as async iterators).
- :mod:`coordd.models`: pydantic models of every method, generated from schemas/openrpc.json.
"""

from .agent import AgentWorker, TaskContext
from .backoff import BackoffOptions
from .client import AlertStream, CoordClient, EventStream, Stream
from .env import WorkerEnv, from_env
from .errors import LEADER_UNAVAILABLE_CODE, TASK_FAILED_CODE, ClientError, RpcError, TaskCancelled, TaskFailure
from .notifications import AlertNotice, PoolEvent, TaskRun, TaskUpdated

__all__ = [
    "AgentWorker",
    "AlertNotice",
    "AlertStream",
    "BackoffOptions",
    "ClientError",
    "CoordClient",
    "EventStream",
    "LEADER_UNAVAILABLE_CODE",
    "PoolEvent",
    "RpcError",
    "Stream",
    "TASK_FAILED_CODE",
    "TaskCancelled",
    "TaskContext",
    "TaskFailure",
    "TaskRun",
    "TaskUpdated",
    "WorkerEnv",
    "from_env",
]
__version__ = "0.1.0"
