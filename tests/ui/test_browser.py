"""The web UI in a real browser (headless Chromium) against the real operator: every page, the
search, an alert's details, the timeline's bars, hostile names as text, and the actions behind
the token. One operator and one browser for the module (tests/ui/conftest.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from alert_core.cronjob import cronjob_name
from alert_core.printable import visible
from alert_core.spread import spread_offset
from tests.operator.conftest import JOBS, Database, Emulator, OperatorProcess, wait_for
from tests.ui.conftest import (
    ATTRIBUTE_NAME,
    PILE_UP,
    SCRIPT_NAME,
    TERMINAL_HOSTILE,
    TOKEN,
    Fleet,
    console_errors,
    screenshot,
)

pytestmark = pytest.mark.usefixtures("ui_operator")


def _follow(browser: webdriver.Chrome, by: str, selector: str) -> None:
    """Click a link or a submit button and wait until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(by, selector).click()

    def replaced(_: object) -> bool:
        # Chromium reports a node of a page being left as stale, or (mid-navigation) as an
        # "unknown error: Node ... does not belong to the document": both mean it is gone.
        try:
            page.is_enabled()
        except WebDriverException:
            return True
        return False

    WebDriverWait(browser, 20).until(replaced)


def _text(browser: webdriver.Chrome, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def _no_secrets(browser: webdriver.Chrome, database_url: str) -> None:
    page = browser.page_source
    for secret in (database_url, database_url.rpartition("@")[2], "postgresql://", TOKEN):
        assert secret not in page


def _no_injection(browser: webdriver.Chrome) -> None:
    assert "owned" not in browser.title
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert console_errors(browser) == []  # a CSP violation would be reported here


def test_overview_counts_and_states(
    browser: webdriver.Chrome, base_url: str, ui_database: str
) -> None:
    browser.get(base_url + "/")
    counts = {name: _text(browser, f"count-{name}") for name in
              ("alerts", "active", "paused", "suspended", "invalid", "failing")}
    assert counts == {"alerts": "9", "active": "7", "paused": "0", "suspended": "1",
                      "invalid": "1", "failing": "1"}
    assert "running" in _text(browser, "health")
    assert _text(browser, "changefeed") == "listening"
    assert _text(browser, "mass-delete") == "not triggered"
    assert "UTC" in _text(browser, "last-sync")
    screenshot(browser, "overview")
    _no_secrets(browser, ui_database)
    _no_injection(browser)


def test_search_filter_sort_and_one_alert(
    browser: webdriver.Chrome, base_url: str, fleet: Fleet, ui_database: str
) -> None:
    browser.get(base_url + "/alerts")
    assert _text(browser, "summary") == "9 alerts"
    box = browser.find_element(By.ID, "q")
    box.send_keys("BERLIN")
    _follow(browser, By.ID, "search-button")
    assert _text(browser, "summary") == "1 alert"
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.alert-row")
    assert [row.get_attribute("data-id") for row in rows] == [str(fleet.berlin)]
    assert "failed" in rows[0].find_element(By.CSS_SELECTOR, "td.last").text
    # An id prefix finds the alert too; a state filter and the sort by next run.
    browser.get(base_url + f"/alerts?q={str(fleet.invalid)[:8]}")
    assert _text(browser, "summary") == "1 alert"
    browser.get(base_url + "/alerts")
    Select(browser.find_element(By.ID, "state")).select_by_value("active")
    Select(browser.find_element(By.ID, "sort")).select_by_value("next")
    _follow(browser, By.ID, "search-button")
    nexts = [row.get_attribute("data-next")
             for row in browser.find_elements(By.CSS_SELECTOR, "tr.alert-row")]
    assert len(nexts) == 7 and all(nexts)
    moments = [datetime.fromisoformat(str(value)) for value in nexts]
    assert moments == sorted(moments)
    screenshot(browser, "alerts")

    browser.get(base_url + "/alerts?q=berlin")
    _follow(browser, By.CSS_SELECTOR, "td.name a")
    assert _text(browser, "alert-name") == "berlin monthly"
    fire_rows = browser.find_elements(By.CSS_SELECTOR, "#fire-times tr")[1:]
    assert len(fire_rows) == 10
    marks = [row.find_element(By.CSS_SELECTOR, "td.dst-mark").text for row in fire_rows]
    assert any("UTC+01:00 → UTC+02:00" in mark for mark in marks), marks
    assert '"dayOfMonth"' in _text(browser, "frequency")
    history = _text(browser, "history")
    assert "failed" in history and f"HTTP 502 from the hook: {SCRIPT_NAME}" in history
    cronjob = _text(browser, "cronjob")
    assert "schedule: 0 9 28 * *" in cronjob and "timeZone: Europe/Berlin" in cronjob
    screenshot(browser, "alert")
    _no_secrets(browser, ui_database)
    _no_injection(browser)


def test_hostile_names_render_as_text(
    browser: webdriver.Chrome, base_url: str, fleet: Fleet
) -> None:
    browser.get(base_url + "/alerts")
    names = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "td.name")]
    assert SCRIPT_NAME in names and ATTRIBUTE_NAME in names
    shown = " ".join(visible(line) for line in TERMINAL_HOSTILE.split("\n"))
    assert shown in names
    _no_injection(browser)
    for alert_id, name in ((fleet.script, SCRIPT_NAME), (fleet.attribute, ATTRIBUTE_NAME)):
        browser.get(base_url + f"/alerts/{alert_id}")
        assert _text(browser, "alert-name") == name
        _no_injection(browser)
    browser.get(base_url + f"/alerts/{fleet.invalid}")
    assert "time" in _text(browser, "alert-problem")


def test_timeline_bars_mark_the_pile_up(
    browser: webdriver.Chrome, base_url: str, fleet: Fleet
) -> None:
    browser.get(base_url + "/timeline")
    bars = {bar.get_attribute("data-at")[11:]: bar  # type: ignore[index]
            for bar in browser.find_elements(By.CSS_SELECTOR, "rect.bar")}
    assert bars["09:00Z"].get_attribute("data-runs") == str(PILE_UP)
    assert "pileup" in str(bars["09:00Z"].get_attribute("class"))
    assert bars["13:30Z"].get_attribute("data-runs") == "2"  # two alerts: not over 2
    assert "pileup" not in str(bars["13:30Z"].get_attribute("class"))
    assert bars["17:45Z"].get_attribute("data-runs") == "1"
    assert _text(browser, "peak") == str(PILE_UP)
    assert _text(browser, "pileups") == "1"
    # The comparison: the same alerts with a 10-minute spread (each id's own offset).
    spread = Counter((9, spread_offset(alert_id, 0, 10)) for alert_id in fleet.pile)
    spread.update((13, 30 + spread_offset(alert_id, 30, 10))
                  for alert_id in (fleet.script, fleet.attribute))
    assert _text(browser, "compare-peak") == str(max(spread.values()))
    assert "ALERT_SCHEDULE_SPREAD_MINUTES=10" in _text(browser, "compare-label")
    screenshot(browser, "timeline")
    _no_injection(browser)
    _follow(browser, By.ID, "span-week")
    week = browser.find_elements(By.CSS_SELECTOR, "rect.bar.pileup")
    assert len(week) == 7  # 09:00 on each of the next seven days
    assert {bar.get_attribute("data-runs") for bar in week} == {str(PILE_UP)}


def _post(url: str, headers: dict[str, str], data: bytes = b"") -> int:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
            return None

    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _events(emulator: Emulator, reason: str) -> list[dict[str, Any]]:
    from tests.operator.conftest import EVENTS

    return [event for event in emulator.objects(EVENTS).values() if event.get("reason") == reason]


def test_actions_need_the_token_and_are_recorded(
    browser: webdriver.Chrome, base_url: str, fleet: Fleet, ui_emulator: Emulator,
    ui_operator: OperatorProcess, ui_database: str,
) -> None:
    target = fleet.pile[0]
    pause_url = base_url + f"/alerts/{target}/pause"
    # Refused without the token, with a wrong one, and from a page without a session.
    assert _post(pause_url, {}) == 401
    assert _post(pause_url, {"Authorization": "Bearer wrong"}) == 401
    browser.get(base_url + f"/alerts/{target}")
    assert browser.find_elements(By.ID, "pause") == []
    browser.get(base_url + "/login")
    browser.find_element(By.ID, "token").send_keys("wrong")
    _follow(browser, By.ID, "login-button")
    assert "not known" in _text(browser, "login-failed")

    browser.find_element(By.ID, "token").send_keys(TOKEN)
    _follow(browser, By.ID, "login-button")
    assert _text(browser, "signed-in") == "alice"
    cookie = browser.get_cookie("alert_ui_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # A session without its form's CSRF token is refused, and so is a post from another site.
    assert _post(pause_url, {"Cookie": f"alert_ui_session={cookie['value']}"}) == 403
    assert _post(pause_url, {"Authorization": f"Bearer {TOKEN}",
                             "Origin": "https://evil.example"}) == 403

    browser.get(base_url + f"/alerts/{target}")
    browser.find_element(By.ID, "pause-reason").send_keys("maintenance")
    _follow(browser, By.ID, "pause")
    assert _text(browser, "notice") == "paused"
    assert _text(browser, "alert-state").startswith("paused (by ui:alice: maintenance)")
    name = cronjob_name(target)
    wait_for(lambda: ui_emulator.cronjobs()[name]["spec"].get("suspend") is True,
             what="the CronJob suspended")
    [paused] = _events(ui_emulator, "Paused")
    assert "token alice" in paused["message"] and paused["involvedObject"]["name"] == name
    browser.refresh()
    assert "Paused" in _text(browser, "events")
    screenshot(browser, "alert-paused")

    _follow(browser, By.ID, "resume")
    assert _text(browser, "alert-state") == "active"
    wait_for(lambda: not ui_emulator.cronjobs()[name]["spec"].get("suspend"),
             what="the CronJob resumed")

    _follow(browser, By.ID, "run-now")
    assert _text(browser, "notice").startswith(f"started Job {name}-manual-")
    jobs = [job for job in ui_emulator.objects(JOBS) if job.startswith(f"{name}-manual-")]
    assert len(jobs) == 1

    syncs = ui_operator.state.full_syncs
    browser.get(base_url + "/")
    _follow(browser, By.ID, "sync")
    assert _text(browser, "notice") == "full sync requested"
    wait_for(lambda: ui_operator.state.full_syncs > syncs, what="the requested sync")
    audit = _text(browser, "audit")
    for what in ("paused alert", "resumed alert", "started a manual run", "asked for a full sync"):
        assert what in audit
    assert audit.count("alice") == 4
    assert len(_events(ui_emulator, "SyncRequested")) == 1

    # Retry the failed run in place (alert_core.db.retry, as alertctl retry does).
    browser.get(base_url + f"/alerts/{fleet.berlin}")
    button = browser.find_element(By.CSS_SELECTOR, "button.retry")
    run_id = str(button.get_attribute("data-run"))
    _follow(browser, By.CSS_SELECTOR, "button.retry")
    notice = _text(browser, "notice")
    assert notice.startswith("retrying the run as Job ")
    retry_job = ui_emulator.objects(JOBS)[notice.rsplit(" ", 1)[1]]
    [runner] = retry_job["spec"]["template"]["spec"]["containers"]
    assert runner["args"][-2:] == ["--retry-of", f"{cronjob_name(fleet.berlin)}-29000000"]
    assert len(_events(ui_emulator, "RetryRequested")) == 1
    # A second retry while the first is pending is refused, and says why.
    assert _post(base_url + f"/runs/{run_id}/retry", {"Authorization": f"Bearer {TOKEN}"}) == 409

    # A script: the bearer token, no cookie, no CSRF token.
    assert _post(base_url + f"/alerts/{target}/pause", {"Authorization": f"Bearer {TOKEN}"}) == 303
    assert Database(ui_database).execute(
        "SELECT paused_by FROM alert_operator.alert_pauses WHERE alert_id = $1", target
    )[0]["paused_by"] == "ui:alice"
    _no_secrets(browser, ui_database)
    _no_injection(browser)
