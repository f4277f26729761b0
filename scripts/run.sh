#!/usr/bin/env bash
# The quick start's main job. Without DATABASE_URL: a throwaway PostgreSQL with demo alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
workdir=$(mktemp -d /tmp/alert-operator-run.XXXXXX)
chmod 755 "$workdir"
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(.venv/bin/python -m devtools.throwaway_pg start "$workdir/pg")
  trap '.venv/bin/python -m devtools.throwaway_pg stop "$workdir/pg"' EXIT
  .venv/bin/python -m devtools.demo "$DATABASE_URL"
  echo "throwaway PostgreSQL with demo alerts: $DATABASE_URL" >&2
fi
export DATABASE_URL
.venv/bin/alertctl migrate
.venv/bin/alertctl render "$@" || true
