"""Regenerate the tables in BENCHMARKS.md from ``bench/results/*.json``.

    python -m bench.report [--results DIR] [--output FILE]

Only the text between the ``<!-- bench:NAME:start -->`` / ``<!-- bench:NAME:end -->`` markers
is replaced; the prose around them is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from bench.results import RESULTS_DIR, TIMES, read_all

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"
ORDER = ("cold_sync", "restart", "resync", "change_latency", "runner", "operator_memory", "herd")


def _order(result: dict[str, Any]) -> tuple[int, int, str]:
    name = str(result["name"])
    for index, prefix in enumerate(ORDER):
        if name.startswith(prefix):
            return index, int(result.get("params", {}).get("n", 0) or 0), name
    return len(ORDER), 0, name


def _number(value: float) -> str:
    if value == float("inf"):
        return "∞"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _goal(goal: dict[str, Any]) -> str:
    mark = "✅" if goal["met"] else "❌"
    relation = "=" if goal.get("exact") else "≤"
    unit = goal.get("unit", "")
    value, limit = _number(goal["value"]), _number(goal["limit"])
    if unit == TIMES:
        return f"{mark} {goal['what']}: {value}{TIMES} ({relation} {limit}{TIMES})"
    if not unit:  # a count
        return f"{mark} {goal['what']}: {goal['value']:g} ({relation} {goal['limit']:g})"
    return f"{mark} {goal['what']}: {value} {unit} ({relation} {limit} {unit})"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def results_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| Benchmark | Measured | Floor / baseline (same run) | Goals |",
        "| --- | --- | --- | --- |",
    ]
    for result in sorted(results, key=_order):
        if result["name"].startswith("herd"):
            continue
        goals = "<br>".join(_goal(goal) for goal in result.get("goals", [])) or "—"
        quick = " (quick)" if result.get("quick") else ""
        lines.append(
            f"| {_cell(result['title'])}{quick} "
            f"| {_cell(result['figures'].get('headline', ''))} "
            f"| {_cell(result.get('floor', {}).get('headline', '—'))} "
            f"| {goals} |"
        )
    return "\n".join(lines)


def machine_line(results: list[dict[str, Any]]) -> str:
    if not results:
        return "No results yet: run `make bench`."
    latest = max(results, key=lambda result: str(result.get("measured_at", "")))
    machine, versions = latest["machine"], latest["versions"]
    return (
        f"Measured {latest['measured_at']} on {machine['nproc']} {TIMES} {machine['cpu_model']}, "
        f"Linux {machine['kernel']}, Python {machine['python']}; "
        f"alert-operator {versions.get('alert-operator')}, kopf {versions.get('kopf')}, "
        f"aiohttp {versions.get('aiohttp')}, asyncpg {versions.get('asyncpg')}. "
        f"Load average at the end: {machine.get('load_average')}. "
        "The machine was shared with other work while this ran: compare ratios, not seconds."
    )


def herd_table(results: list[dict[str, Any]]) -> str:
    herd = next((result for result in results if result["name"] == "herd"), None)
    if herd is None:
        return "No herd analysis yet: run `make bench`."
    lines = [
        "| Spread window | Controller writes per run | Peak Job creations / min "
        "| Start delay: median / worst | Last Pod created after | Runs skipped that day |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in herd["figures"]["scenarios"]:
        window = "off" if row["spread_minutes"] == 0 else f"{row['spread_minutes']} min"
        lines.append(
            f"| {window} | {row['writes_per_job']} | {row['peak_per_minute']:,} "
            f"| {row['median_delay_seconds']:,.0f} s / {row['max_delay_seconds']:,.0f} s "
            f"| {row['last_pod_seconds']:,.0f} s | {row['missed']:,} of {row['jobs']:,} |"
        )
    return "\n".join(lines)


def replace_section(text: str, name: str, body: str) -> str:
    pattern = re.compile(
        rf"(<!-- bench:{name}:start -->\n).*?(<!-- bench:{name}:end -->)", re.DOTALL
    )
    if not pattern.search(text):
        raise ValueError(f"BENCHMARKS.md: markers for {name!r} not found")
    return pattern.sub(lambda match: f"{match.group(1)}{body}\n{match.group(2)}", text)


def render(text: str, results: list[dict[str, Any]]) -> str:
    text = replace_section(text, "table", results_table(results))
    text = replace_section(text, "machine", machine_line(results))
    return replace_section(text, "herd", herd_table(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--output", type=Path, default=BENCHMARKS_MD)
    args = parser.parse_args(argv)
    try:
        text = args.output.read_text()
        args.output.write_text(render(text, read_all(args.results)))
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"updated {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
