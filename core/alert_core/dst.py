"""Daylight-saving marks on fire times: which run falls on a changed UTC offset or in a
repeated hour, so that a reader sees why 09:00 is at 07:00 UTC one week and 08:00 the next."""

from __future__ import annotations

from datetime import datetime, timedelta


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    return timedelta(0) if offset is None else offset


def _hours(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def dst_mark(previous: datetime | None, moment: datetime) -> str | None:
    """Why ``moment`` (aware, in its zone) is special, or None.

    - the first fire time after a UTC offset change (``previous`` is the one before it);
    - a wall-clock time that exists twice (the repeated hour at the end of summer time).
    """
    marks: list[str] = []
    if previous is not None and _offset(previous) != _offset(moment):
        marks.append(f"offset changes {_hours(_offset(previous))} → {_hours(_offset(moment))}")
    other = moment.replace(fold=1 - moment.fold)
    if _offset(other) != _offset(moment):
        marks.append("repeated hour: " + ("second" if moment.fold else "first") + " time")
    return "; ".join(marks) or None


def dst_marks(times: list[datetime]) -> list[str | None]:
    """:func:`dst_mark` for each of consecutive fire times."""
    return [dst_mark(times[index - 1] if index else None, moment)
            for index, moment in enumerate(times)]
