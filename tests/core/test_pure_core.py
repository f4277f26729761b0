"""The pure core loads no database code: the runner and the planner import it cheaply."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["alert_core.cronjob", "alert_core.alert",
                                    "alert_core.jobname"])
def test_the_core_imports_no_database_code(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    database = {name for name in loaded
                if name.split(".")[0] in ("sqlalchemy", "asyncpg", "alembic")
                or name.startswith("alert_core.db")}
    assert database == set()


@pytest.mark.parametrize("module", ["alert_core.jobname", "alert_core.db.runs"])
def test_what_the_runner_shares_is_standard_library_only(module: str) -> None:
    baseline = _loaded_after("pass")
    added = {name.split(".")[0] for name in _loaded_after(f"import {module}") - baseline}
    # _sysconfigdata_*: the interpreter's own build data (loaded by sysconfig), not a package
    outside = {name for name in added - set(sys.stdlib_module_names)
               if not name.startswith("_sysconfigdata")}
    assert outside == {"alert_core"}


@pytest.mark.parametrize("module", ["alert_core.db.direct_reads", "alert_core.db.engine",
                                    "alert_operator.main", "alert_operator.ui.server"])
def test_the_operators_start_up_modules_import_no_sqlalchemy_and_no_jinja2(module: str) -> None:
    """What the operator imports before its first sync (the e2e test in
    tests/operator/test_startup_imports_e2e.py runs the whole process)."""
    loaded = _loaded_after(f"import {module}")
    assert module in loaded
    assert {name for name in loaded if name.split(".")[0] in ("sqlalchemy", "jinja2")} == set()
