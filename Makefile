.PHONY: test run lint setup bench bench-quick bench-100k

# The whole test suite (installs everything it needs, starts a throwaway PostgreSQL).
test:
	scripts/test.sh

# The main job: see README's quick start.
run:
	scripts/run.sh

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

# Benchmarks (BENCHMARKS.md): throwaway PostgreSQL + API emulator, <10 min; results in bench/results/.
bench:
	scripts/setup.sh
	.venv/bin/python -m bench

# The same with small sizes, under a minute (results in bench/results/quick/).
bench-quick:
	scripts/setup.sh
	BENCH_QUICK=1 .venv/bin/python -m bench

# The syncs, memory and change latency with 100,000 alerts (long: BENCHMARKS.md; bench/results/).
bench-100k:
	scripts/setup.sh
	BENCH_HUGE=1 BENCH_ONLY=cold_sync,restart,resync,memory,latency .venv/bin/python -m bench
