"""The benchmark harness's report generator, on a fixture result (nothing is timed here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from bench import report
from bench.emulator import Frontend
from bench.herd import simulate
from bench.results import Goal, Result, write
from tests.apiserver.conftest import cronjob
from tests.apiserver.serving import new_api_server
from tests.apiserver.serving import serve as serve_api

CRONJOBS = "/apis/batch/v1/namespaces/ns/cronjobs"

TEMPLATE = """# Benchmarks
<!-- bench:machine:start -->
old
<!-- bench:machine:end -->
<!-- bench:table:start -->
old table
<!-- bench:table:end -->
prose stays
<!-- bench:herd:start -->
old herd
<!-- bench:herd:end -->
"""


def test_report_regenerates_the_tables_from_result_files(tmp_path: Path) -> None:
    results = tmp_path / "results"
    fixture = Result(
        name="cold_sync_1000", title="Cold sync, N=1,000", params={"n": 1000},
        figures={"wall_seconds": 2.0, "headline": "2.00 s; 1,000 create, 2 list"},
        floor={"wall_seconds": 1.6, "headline": "1.60 s (bare create loop)"},
        ratios={"wall_vs_floor": 1.25},
        goals=[Goal("wall vs floor", 1.25, 1.5), Goal("writes", 3, 0, unit="", exact=True)],
    )
    path = write(fixture, quick=False, directory=results)
    stored = json.loads(path.read_text())
    assert stored["machine"]["nproc"] >= 1 and stored["machine"]["shared"] is True
    assert stored["goals"][0]["met"] is True and stored["goals"][1]["met"] is False
    output = tmp_path / "BENCHMARKS.md"
    output.write_text(TEMPLATE)

    assert report.main(["--results", str(results), "--output", str(output)]) == 0

    text = output.read_text()
    assert "| Cold sync, N=1,000 | 2.00 s; 1,000 create, 2 list | 1.60 s" in text
    assert "✅ wall vs floor: 1.25" in text and "❌ writes" in text
    assert "old table" not in text and "prose stays" in text
    assert "No herd analysis yet" in text


def test_report_refuses_a_file_without_markers(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# nothing to replace\n")
    assert report.main(["--results", str(tmp_path), "--output", str(output)]) == 1


async def test_bench_stats_are_the_api_servers_own_counts() -> None:
    api = new_api_server()
    async with api:
        runner, url = await serve_api(api, Frontend(api))
        try:
            async with aiohttp.ClientSession() as session:
                async def call(method: str, path: str, **kwargs: Any) -> Any:
                    async with session.request(method, url + path, **kwargs) as response:
                        return await response.json()

                await call("POST", CRONJOBS, json=cronjob("a"))
                await call("PATCH", CRONJOBS + "/a", json={"spec": {"suspend": True}},
                           headers={"Content-Type": "application/merge-patch+json"})
                await call("GET", CRONJOBS)
                stats = await call("GET", "/_bench/stats")
                await call("GET", "/_bench/reset")
                after_reset = await call("GET", "/_bench/stats")
        finally:
            await runner.cleanup()
    assert stats["requests"] == {**stats["requests"], "create": 1, "patch": 1, "list": 1,
                                 "writes": 2}
    assert stats["objects"] == 1
    assert stats["first_request_at"] <= stats["last_create_at"] <= stats["now"]
    assert after_reset["requests"]["writes"] == 0 and after_reset["last_create_at"] is None


def test_herd_model_skips_runs_only_past_the_deadline() -> None:
    herd = simulate([0.0] * 100, writes_per_job=2, deadline=300.0)
    assert herd.missed == 0 and herd.created == 100
    crowd = simulate([0.0] * 5000, writes_per_job=2, deadline=300.0)
    assert crowd.missed > 0 and crowd.created + crowd.missed == 5000
    spread = simulate([60.0 * (i % 10) for i in range(5000)], writes_per_job=2, deadline=300.0)
    assert spread.missed == 0
