"""Usage errors, help texts, --version and shell completion of the three programs, and
alertctl as the kubectl plugin `kubectl alerts`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from alert_core.version import installed_version
from alert_ctl.cli import KUBECTL_PLUGIN, app
from tests.ctl.conftest import Result

Alertctl = Callable[..., Result]
BIN = Path(sys.executable).parent


def _run(program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / program), *args], capture_output=True, text=True,
                          check=False, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    (["status", "--bogus"], "error: No such option: --bogus (see 'alertctl status --help')"),
    (["history"], "error: Missing argument 'ALERT_ID' (or --failed, with --since/--client, for"
     " the failed runs of all alerts). (see 'alertctl history --help')"),
    (["nothing"], "error: No such command 'nothing'. (see 'alertctl --help')"),
    (["status", "-o", "xml"], "error: Invalid value for '--output' / '-o': 'xml' is not one of"
     " 'table', 'wide', 'json', 'yaml', 'name'. (see 'alertctl status --help')"),
    (["history", "a", "b"],
     "error: Got unexpected extra argument(s) (b) (see 'alertctl history --help')"),
])
def test_usage_errors_are_one_line_with_a_help_hint(
    alertctl: Alertctl, args: list[str], message: str
) -> None:
    result = alertctl(*args)
    assert (result.exit_code, result.stderr, result.stdout) == (2, message + "\n", "")


def test_usage_error_of_the_installed_programs_in_a_pipe() -> None:
    for program, error in (("kubectl-alerts", "error: No such option: --bogus"),
                           ("alert-operator", "alert-operator: error: unrecognized arguments")):
        result = _run(program, *(["run"] if program == "alert-operator" else ["status"]),
                      "--bogus")
        assert result.returncode == 2, program
        assert result.stderr.count("\n") == 1 and result.stderr.startswith(error), result.stderr
        assert "--help" in result.stderr and "╭" not in result.stderr


def test_version_on_all_three_from_the_package_metadata() -> None:
    from importlib.metadata import version

    assert installed_version() == version("alert-operator")
    for program in ("alertctl", "alert-operator", "alert-runner"):
        result = _run(program, "--version")
        assert result.returncode == 0, (program, result.stderr)
        assert result.stdout == f"{program} {installed_version()}\n"


def _all_help(alertctl: Alertctl) -> dict[str, str]:
    group = typer.main.get_command(app)
    texts = {"": alertctl("--help").stdout}
    for command in group.commands:  # type: ignore[attr-defined]
        texts[command] = alertctl(command, "--help").stdout
    return texts


def test_help_texts_are_clean_and_show_every_environment_variable(alertctl: Alertctl) -> None:
    texts = _all_help(alertctl)
    for program in ("alert-operator", "alert-runner"):
        texts[program] = _run(program, "--help").stdout
    texts["alert-operator run"] = _run("alert-operator", "run", "--help").stdout
    for name, text in texts.items():
        assert "Usage" in text or "usage" in text, name
        assert "``" not in text and "[[" not in text and "]...]" not in text, name
    for option, variable in (("--database-url", "DATABASE_URL"), ("--namespace", "ALERT_NAMESPACE"),
                             ("--kubeconfig", "KUBECONFIG")):
        for name, text in texts.items():
            if f"{option} " in text:
                assert f"[env: {variable}" in " ".join(text.split()), (name, option)
    assert "[env: ALERT_RUNNER_IMAGE]" in texts["render"]
    operator = " ".join(texts["alert-operator run"].split())
    for variable in ("ALERT_DRY_RUN", "ALERT_RESYNC_INTERVAL_SECONDS", "ALERT_MAX_CONCURRENCY",
                     "ALERT_LIVENESS_PORT", "ALERT_STATUS_PORT", "ALERT_LOG_LEVEL"):
        assert f"[env: {variable}" in operator, variable
    assert "Usage: alertctl pause [OPTIONS] [ALERT_ID]..." in texts["pause"]
    assert "-o, --output <table|wide|json|yaml|name>" in texts["status"]


def test_shell_completion_is_installable(alertctl: Alertctl) -> None:
    top = alertctl("--help").stdout
    assert "--install-completion" in top and "--show-completion" in top
    script = _run("alertctl", "--show-completion", "bash")
    assert script.returncode == 0, script.stderr
    assert "_ALERTCTL_COMPLETE" in script.stdout and "complete " in script.stdout


def test_kubectl_plugin_reads_as_kubectl_alerts() -> None:
    def plugin(*args: str) -> Any:
        return CliRunner().invoke(app, list(args), prog_name=KUBECTL_PLUGIN)

    usage = plugin("status", "--help")
    assert usage.exit_code == 0
    assert usage.stdout.startswith("Usage: kubectl alerts status [OPTIONS]")
    top = plugin("--help").stdout
    assert re.search(r"^Usage: kubectl alerts \[OPTIONS\] COMMAND", top, re.MULTILINE)
    bad = plugin("status", "-o")
    assert bad.exit_code == 2 and bad.stderr == (
        "error: Option '-o' requires an argument. (see 'kubectl alerts status --help')\n")
    # The console script kubectl finds on the PATH (kubectl-alerts, as its plugin rule wants).
    assert (BIN / "kubectl-alerts").exists()
