"""python -m coordd.worker module:attribute [--log-level info]

Imports ``module`` (from the current directory or sys.path), takes ``attribute`` (an AgentWorker,
or a function returning one; default ``worker``), applies the COORDD_* environment over its
settings and serves until SIGTERM, SIGINT or the daemon's end (COORDD_PARENT_PIPE=stdin).
Exit codes: 0 stopped, 1 ended by an error (FORBIDDEN, AUTH_FAILED...), 2 bad usage or settings.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from ..agent import AgentWorker
from ..errors import ClientError


def load(target: str) -> AgentWorker:
    module_name, _, attribute = target.partition(":")
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    found = getattr(module, attribute or "worker")
    worker = found() if callable(found) and not isinstance(found, AgentWorker) else found
    if not isinstance(worker, AgentWorker):
        raise TypeError(f"{target} is a {type(worker).__name__}, not an AgentWorker")
    return worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coordd.worker", description="Run a coordd AgentWorker defined in a module.")
    parser.add_argument("target", help="module:attribute (attribute defaults to worker)")
    parser.add_argument("--log-level", default=os.environ.get("COORDD_LOG_LEVEL", "info"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        worker = load(args.target)
        worker.apply_env()
    except (ImportError, AttributeError, TypeError, ValueError) as error:
        print(f"coordd.worker: {error}", file=sys.stderr)
        return 2
    try:
        worker.run()
    except ClientError as error:
        print(f"coordd.worker: {error.code}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
