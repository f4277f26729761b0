#!/usr/bin/env bash
# The quick start's main job: the operator, live.
# Without DATABASE_URL: a throwaway PostgreSQL with demo alerts. Against the current kubectl
# context when a cluster answers, else in dry-run (it logs what it would do, writes nothing).
# Extra arguments go to `alert-operator run` (e.g. --namespace alerts, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
workdir=$(mktemp -d /tmp/alert-operator-run.XXXXXX)
chmod 755 "$workdir"
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(.venv/bin/python -m devtools.throwaway_pg start "$workdir/pg")
  trap '.venv/bin/python -m devtools.throwaway_pg stop "$workdir/pg"' EXIT
  .venv/bin/python -m devtools.demo "$DATABASE_URL"
  echo "throwaway PostgreSQL with demo alerts. For one change of each kind (recreate, update," >&2
  echo "suspend, resume, create, delete; one every 5 s), run in another terminal:" >&2
  echo "  .venv/bin/python -m devtools.demo tour '$DATABASE_URL'" >&2
fi
export DATABASE_URL
.venv/bin/alertctl migrate
mode=()
if ! problem=$(.venv/bin/python -c 'import asyncio, sys
from alert_core.settings import load_settings
from alert_operator.clustercheck import cluster_problem
from alert_operator.login import KubeLogin
problem = asyncio.run(cluster_problem(KubeLogin(), load_settings().namespace))
print(problem or "")
sys.exit(0 if problem is None else 1)'); then
  echo "no usable Kubernetes cluster ($problem): running in --dry-run (nothing is written)" >&2
  mode=(--dry-run)
fi
# Not exec: the trap above must stop the throwaway server when the operator exits.
.venv/bin/alert-operator run "${mode[@]}" "$@"
