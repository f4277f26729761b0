"""``alert-runner --alert-id UUID --client-id UUID``: the program inside each CronJob's pod.

The Job's name comes from ``JOB_NAME`` (the pod label ``batch.kubernetes.io/job-name``) and the
pod's from ``POD_NAME``; everything else from the settings (``DATABASE_URL``, ``ALERT_*``,
read by :class:`alert_runner.config.RunnerSettings`: the shared Settings' rules without pydantic).
Bad arguments or settings: one line on stderr and the permanent-error exit code, so that the
CronJob's podFailurePolicy fails the Job at once instead of retrying what cannot work.

argparse rather than typer: the runner starts once per run and must start fast.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import sys
import uuid
from collections.abc import Sequence
from typing import NoReturn

from alert_core.exitcodes import PERMANENT_ERROR
from alert_core.jobname import cronjob_name, scheduled_time_from_job_name
from alert_core.validation import SettingsError
from alert_core.version import __version__
from alert_runner.config import RunnerSettings
from alert_runner.logs import configure
from alert_runner.run import Interrupt, RunRequest, run_alert

MAX_JOB_NAME_LENGTH = 63  # alert_runs.job_name, and the longest a Job's name can be
JOB_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse's default is exit code 2 and the whole usage; Kubernetes wants the code.
        self.exit(PERMANENT_ERROR, f"alert-runner: error: {message}\n")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:64]!r} is not a UUID") from None


def _job_name(text: str) -> str:
    # A Kubernetes object name; bytes that are not UTF-8 (from the environment or argv) arrive
    # as lone surrogates and fail here, shown escaped: ascii() keeps the line printable.
    if len(text) > MAX_JOB_NAME_LENGTH or not JOB_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text[:80]!a} is not a Job name (1 to {MAX_JOB_NAME_LENGTH} lowercase"
            " letters, digits, '-' or '.', starting and ending with a letter or digit)"
        )
    return text


def _scheduled_name_problem(job_name: str, alert_id: uuid.UUID) -> str | None:
    """A name of the CronJob's form whose minutes are no plausible time: the pod would record
    a run that never was scheduled, so it is bad input rather than a manual run."""
    prefix = f"{cronjob_name(alert_id)}-"
    suffix = job_name[len(prefix):] if job_name.startswith(prefix) else ""
    if not (suffix.isascii() and suffix.isdecimal()):
        return None
    if scheduled_time_from_job_name(job_name, prefix[:-1]) is not None:
        return None
    return (f"JOB_NAME: {job_name!r} ends in {suffix[:20]} minutes since 1970, not a scheduled"
            " time (2000 to 2200)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alert-runner",
        description="Run one alert once, record the run in alert_runs, and exit "
        "(0 done or skipped, 1 retryable failure, 3 permanent error).",
    )
    parser.add_argument("--alert-id", type=_uuid, required=True, help="the alert's id")
    parser.add_argument("--client-id", type=_uuid, required=True, help="the alert's client id")
    parser.add_argument(
        "--job-name",
        type=_job_name,
        default=os.environ.get("JOB_NAME") or None,
        help="the Job's name, the run's key [env: JOB_NAME]",
    )
    parser.add_argument(
        "--retry-of",
        type=_job_name,
        metavar="JOB_NAME",
        help="re-run the failed run of this Job, claiming its alert_runs row (alertctl retry)",
    )
    parser.add_argument("--version", action="version", version=f"alert-runner {__version__}")
    return parser


def _fail(message: str) -> int:
    print(f"alert-runner: error: {message}", file=sys.stderr)
    return PERMANENT_ERROR


async def _run_with_signals(request: RunRequest, settings: RunnerSettings) -> int:
    """SIGTERM (the Job's deadline, an eviction) and SIGINT cancel the run, which records
    itself as interrupted and exits within the grace period."""
    task = asyncio.current_task()
    assert task is not None
    interrupt = Interrupt()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, interrupt.trigger, signal.Signals(number).name, task)
    return await run_alert(request, settings, interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.job_name is None:
        return _fail("JOB_NAME: not set (the pod label batch.kubernetes.io/job-name)")
    problem = _scheduled_name_problem(args.job_name, args.alert_id)
    if problem is not None:
        return _fail(problem)
    try:
        settings = RunnerSettings.from_env()
        settings.require_database_url()
    except SettingsError as error:
        return _fail(str(error))
    configure(settings.log_format, settings.log_level)
    request = RunRequest(args.alert_id, args.client_id, args.job_name,
                         os.environ.get("POD_NAME") or None, retry_of=args.retry_of)
    return asyncio.run(_run_with_signals(request, settings))
