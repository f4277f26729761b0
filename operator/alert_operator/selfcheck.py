"""``python -m alert_operator.selfcheck URL``: the ``helm test`` Pod's check of a running operator.

It asks the operator at ``URL`` (its Service, e.g. ``http://alert-operator:9090``) for
``/healthz`` (must answer 200) and ``/status`` (must be JSON whose ``status`` is ``running`` or
``dry-run``; ``degraded`` fails with its problems). One line per check; exit status 0 when both
pass, 1 when one fails, 2 for a usage error. Only the standard library: it runs in the operator
image with nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_SECONDS = 10.0
HEALTHY = ("running", "dry-run")
MAX_SHOWN = 300


def _printable(text: str) -> str:
    """One line of at most MAX_SHOWN characters, without control characters."""
    flat = "".join(char if char.isprintable() else " " for char in text.strip())
    return flat[:MAX_SHOWN]


def _get(url: str, timeout: float) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            return int(response.status), response.read(64_000).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(64_000).decode(errors="replace")


def check_healthz(base: str, timeout: float) -> str | None:
    """The problem with ``/healthz``, or None."""
    status, body = _get(f"{base}/healthz", timeout)
    if status != 200:
        return f"/healthz answered {status}: {_printable(body)}"
    return None


def check_status(base: str, timeout: float) -> str | None:
    """The problem with ``/status``, or None. One alert per page: the check stays cheap."""
    status, body = _get(f"{base}/status?limit=1", timeout)
    if status != 200:
        return f"/status answered {status}: {_printable(body)}"
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return f"/status is not JSON: {_printable(body)}"
    word = answer.get("status") if isinstance(answer, dict) else None
    if word not in HEALTHY:
        problems = answer.get("problems") if isinstance(answer, dict) else None
        listed = "; ".join(map(str, problems)) if isinstance(problems, list) else ""
        return _printable(f"/status is {word!r}" + (f": {listed}" if listed else ""))
    return None


def run(base: str, timeout: float = TIMEOUT_SECONDS) -> int:
    base = base.rstrip("/")
    failed = False
    for name, check in (("/healthz", check_healthz), ("/status", check_status)):
        try:
            problem = check(base, timeout)
        except (OSError, ValueError) as error:  # URLError is an OSError
            problem = f"{name}: cannot reach {base}: {_printable(str(error))}"
        print(f"FAILED: {problem}" if problem else f"ok: {name}", flush=True)
        failed = failed or problem is not None
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m alert_operator.selfcheck",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", help="the operator's status URL, e.g. http://alert-operator:9090")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS,
                        help="seconds per request [10]")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.exit(2, f"{parser.prog}: error: url: must start with http:// or https://\n")
    return run(args.url, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
