"""Run the cross-check: see the package docstring."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from alert_core.schedule import parse_cron

HERE = Path(__file__).parent
ZONES = [
    "America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Berlin",
    "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Lord_Howe",
    "America/Havana", "UTC", "Pacific/Chatham", "America/Santiago", "Africa/Cairo",
    "Asia/Beirut", "America/St_Johns", "Asia/Tehran", "Europe/Dublin",
]
# Where we are knowingly stricter than robfig (see README, "Frequency reference").
STRICTER = ("@every", "never fires", "longer than")
# Corners of Go's Atoi, strings.Fields/FieldsFunc/ToLower and Kubernetes' TZ rule.
EDGE_CASES = [
    "*/100000000000000000000 * * * *", "*/9223372036854775807 * * * *",
    "*/9223372036854775808 * * * *", "*/+5 * * * *", "*/-1 * * * *", "*/-0 * * * *",
    "*/+0 * * * *", "*/ * * * *", "+5 * * * *", "+ * * * *", "-5 * * * *", "5- * * * *",
    "0 0 1,,2 * *", "1, * * * *", ",1 * * * *", ", * * * *", ",,, * * * *", "0 0 , * *",
    "1_0 * * * *", "0x1 * * * *", "\u0663 * * * *", "\u00b2 * * * *", "*-5 * * * *",
    "*-5-6-7 * * * *", "?/5 * * * *", "0 0 * * FR\u0130", "0 0 * \u212aan *", "0 0 * JAN *",
    "0 0 * * *\x1c", "0\x1c* * * *", "0\x85* * * *", "0\xa0* * * *", "0\u3000* * * *",
    "0\u200b* * * *", " 0 0 * * * ", "\t0 0 * * *\n", "@daily", " @daily", "@daily ",
    "@every 5m", "@every", "@DAILY", "TZ=UTC 0 0 * * *", "CRON_TZ=UTC 0 0 * * *",
    " TZ=UTC 0 0 * * *", "0 0 * * *TZ", "tz=UTC 0 0 * * *", "", " ", "00 00 01 01 00",
    "0 0 31 2 *", "0 0 31 2 1", "60 * * * *", "0 0 * * 7",
]


def build(directory: Path) -> Path:
    binary = directory / "robfig-check"
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOCACHE": str(directory)}
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=HERE, env=env, check=True)
    return binary


def _field(rng: random.Random, low: int, high: int) -> str:
    choice = rng.random()
    if choice < 0.3:
        return "*"
    if choice < 0.6:
        return str(rng.randint(low, high))
    if choice < 0.75:
        start = rng.randint(low, high)
        return f"{start}-{rng.randint(start, high)}"
    if choice < 0.85:
        return f"*/{rng.randint(1, high - low + 1)}"
    return ",".join(map(str, sorted(rng.sample(range(low, high + 1), 3))))


def _expression(rng: random.Random) -> str:
    minute, hour = rng.choice([0, 30, rng.randint(0, 59)]), rng.choice([0, 1, 2, 3, 23])
    return rng.choice([
        f"{minute} * * * *",
        f"{minute} {hour} * * *",
        f"{minute} {hour} * * {_field(rng, 0, 6)}",
        f"{minute} {hour} {_field(rng, 1, 31)} * *",
        " ".join([_field(rng, 0, 59), _field(rng, 0, 23), _field(rng, 1, 31),
                  _field(rng, 1, 12), _field(rng, 0, 6)]),
    ])


def _start(rng: random.Random, zone: str) -> datetime:
    """A random instant, half the time within two days before an offset change."""
    tz = ZoneInfo(zone)
    moment = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 20 * 365))
    if rng.random() < 0.5:
        for _ in range(400):  # walk to the next change, a day at a time
            following = moment + timedelta(days=1)
            if moment.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
                break
            moment = following
    return moment + timedelta(seconds=rng.randint(0, 2 * 86400))


def compare_fire_times(binary: Path, rng: random.Random, count: int) -> int:
    cases = []
    while len(cases) < count:
        zone, expression = rng.choice(ZONES), _expression(rng)
        try:
            parse_cron(expression)
        except ValueError:
            continue
        cases.append((zone, expression, _start(rng, zone).replace(microsecond=0)))
    feed = "".join(f"N\t{z}\t{e}\t{int(a.timestamp())}\t5\n" for z, e, a in cases)
    answers = subprocess.run([binary], input=feed, capture_output=True, text=True, check=True)
    differences = 0
    for (zone, expression, after), expected in zip(cases, answers.stdout.splitlines(),
                                                   strict=True):
        schedule, moment, ours = parse_cron(expression), after, []
        for _ in range(5):
            following = schedule.next_after(moment, ZoneInfo(zone))
            if following is None:
                break
            ours.append(str(int(following.timestamp())))
            moment = following
        if " ".join(ours) != expected:
            differences += 1
            print(f"fire times differ: {zone} {expression!r} after {after.isoformat()}")
    return differences


def compare_parsers(binary: Path, rng: random.Random, count: int) -> int:
    tokens = ["*", "?", "0", "5", "7", "59", "60", "23", "24", "1", "31", "32", "12", "13",
              "-", "/", ",", "jan", "MON", "sun", "x", "L", "#", "*/", "5-1", "*/0", "00",
              "+", ",,", "TZ", "99999999999999999999", "9223372036854775807"]
    expressions = sorted({
        " ".join("".join(rng.choice(tokens) for _ in range(rng.randint(1, 3)))
                 for _ in range(rng.choice([4, 5, 5, 5, 6])))
        for _ in range(count)
    } | {"@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@every 5m", "@reboot"}
      | set(EDGE_CASES))
    feed = "".join(f"P\t{expression.encode().hex()}\n" for expression in expressions)
    answers = subprocess.run([binary], input=feed, capture_output=True, text=True, check=True)
    differences = 0
    for expression, robfig in zip(expressions, answers.stdout.split(), strict=True):
        try:
            parse_cron(expression)
            ours, reason = "ok", ""
        except ValueError as error:
            ours, reason = "err", str(error)
        if ours != robfig and not (ours == "err" and any(s in reason for s in STRICTER)):
            differences += 1
            print(f"parsers differ: {expression!r}: ours {ours} {reason}, robfig {robfig}")
    return differences


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 5000
    rng = random.Random(int(argv[1]) if len(argv) > 1 else 1)
    with tempfile.TemporaryDirectory() as directory:
        binary = build(Path(directory))
        differences = compare_fire_times(binary, rng, count)
        differences += compare_parsers(binary, rng, count)
    print(f"{count} schedules, {count} expressions: {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
