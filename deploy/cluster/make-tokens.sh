#!/bin/sh
# Writes deploy/cluster/secrets/tokens for deploy/docker-compose.yml: one agent token (the echo
# workers read it) and one operator token (yours), 48 hex characters each. Keeps an existing file.
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"
if [ -s "$dir/tokens" ]; then
  echo "$dir/tokens exists; keeping it" >&2
  exit 0
fi
umask 077
printf '%s agent\n%s operator\n' "$(openssl rand -hex 24)" "$(openssl rand -hex 24)" >"$dir/tokens"
echo "wrote $dir/tokens; the operator token is: $(awk '$2 == "operator" {print $1}' "$dir/tokens")" >&2
