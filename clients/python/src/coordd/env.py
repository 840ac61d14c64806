"""The settings a spawned worker reads from the environment the daemon's spawner sets
(the same variables as the TypeScript client's ``fromEnv``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerEnv:
    url: str | list[str]
    """``COORDD_URL``: one URL, or a comma list (a cluster's replicas) read as a list"""
    token: str | None = None
    """``COORDD_JOIN_TOKEN``, else ``COORDD_TOKEN``"""
    agent_id: str | None = None
    """``COORDD_AGENT_ID``"""
    capabilities: list[str] | None = None
    """``COORDD_CAPABILITIES``, a comma list"""
    capacity: int | None = None
    """``COORDD_CAPACITY``, a whole number >= 1"""


def from_env(env: Mapping[str, str] | None = None) -> WorkerEnv:
    """Read a worker's settings; variables that are not set stay ``None``.
    Raises ``ValueError`` naming the variable when one is missing or malformed."""
    env = os.environ if env is None else env
    urls = [u.strip() for u in env.get("COORDD_URL", "").split(",") if u.strip()]
    if not urls:
        raise ValueError("COORDD_URL is not set (the daemon URL, e.g. ws://127.0.0.1:7420/rpc)")
    for one in urls:
        if not re.match(r"^wss?://", one):
            raise ValueError(f'COORDD_URL must be a ws:// or wss:// URL (or a comma list of them), got "{one}"')
    url: str | list[str] = urls[0] if len(urls) == 1 else urls
    raw_token = env.get("COORDD_JOIN_TOKEN")
    if raw_token is None:
        raw_token = env.get("COORDD_TOKEN")
    token = (raw_token or "").strip() or None
    agent_id = env.get("COORDD_AGENT_ID", "").strip() or None
    capabilities = None
    if "COORDD_CAPABILITIES" in env:
        capabilities = [c.strip() for c in env["COORDD_CAPABILITIES"].split(",") if c.strip()]
    capacity = None
    raw_capacity = env.get("COORDD_CAPACITY", "").strip()
    if raw_capacity:
        if not raw_capacity.isdigit() or int(raw_capacity) < 1:
            raise ValueError(f'COORDD_CAPACITY must be a whole number >= 1, got "{raw_capacity}"')
        capacity = int(raw_capacity)
    return WorkerEnv(url=url, token=token, agent_id=agent_id, capabilities=capabilities, capacity=capacity)


def has_parent_pipe(env: Mapping[str, str] | None = None) -> bool:
    """Whether coordd spawned this process with a parent pipe (stdin's end of file = the daemon died)."""
    env = os.environ if env is None else env
    return env.get("COORDD_PARENT_PIPE") == "stdin"
