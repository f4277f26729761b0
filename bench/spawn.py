"""Spawn a command from a *small* process and report its wall time and peak RSS.

    python -S -m bench.spawn COMMAND...     # prints one JSON line on stdout

Why a separate small process: a child's ``ru_maxrss`` includes the memory of the process it was
forked from until it exec()s, so a child forked from the 80 MB benchmark process would report
at least 80 MB whatever it runs. Forked from this process (standard library only, ~10 MB), the
high-water mark is the command's own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> None:
    started = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    print(json.dumps({
        "wall_seconds": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit_code": process.returncode,
        "stderr": stderr.decode(errors="replace")[-200_000:],
    }))


if __name__ == "__main__":
    main()
