"""``python -m coordd.worker module:attribute``: run an :class:`~coordd.AgentWorker` defined in a
module, with its settings from the ``COORDD_*`` environment (what a ``pool.spawn`` template sets)."""

from ..agent import AgentWorker, TaskContext

__all__ = ["AgentWorker", "TaskContext"]
