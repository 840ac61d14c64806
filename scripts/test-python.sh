#!/usr/bin/env bash
# The Python client's suite (clients/python), run at the end of `npm test`.
#   scripts/test-python.sh            run pytest (creating the virtual environment if needed)
#   scripts/test-python.sh --install  only create/refresh clients/python/.venv (what .ci/run does)
# Needs python3 >= 3.10 (or $COORDD_PYTHON). Outside CI a missing Python is reported once and the
# suite is skipped; with CI=true it fails the run. The dist/ build must exist (npm test builds it).
set -euo pipefail
cd "$(dirname "$0")/../clients/python"

ci=false
case "${CI:-}" in true | 1 | yes) ci=true ;; esac
skip() {
  if $ci; then
    echo "test:python: $1 (CI=true: failing)" >&2
    exit 1
  fi
  echo "test:python: $1; skipping the Python client tests" >&2
  exit 0
}

python="${COORDD_PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || skip "$python not found"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || skip "$("$python" -V 2>&1) is older than 3.10"

venv=.venv
stamp="$venv/.coordd-installed"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "test:python: installing clients/python[test] into clients/python/$venv" >&2
  if ! { "$python" -m venv "$venv" && "$venv/bin/python" -m pip install -q -e '.[test]'; }; then
    skip "could not create the virtual environment or install clients/python[test] (is pip's index reachable?)"
  fi
  echo "$want" >"$stamp"
fi
[ "${1:-}" = "--install" ] && exit 0

set +e
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
code=$?
set -e
if [ "$code" = 5 ]; then
  echo "test:python: pytest collected no tests (exit 5): that is a failure, not a pass" >&2
  exit 1
fi
exit "$code"
