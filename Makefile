.PHONY: test run lint setup bench bench-quick

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

# Benchmarks (BENCHMARKS.md): throwaway PostgreSQL + API emulator, ~5 min; results in bench/results/.
bench:
	scripts/setup.sh
	.venv/bin/python -m bench

# The same with small sizes, under a minute (results in bench/results/quick/).
bench-quick:
	scripts/setup.sh
	BENCH_QUICK=1 .venv/bin/python -m bench
