#!/usr/bin/env bash
# Install what the project needs on a fresh machine: a virtual environment with the package and
# its dev tools, and PostgreSQL's server binaries (for the throwaway test database).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL server binaries (apt-get install postgresql)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "error: PostgreSQL server binaries not found; install the 'postgresql' package" \
         "or set TEST_DATABASE_URL to a running server" >&2
    exit 1
  fi
fi

# promtool (Debian's prometheus package) checks and unit-tests the alerting rules
# (tests/install/test_monitoring.py).
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing promtool (apt-get install prometheus)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
      >/dev/null
  else
    echo "error: promtool not found; install the 'prometheus' package (it ships promtool)" >&2
    exit 1
  fi
fi

# The web UI's browser tests (tests/ui): Debian's Chromium and its WebDriver (selenium drives it).
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium for the browser tests (apt-get install chromium chromium-driver)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver >/dev/null
  else
    echo "error: chromium and chromedriver not found; install Debian's 'chromium' and" \
         "'chromium-driver' packages (the browser tests in tests/ui need them)" >&2
    exit 1
  fi
fi
