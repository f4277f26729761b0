"""Thundering herd: 5,000 alerts at ``0 9 * * *``, simulated against the controllers' limits.

No cluster can be timed here, so this is a simulation of the documented limits, not a
measurement. kube-controller-manager gives each controller its own API client, rate-limited by
a token bucket: ``--kube-api-qps`` 20 and ``--kube-api-burst`` 30 by default (kops' flag docs,
kubernetes/kops#7153, quote both defaults). Per run:

- the CronJob controller creates the Job and then updates the CronJob's status
  (``active``, ``lastScheduleTime``): 2 writes through its bucket (1 is the optimistic bound);
- the Job controller creates the Pod and updates the Job's status: 2 writes through its own
  bucket;
- a run whose Job would be created more than ``startingDeadlineSeconds`` after its scheduled
  time is skipped by the CronJob controller (a ``MissSchedule`` event, no Job that day).

The CronJob controller's workers (``--concurrent-cron-job-syncs``, 5 by default) do not matter
once the rate limiter is the bottleneck, so they are not modelled.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

from alert_core.spread import spread_offset
from bench import data

QPS = 20.0
BURST = 30
JOBS = 5000
SPREADS = (0, 5, 10, 15, 30)


class TokenBucket:
    """client-go's token bucket: ``burst`` tokens, refilled at ``qps`` per second."""

    def __init__(self, qps: float, burst: int) -> None:
        self.qps, self.burst = qps, burst
        self.tokens, self.updated = float(burst), 0.0

    def acquire(self, at: float) -> float:
        """The time a request wanting to go at ``at`` really goes."""
        at = max(at, self.updated)
        self.tokens = min(self.burst, self.tokens + (at - self.updated) * self.qps)
        self.updated = at
        if self.tokens >= 1:
            self.tokens -= 1
            return at
        wait = (1 - self.tokens) / self.qps
        self.tokens, self.updated = 0.0, at + wait
        return at + wait


@dataclass
class Scenario:
    spread_minutes: int
    writes_per_job: int
    jobs: int
    created: int
    missed: int
    last_created_seconds: float
    last_pod_seconds: float
    peak_per_minute: int
    median_delay_seconds: float
    max_delay_seconds: float
    pods_per_second: float


def simulate(
    due_seconds: list[float], *, writes_per_job: int, deadline: float,
    qps: float = QPS, burst: int = BURST,
) -> Scenario:
    """Replay the due times (seconds after 09:00) through the two controllers' buckets."""
    cronjob_client, job_client = TokenBucket(qps, burst), TokenBucket(qps, burst)
    created: list[float] = []
    pods: list[float] = []
    delays: list[float] = []
    missed = 0
    for due in sorted(due_seconds):
        at = cronjob_client.acquire(due)
        if at - due > deadline:
            missed += 1
            continue
        created.append(at)
        delays.append(at - due)
        for _ in range(writes_per_job - 1):  # the status update after the creation
            cronjob_client.acquire(at)
        pod_at = job_client.acquire(at)
        pods.append(pod_at)
        for _ in range(writes_per_job - 1):
            job_client.acquire(pod_at)
    per_minute: dict[int, int] = {}
    for moment in created:
        per_minute[int(moment // 60)] = per_minute.get(int(moment // 60), 0) + 1
    last_pod = max(pods, default=0.0)
    busy = last_pod - min(pods, default=0.0)
    return Scenario(
        spread_minutes=0, writes_per_job=writes_per_job, jobs=len(due_seconds),
        created=len(created), missed=missed,
        last_created_seconds=round(max(created, default=0.0), 1),
        last_pod_seconds=round(last_pod, 1),
        peak_per_minute=max(per_minute.values(), default=0),
        median_delay_seconds=round(sorted(delays)[len(delays) // 2] if delays else 0.0, 1),
        max_delay_seconds=round(max(delays, default=0.0), 1),
        pods_per_second=round(len(pods) / busy, 1) if busy > 0 else float(len(pods)),
    )


def due_times(ids: list[uuid.UUID], spread_minutes: int) -> list[float]:
    """Seconds after 09:00 at which each alert's CronJob is due, with its spread offset."""
    return [60.0 * spread_offset(alert_id, 0, spread_minutes) for alert_id in ids]


def analyse(jobs: int = JOBS, deadline: float = 300.0) -> dict[str, Any]:
    ids = [row[0] for row in data.make_rows(jobs)]
    scenarios = []
    for writes in (2, 1):
        for spread in SPREADS if writes == 2 else (0,):
            scenario = simulate(due_times(ids, spread), writes_per_job=writes, deadline=deadline)
            scenario.spread_minutes = spread
            scenarios.append(asdict(scenario))
    return {"scenarios": scenarios, "qps": QPS, "burst": BURST, "deadline_seconds": deadline,
            "jobs": jobs}
