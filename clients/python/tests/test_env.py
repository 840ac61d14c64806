"""from_env reads the same variables as the TypeScript client's fromEnv."""

from __future__ import annotations

import pytest

from coordd import AgentWorker, from_env
from coordd.backoff import Backoff, BackoffOptions, backoff_delay


def test_from_env_reads_the_spawners_variables() -> None:
    env = {"COORDD_URL": " ws://h:1/rpc ", "COORDD_JOIN_TOKEN": "join", "COORDD_TOKEN": "other", "COORDD_AGENT_ID": "a1", "COORDD_CAPABILITIES": "x, y,,", "COORDD_CAPACITY": "16"}
    s = from_env(env)
    assert (s.url, s.token, s.agent_id, s.capabilities, s.capacity) == ("ws://h:1/rpc", "join", "a1", ["x", "y"], 16)
    assert from_env({"COORDD_URL": "wss://h/rpc", "COORDD_TOKEN": "t"}).token == "t"
    bare = from_env({"COORDD_URL": "ws://h/rpc"})
    assert (bare.token, bare.agent_id, bare.capabilities, bare.capacity) == (None, None, None, None)


@pytest.mark.parametrize(
    ("env", "named"),
    [({}, "COORDD_URL"), ({"COORDD_URL": "http://h"}, "COORDD_URL"), ({"COORDD_URL": "ws://h", "COORDD_CAPACITY": "0"}, "COORDD_CAPACITY"), ({"COORDD_URL": "ws://h", "COORDD_CAPACITY": "1.5"}, "COORDD_CAPACITY")],
)
def test_from_env_names_the_bad_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        from_env(env)


def test_the_environment_overrides_a_workers_defaults() -> None:
    worker = AgentWorker.from_env({"COORDD_URL": "ws://h/rpc", "COORDD_CAPACITY": "8"}, capabilities=["a"], capacity=2)
    assert (worker.url, worker.capabilities, worker.capacity) == ("ws://h/rpc", ["a"], 8)
    kept = AgentWorker("ws://given/rpc", capacity=3)
    kept.apply_env({})
    assert (kept.url, kept.capacity) == ("ws://given/rpc", 3)


def test_backoff_grows_caps_and_resets() -> None:
    options = BackoffOptions(initial_delay=0.1, max_delay=1.0, factor=2, jitter=0.2)
    assert [round(backoff_delay(n, options, lambda: 0.5), 3) for n in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert backoff_delay(0, options, lambda: 0.0) == pytest.approx(0.08)
    b = Backoff(options, lambda: 0.5)
    b.next(), b.next()
    b.reset()
    assert b.attempts == 0 and b.next() == pytest.approx(0.1)
