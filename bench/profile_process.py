"""Profile the whole ``alert-operator run`` process with py-spy during a cold sync or a restart.

    python -m bench.profile_process [--n 2000] [--restart] [--server] [--top 40]

Starts the emulator and a throwaway PostgreSQL as ``make bench`` does, loads N alerts, runs the
operator with ``py-spy record --pid`` attached from its exec until all N CronJobs are stored
(with ``--restart``: over N CronJobs already right, until the process is idle), and writes the
collapsed stacks to ``bench/results/profiles/process-<scenario>-<n>.txt`` (not
committed) (flamegraph.pl or
speedscope read them). Prints the functions with the most samples, inclusive and exclusive.
``--server``: the same run, but py-spy on the test API server's process (what serving the
operator costs the server, e.g. its watch stream; ``process-<scenario>-server-<n>.txt``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import signal
import subprocess
import sys
from pathlib import Path

from bench.context import Context, Sizes
from bench.operator_process import OperatorProcess
from bench.results import RESULTS_DIR
from bench.services import emulator, postgres
from bench.suite_sync import (
    IDLE_RESYNC_SECONDS,
    STORE_LIMIT_SECONDS,
    loaded_database,
    wait_for_cronjobs,
)

PY_SPY = Path(sys.executable).with_name("py-spy")


def summary(collapsed: Path, top: int) -> str:
    """The ``top`` frames by inclusive and by exclusive samples (share of all samples)."""
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [frame.split(" (")[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0]
                  for frame in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        exclusive[frames[-1]] += count
    lines = [f"{total} samples"]
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        lines.append(f"--- {title}")
        lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(lines)


def _py_spy(pid: int, output: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", "250",
                             "--format", "raw", "--output", str(output)],
                            stdout=subprocess.DEVNULL)


async def profile(count: int, restart: bool, top: int, server: bool = False) -> None:
    with emulator() as api, postgres() as database:
        ctx = Context(api, database, Sizes(), quick=False)
        url = await loaded_database(ctx, count)
        if restart:
            operator = OperatorProcess(api.url, url, IDLE_RESYNC_SECONDS)
            operator.wait_for_syncs(1, STORE_LIMIT_SECONDS)
            operator.stop()
        else:
            await api.control("clear")
        scenario = "restart" if restart else "cold"
        whose = "-server" if server else ""
        output = RESULTS_DIR / "profiles" / f"process-{scenario}{whose}-{count}.txt"
        output.parent.mkdir(parents=True, exist_ok=True)
        operator = OperatorProcess(api.url, url, IDLE_RESYNC_SECONDS)
        spy = _py_spy(api.process.pid if server else operator.process.pid, output)
        try:
            if restart:
                operator.wait_for_syncs(1, STORE_LIMIT_SECONDS)
                operator.wait_until_idle(STORE_LIMIT_SECONDS)
            else:
                await wait_for_cronjobs(ctx, count, operator)
        finally:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
            operator.stop()
        print(f"collapsed stacks in {output}")
        print(summary(output, top))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_process")
    parser.add_argument("--n", type=int, default=2_000)
    parser.add_argument("--restart", action="store_true")
    parser.add_argument("--server", action="store_true",
                        help="profile the test API server instead of the operator")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(profile(args.n, args.restart, args.top, args.server))


if __name__ == "__main__":
    main()
