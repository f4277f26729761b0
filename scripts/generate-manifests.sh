#!/usr/bin/env bash
# Render manifests/ (plain YAML for installs without Helm) and the README's values table from the
# Helm chart. `--check` only reports what is out of date (a test runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m devtools.manifests "$@"
