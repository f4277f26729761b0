"""Job names of the CronJob controller: <cronjob>-<minutes since the epoch>."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from alert_core.jobname import job_name_for, scheduled_time_from_job_name

CRONJOB = "alert-0b7e1c5e-8a64-4a55-9d4e-0b1d9a3e7f10"


def test_scheduled_job_name_round_trips() -> None:
    scheduled = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    name = job_name_for(CRONJOB, scheduled)
    assert name == f"{CRONJOB}-28576110"
    assert scheduled_time_from_job_name(name, CRONJOB) == scheduled


@pytest.mark.parametrize(
    "job_name",
    [
        f"{CRONJOB}-manual-abc12",  # kubectl create job --from / alertctl run
        f"{CRONJOB}-",
        f"{CRONJOB}-+28576110",
        f"{CRONJOB}-1",  # 1970: not a plausible schedule
        f"{CRONJOB}-١٢٣٤٥٦٧٨",  # non-ASCII digits
        "alert-other-28576110",
        "something-else",
    ],
)
def test_other_names_are_manual(job_name: str) -> None:
    assert scheduled_time_from_job_name(job_name, CRONJOB) is None


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        job_name_for(CRONJOB, datetime(2024, 5, 1, 12, 30))
