"""BackgroundValue: a scrape gets the latest value at once; the computation runs in a thread."""

from __future__ import annotations

import threading

from alert_operator.background import BackgroundValue


def test_answers_at_once_and_computes_in_a_thread() -> None:
    release = threading.Event()
    calls: list[str] = []

    def compute() -> int:
        calls.append(threading.current_thread().name)
        release.wait(10)
        return len(calls)

    value = BackgroundValue(compute, 0, max_age_seconds=3600)
    assert value.get() == 0  # not computed yet: the initial value, without waiting
    assert value.get() == 0  # still running: no second computation
    release.set()
    assert value.get(wait=True) == 1
    assert value.get() == 1  # fresh for an hour: not computed again
    assert calls == ["alert-operator-metrics"]


def test_recomputes_when_old() -> None:
    counter = iter(range(1, 100))
    value = BackgroundValue(lambda: next(counter), 0, max_age_seconds=0)
    assert value.get(wait=True) == 1
    assert value.get(wait=True) == 2
