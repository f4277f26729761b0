.PHONY: test run lint setup

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
