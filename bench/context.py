"""What every benchmark gets: the services, the sizes of this run, and small statistics."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.services import Database, Emulator

NAMESPACE = "alerts"
CONCURRENCY = 16  # the operator's default max_concurrency, used by the floors too


@dataclass(frozen=True)
class Sizes:
    cold: tuple[int, ...] = (2_000, 10_000)
    reps_small: int = 5  # repetitions (operator and floor alternate) for N <= 2,000
    reps_large: int = 2
    resync: int = 10_000
    resync_reps: int = 2
    latency_alerts: int = 10_000  # the namespace the syncs left populated: settled first
    latency_updates: int = 200
    baseline_updates: int = 3  # each waits for a periodic re-sync of all latency_alerts
    baseline_interval_seconds: float = 2.0
    runner_reps: int = 5
    memory_alerts: int = 10_000
    memory_resyncs: int = 12  # an hour at the default 300-second resync interval

    @classmethod
    def quick(cls) -> Sizes:
        return cls(cold=(300,), reps_small=1, resync=300, resync_reps=1, latency_alerts=300,
                   latency_updates=20, baseline_updates=3, baseline_interval_seconds=1.0,
                   runner_reps=1, memory_alerts=300, memory_resyncs=2)

    @classmethod
    def huge(cls) -> Sizes:
        """``make bench-100k``: 100,000 alerts, once each (long: see BENCHMARKS.md)."""
        return cls(cold=(100_000,), reps_large=1, resync=100_000, resync_reps=1,
                   latency_alerts=100_000, latency_updates=50, baseline_updates=0,
                   memory_alerts=100_000, memory_resyncs=2)

    @classmethod
    def from_env(cls, quick: bool) -> Sizes:
        if os.environ.get("BENCH_HUGE", "") not in ("", "0"):
            sizes = cls.huge()
        else:
            sizes = cls.quick() if quick else cls()
        if os.environ.get("BENCH_N"):  # e.g. BENCH_N=2000: one size for everything
            n = int(os.environ["BENCH_N"])
            sizes = cls(**{**sizes.__dict__, "cold": (n,), "resync": n, "memory_alerts": n,
                           "latency_alerts": n})
        return sizes


@dataclass
class Context:
    emulator: Emulator
    database: Database
    sizes: Sizes
    quick: bool
    # database URL per alert count, already loaded with that many alerts
    loaded: dict[int, str] = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 200 samples is the 198th)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def requests_text(counts: dict[str, Any]) -> str:
    parts = [f"{counts[verb]:,} {verb}" for verb in
             ("create", "patch", "update", "delete", "get", "list", "watch") if counts.get(verb)]
    return ", ".join(parts) or "none"
