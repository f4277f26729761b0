"""What a Job's name says about its run (pure).

The CronJob controller names each Job it starts ``<cronjob name>-<scheduled time in minutes
since the Unix epoch>`` (``getJobName`` in kubernetes/pkg/controller/cronjob/utils.go). A Job
created by hand (``kubectl create job --from=cronjob/...``, ``alertctl run``) has any other name.
The runner and the operator both need this to fill ``alert_runs.scheduled_for`` and ``trigger``.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

NAME_PREFIX = "alert-"  # of every CronJob we manage (the runner builds the same name)
MAX_JOB_NAME = 63  # the Job's name becomes a label value (batch.kubernetes.io/job-name)
SUFFIX_ALPHABET = string.ascii_lowercase + string.digits

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Plausible scheduled times only: a manual Job named e.g. "<cronjob>-1" is not a run of 1970.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def cronjob_name(alert_id: object) -> str:
    """``alert-<uuid>``: 42 characters, within the 52 Kubernetes allows for a CronJob."""
    return f"{NAME_PREFIX}{alert_id}"


def scheduled_time_from_job_name(job_name: str, cronjob_name: str) -> datetime | None:
    """The scheduled time (UTC, whole minute) encoded in a CronJob-created Job's name.

    ``None`` when ``job_name`` is not ``<cronjob_name>-<minutes>``: a manual run.
    """
    prefix = f"{cronjob_name}-"
    if not job_name.startswith(prefix):
        return None
    suffix = job_name[len(prefix) :]
    # isdecimal also rejects signs, spaces and non-ASCII digits that int() would accept.
    if not suffix.isascii() or not suffix.isdecimal() or len(suffix) > 12:
        return None
    minutes = int(suffix)
    # Compared as minutes first: the date of e.g. 9999999999 minutes overflows datetime.
    if not _minutes(_EARLIEST) <= minutes < _minutes(_LATEST):
        return None
    return _EPOCH + timedelta(minutes=minutes)


def _minutes(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() // 60)


def job_name_for(cronjob_name: str, scheduled_for: datetime) -> str:
    """The name the CronJob controller gives the Job of ``scheduled_for`` (the inverse)."""
    if scheduled_for.tzinfo is None:
        raise ValueError("scheduled_for must be timezone-aware")
    return f"{cronjob_name}-{_minutes(scheduled_for)}"


def random_job_name(cronjob_name: str, kind: str) -> str:
    """``<cronjob>-<kind>-<5 random>`` (``manual``, ``retry``): never ``<cronjob>-<digits>``,
    which the CronJob controller uses (and the runner reads as a scheduled time)."""
    import secrets  # here: the runner imports this module and never needs it

    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(5))
    tail = f"-{kind}-{suffix}"
    return f"{cronjob_name[: MAX_JOB_NAME - len(tail)]}{tail}"
