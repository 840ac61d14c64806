"""Messages the daemon sends on its own (not methods a client calls, so not in the OpenRPC
document): ``task.run`` and ``task.cancel`` to agents, ``task.updated``, ``events.event`` and
``alert.*`` to operators. Written by hand from src/schemas/task.ts and docs/protocol.md;
tests/test_daemon.py exercises each against the real daemon."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .models import _Result

TaskState = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"]


class TaskRun(_Result):
    """Daemon -> agent request ``task.run``: the agent's result completes the task."""

    task_id: str = Field(alias="taskId")
    type: str = Field(alias="type")
    payload: Any = Field(default=None, alias="payload")
    attempt: int = Field(alias="attempt")
    epoch: int = Field(alias="epoch")
    trace_id: str = Field(alias="traceId")
    deadline: int | None = Field(default=None, alias="deadline")


class TaskCancel(_Result):
    """Daemon -> agent notification ``task.cancel``: stop the work of that epoch."""

    task_id: str = Field(alias="taskId")
    epoch: int | None = Field(default=None, alias="epoch")


class TaskUpdated(_Result):
    """``task.updated``: sent to the connection that assigned a task with ``subscribe=True``."""

    task_id: str = Field(alias="taskId")
    state: TaskState = Field(alias="state")
    agent_id: str | None = Field(default=None, alias="agentId")
    attempt: int | None = Field(default=None, alias="attempt")
    epoch: int | None = Field(default=None, alias="epoch")
    result: Any = Field(default=None, alias="result")
    error: Any = Field(default=None, alias="error")


class PoolEvent(_Result):
    """``events.event``: one event of an ``events.subscribe`` subscription."""

    subscription_id: str = Field(alias="subscriptionId")
    seq: int = Field(alias="seq")
    type: str = Field(alias="type")
    at: int = Field(alias="at")
    data: dict[str, Any] = Field(alias="data")


class AlertNotice(_Result):
    """``alert.raised`` / ``alert.cleared`` (``kind`` says which)."""

    kind: Literal["raised", "cleared"] = Field(default="raised")
    alert: str = Field(alias="alert")
    value: float | None = Field(default=None, alias="value")
    threshold: float = Field(alias="threshold")
    started_at: int = Field(alias="startedAt")
    cleared_at: int | None = Field(default=None, alias="clearedAt")
    reason: str | None = Field(default=None, alias="reason")
    message: str = Field(alias="message")
