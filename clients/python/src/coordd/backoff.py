"""Reconnect delays: exponential growth, capped, with proportional jitter (as the TypeScript client)."""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BackoffOptions:
    initial_delay: float = 0.25
    """Seconds before the first retry."""
    max_delay: float = 30.0
    factor: float = 2.0
    jitter: float = 0.2
    """Each delay is scaled by a uniform factor in [1 - jitter, 1 + jitter]."""


def backoff_delay(attempt: int, options: BackoffOptions, random: Callable[[], float] = _random.random) -> float:
    """The delay in seconds before retry number ``attempt`` (0-based)."""
    base = min(options.max_delay, options.initial_delay * options.factor**attempt)
    jitter = min(1.0, max(0.0, options.jitter))
    return max(0.0, min(options.max_delay, base * (1 - jitter + 2 * jitter * random())))


class Backoff:
    """Counts consecutive failures and hands out the next delay; ``reset()`` after a success."""

    def __init__(self, options: BackoffOptions, random: Callable[[], float] = _random.random) -> None:
        self.options = options
        self._random = random
        self.attempts = 0

    def next(self) -> float:
        delay = backoff_delay(self.attempts, self.options, self._random)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0
