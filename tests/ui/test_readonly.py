"""The web UI with its actions off (the default), served by the real status server on a real
database: no control on any page, no write route at all, the security headers on every
answer, and the alerts list paginated."""

from __future__ import annotations

import re
import uuid

import aiohttp
import pytest

from alert_core.settings import Settings
from alert_operator.state import OperatorState
from alert_operator.status import StatusServer
from alert_operator.ui.catalog import PAGE_SIZE
from alert_operator.ui.routes import CSP
from tests.operator.conftest import Database
from tests.ui.conftest import SCRIPT_NAME


@pytest.fixture
def alert_ids(database_url: str) -> list[uuid.UUID]:
    db = Database(database_url)
    ids = [db.add_alert(f"alert {n:03d}") for n in range(PAGE_SIZE + 5)]
    ids.append(db.add_alert(SCRIPT_NAME))
    return ids


async def test_read_only_pages_offer_no_action(
    database_url: str, alert_ids: list[uuid.UUID]
) -> None:
    settings = Settings(database_url=database_url, namespace="alerts")
    assert settings.ui_enabled and not settings.ui_actions_enabled  # the defaults
    server = StatusServer(settings, OperatorState(), None, host="127.0.0.1", port=0)
    await server.start()
    base = f"http://127.0.0.1:{server.port}/ui"
    try:
        async with aiohttp.ClientSession() as client:
            pages = ["/", "/alerts", f"/alerts/{alert_ids[0]}", "/timeline",
                     "/timeline?span=week", "/alerts?page=2&sort=next"]
            for page in pages:
                async with client.get(base + page) as response:
                    body = await response.text()
                    assert response.status == 200, page
                    assert response.headers["Content-Security-Policy"] == CSP
                    assert response.headers["X-Frame-Options"] == "DENY"
                    assert "<form method=\"post\"" not in body, page
                    assert "Sign in" not in body and "read-only" in body
                    assert "<script" not in body and database_url not in body
            async with client.get(base + "/alerts") as response:
                body = await response.text()
            assert len(re.findall(r'class="alert-row', body)) == PAGE_SIZE
            assert f"{len(alert_ids)} alerts, page 1 of 2" in body
            assert "&lt;script&gt;document.title" in body and SCRIPT_NAME not in body
            async with client.get(base + "/alerts?page=2") as response:
                assert len(re.findall(r'class="alert-row', await response.text())) == 6
            for path in (f"/alerts/{alert_ids[0]}/pause", f"/alerts/{alert_ids[0]}/run-now",
                         "/sync", "/login"):
                async with client.post(base + path, data={"csrf": "x"},
                                       allow_redirects=False) as response:
                    assert response.status in (404, 405), path
            async with client.get(base + "/alerts?state=bogus") as response:
                assert response.status == 400
                assert "state: must be one of" in await response.text()
            async with client.get(base + "/alerts/not-a-uuid") as response:
                assert response.status == 404
            async with client.get(f"http://127.0.0.1:{server.port}/ui",
                                  allow_redirects=False) as response:
                assert response.status == 302 and response.headers["Location"] == "/ui/"
    finally:
        await server.stop()


async def test_ui_can_be_switched_off(database_url: str) -> None:
    settings = Settings(database_url=database_url, namespace="alerts", ui_enabled=False)
    server = StatusServer(settings, OperatorState(), None, host="127.0.0.1", port=0)
    await server.start()
    try:
        async with aiohttp.ClientSession() as client:
            async with client.get(f"http://127.0.0.1:{server.port}/ui/") as response:
                assert response.status == 404
            async with client.get(f"http://127.0.0.1:{server.port}/status") as response:
                assert response.status == 200
    finally:
        await server.stop()
