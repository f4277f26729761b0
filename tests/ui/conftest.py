"""The web UI's browser harness: one real operator (kopf, the test API server, a throwaway
PostgreSQL database) and one headless Chromium for the whole module.

The browser is Debian's ``chromium`` driven through its ``chromedriver`` (scripts/setup.sh
installs both); it is started with the flags a closed network needs and a fresh profile.
Screenshots go to ``.artifacts/ui/`` (gitignored).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from alert_core.cronjob import cronjob_name
from alert_core.settings import Settings
from tests.conftest import MIGRATED_TEMPLATE, _fresh_database
from tests.operator.conftest import (
    NAMESPACE,
    Database,
    Emulator,
    OperatorProcess,
    free_port,
    started_emulator,
    write_kubeconfig,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".artifacts" / "ui"
CHROME_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,1000",
)
TOKEN = "s3cret-token-of-alice"
# The hostile names of the suite (tests/ctl/test_escapes.py) and HTML that must stay text.
TERMINAL_HOSTILE = "evil\x1b]0;owned\x07\x1b[2J\rX\u202eY\x9b31m\x7fZ\ttab\nline"
SCRIPT_NAME = "<script>document.title='owned'</script>"
ATTRIBUTE_NAME = "\"><img src=x onerror=\"document.title='owned'\">"
PILE_UP = 3  # alerts at 09:00 UTC, over the test threshold of 2 runs a minute


class Fleet:
    """The known alerts the pages are checked against."""

    def __init__(self, db: Database) -> None:
        daily = {"type": "daily", "time": "09:00", "timezone": "UTC"}
        self.pile = [db.add_alert(f"morning report {n}", daily) for n in range(PILE_UP)]
        # Monthly on the 28th at 09:00 Berlin: the next ten runs cross the March DST change.
        self.berlin = db.add_alert("berlin monthly", {
            "type": "monthly", "time": "09:00", "dayOfMonth": [28], "timezone": "Europe/Berlin"})
        self.script = db.add_alert(SCRIPT_NAME, {"type": "daily", "time": "13:30",
                                                 "timezone": "UTC"})
        self.attribute = db.add_alert(ATTRIBUTE_NAME, {"type": "daily", "time": "13:30",
                                                       "timezone": "UTC"})
        self.terminal = db.add_alert(TERMINAL_HOSTILE, {"type": "daily", "time": "17:45",
                                                        "timezone": "UTC"})
        self.invalid = db.add_alert("broken schedule", {"type": "daily", "time": "25:00"})
        self.inactive = db.add_alert("switched off", daily, active=False)
        self.failed_at = datetime.now(UTC) - timedelta(hours=1)
        db.execute(
            "INSERT INTO alert_operator.alert_runs (alert_id, job_name, trigger, scheduled_for,"
            " status, attempts, started_at, finished_at, error)"
            " VALUES ($1,$2,'schedule',$3,'failed',3,$3,$4,$5)",
            self.berlin, f"{cronjob_name(self.berlin)}-29000000", self.failed_at,
            self.failed_at + timedelta(seconds=4), f"HTTP 502 from the hook: {SCRIPT_NAME}",
        )

    @property
    def valid(self) -> list[uuid.UUID]:
        return [*self.pile, self.berlin, self.script, self.attribute, self.terminal,
                self.inactive]


@pytest.fixture(scope="module")
def ui_database(pg_server_url: str) -> Iterator[str]:
    yield from _fresh_database(pg_server_url, MIGRATED_TEMPLATE)


@pytest.fixture(scope="module")
def ui_emulator() -> Iterator[Emulator]:
    with started_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def fleet(ui_database: str) -> Fleet:
    return Fleet(Database(ui_database))


@pytest.fixture(scope="module")
def tokens_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="alert-ui-tokens-"))
    (folder / "alice").write_text(TOKEN + "\n")
    (folder / "..data").mkdir()  # what a mounted Secret holds besides its keys
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def ui_operator(
    ui_emulator: Emulator, ui_database: str, fleet: Fleet, tokens_dir: Path
) -> Iterator[OperatorProcess]:
    """The real operator with the UI's actions on (read-only mode: tests/ui/test_readonly.py)."""
    kubeconfig = write_kubeconfig(
        Path(tempfile.mkdtemp(prefix="alert-ui-kube-")) / "kubeconfig.json", ui_emulator)
    settings = Settings(
        database_url=ui_database, namespace=NAMESPACE, resync_interval_seconds=60,
        liveness_port=free_port(), status_port=free_port(), log_format="text",
        ui_actions_enabled=True, ui_tokens_dir=str(tokens_dir), ui_prompt_starts_per_minute=2,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(kubeconfig))
        operator = OperatorProcess(settings).start()
        try:
            operator.wait_synced()
            yield operator
        finally:
            operator.stop()
    shutil.rmtree(kubeconfig.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def base_url(ui_operator: OperatorProcess) -> str:
    return f"http://127.0.0.1:{ui_operator.settings.status_port}/ui"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="alert-ui-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports land there
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(browser: webdriver.Chrome, name: str) -> Path:
    """Save the page as a test artifact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def console_errors(browser: webdriver.Chrome) -> list[dict[str, Any]]:
    """The console's errors since the last call (a refused sign-in's 401 is no error here)."""
    return [entry for entry in browser.get_log("browser")
            if entry.get("level") == "SEVERE" and entry.get("source") != "network"]
