"""The frequency an alert runs at, as the application stores it in ``alerts.frequency``.

A discriminated union on ``type``; each variant translates to a Kubernetes cron expression plus
a timezone (``spec.schedule`` + ``spec.timeZone``). Fire times follow the CronJob controller
exactly (see :mod:`alert_core.schedule`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from alert_core.schedule import CronSchedule, CronSyntaxError, go_fields, parse_cron
from alert_core.validation import (
    DEFAULT_TIMEZONE,
    MAX_LIST_LENGTH,
    TIME_OF_DAY,
    frequency_object,
    zone_name_is_well_formed,
)

# The patterns live in alert_core.validation (no pydantic), shared with the runner's slot check.
from alert_core.validation import FrequencyError as FrequencyError  # re-exported for callers

MAX_FIRE_TIMES = 1000


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class _Frequency(BaseModel):
    # Unknown keys are ignored: the application owns this JSON and may keep more in it.
    model_config = ConfigDict(extra="ignore", frozen=True)

    timezone: StrictStr = DEFAULT_TIMEZONE

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value != "UTC" and (not zone_name_is_well_formed(value) or value not in _known_zones()):
            raise ValueError(
                f"unknown timezone {value[:64]!r} (use an IANA name such as Europe/Paris)"
            )
        try:
            zone(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value[:64]!r}") from None
        return value

    def to_cron(self) -> str:
        raise NotImplementedError

    @property
    def per_local_slot(self) -> bool:
        """True when runs are meant once per wall-clock time (daily, weekly, monthly)."""
        return True


class _AtTime(_Frequency):
    time: StrictStr = Field(description="HH:MM, 24-hour clock, in the frequency's timezone")

    @field_validator("time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.match(value):  # match() anchors at the start, \Z at the end
            raise ValueError(f"{value[:32]!r} is not a time of day HH:MM (00:00 to 23:59)")
        return value

    @property
    def hour(self) -> int:
        return int(self.time.split(":")[0])

    @property
    def minute(self) -> int:
        return int(self.time.split(":")[1])


def _sorted_unique(values: list[int]) -> list[int]:
    if not values:
        raise ValueError("must list at least one day")
    return sorted(set(values))


def _bounded_list(value: Any) -> Any:
    if isinstance(value, list) and len(value) > MAX_LIST_LENGTH:
        raise ValueError(f"too many entries ({len(value)}; at most {MAX_LIST_LENGTH})")
    return value


class Hourly(_AtTime):
    """Every hour at minute MM of ``time``; the hour part is ignored."""

    type: Literal["hourly"]

    def to_cron(self) -> str:
        return f"{self.minute} * * * *"

    @property
    def per_local_slot(self) -> bool:
        return False


class Daily(_AtTime):
    type: Literal["daily"]

    def to_cron(self) -> str:
        return f"{self.minute} {self.hour} * * *"


class Weekly(_AtTime):
    """Every listed weekday; 0 = Sunday … 6 = Saturday, 7 is read as Sunday."""

    type: Literal["weekly"]
    day_of_week: Annotated[list[Annotated[StrictInt, Field(ge=0, le=7)]], Field(alias="dayOfWeek")]

    _bounded = field_validator("day_of_week", mode="before")(_bounded_list)

    @field_validator("day_of_week")
    @classmethod
    def _normalise(cls, value: list[int]) -> list[int]:
        return _sorted_unique([0 if day == 7 else day for day in value])

    def to_cron(self) -> str:
        return f"{self.minute} {self.hour} * * {','.join(map(str, self.day_of_week))}"


class Monthly(_AtTime):
    """Every listed day of the month; a month without that day (e.g. the 31st) is skipped."""

    type: Literal["monthly"]
    day_of_month: Annotated[
        list[Annotated[StrictInt, Field(ge=1, le=31)]], Field(alias="dayOfMonth")
    ]

    _bounded = field_validator("day_of_month", mode="before")(_bounded_list)

    @field_validator("day_of_month")
    @classmethod
    def _normalise(cls, value: list[int]) -> list[int]:
        return _sorted_unique(value)

    def to_cron(self) -> str:
        return f"{self.minute} {self.hour} {','.join(map(str, self.day_of_month))} * *"


class Cron(_Frequency):
    """A raw Kubernetes cron expression: five fields or a macro such as ``@daily``."""

    type: Literal["cron"]
    expression: StrictStr

    @field_validator("expression")
    @classmethod
    def _kubernetes_cron(cls, value: str) -> str:
        try:
            parse_cron(value)
        except CronSyntaxError as error:
            raise ValueError(str(error)) from None
        return " ".join(go_fields(value))

    def to_cron(self) -> str:
        return self.expression

    @property
    def per_local_slot(self) -> bool:
        return False


TYPES = frozenset({"hourly", "daily", "weekly", "monthly", "cron"})
AnyFrequency = Hourly | Daily | Weekly | Monthly | Cron
Frequency = Annotated[AnyFrequency, Field(discriminator="type")]
_ADAPTER: TypeAdapter[AnyFrequency] = TypeAdapter(Frequency)


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False)[:3]:
        location = ".".join(str(part) for part in problem["loc"] if part not in TYPES)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "union_tag_invalid":
            message = "unknown type; expected one of hourly, daily, weekly, monthly, cron"
            location = "type"
        elif problem["type"] == "union_tag_not_found":
            message = "missing; expected one of hourly, daily, weekly, monthly, cron"
            location = "type"
        elif problem["type"] == "model_attributes_type":
            message, location = "must be a JSON object", "frequency"
        problems.append(f"{location or 'frequency'}: {message}")
    return "; ".join(problems)


def parse_frequency(raw: Any) -> AnyFrequency:
    """Validate a frequency given as a dict or a JSON string.

    Raises :class:`FrequencyError` with a one-line message naming the wrong field.
    """
    try:
        return _ADAPTER.validate_python(frequency_object(raw))
    except ValidationError as error:
        raise FrequencyError(_describe(error)) from None


@lru_cache(maxsize=4096)
def _compiled(expression: str) -> CronSchedule:
    return parse_cron(expression)


def next_fire_times(
    frequency: AnyFrequency, after: datetime, count: int
) -> list[datetime]:
    """The next ``count`` times the CronJob fires, strictly after ``after``, in the frequency's
    timezone (a missing wall-clock time is skipped, a repeated one fires twice)."""
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    count = max(0, min(count, MAX_FIRE_TIMES))
    schedule, tz = _compiled(frequency.to_cron()), zone(frequency.timezone)
    times: list[datetime] = []
    moment = after
    while len(times) < count:
        following = schedule.next_after(moment, tz)
        if following is None:
            break
        times.append(following)
        moment = following
    return times


def now_utc() -> datetime:
    return datetime.now(UTC)
