"""alertctl logs in as kubectl does (the kubernetes client's configuration loading): an exec
plugin whose short-lived token the server rotates, --kubeconfig/--context, and one-line errors
for a wrong token, a missing or failing plugin, an unknown context."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from alert_core.cronjob import cronjob_name
from tests.apiserver.auth import (
    AuthFront,
    TokenAuthority,
    exec_user,
    plugin_runs,
    write_kubeconfig,
)
from tests.ctl.conftest import NAMESPACE, Database, Emulator, Result, wait_for

LIFETIME = 1.0


@pytest.fixture
def rotating(emulator: Emulator, tmp_path: Path) -> Iterator[AuthFront]:
    """The emulator behind a front that accepts only the current token, rotated every second."""
    front = AuthFront(emulator.url, TokenAuthority(tmp_path, lifetime=LIFETIME)).start()
    yield front
    front.stop()


def test_exec_plugin_credentials_rotate(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    rotating: AuthFront, tmp_path: Path,
) -> None:
    assert rotating.authority is not None
    runs = tmp_path / "runs"
    config = write_kubeconfig(
        tmp_path / "config", {"front": {"server": rotating.url}},
        {"plugin": exec_user(rotating.authority, runs)}, {"front": ("front", "plugin")}, "front")
    alert = db.add_alert("rotated")
    common = ("-n", NAMESPACE, "--database-url", database_url, "--kubeconfig", str(config))
    seen_tokens = set()
    for _ in range(3):
        seen_tokens.add(rotating.authority.token)
        synced = alertctl("sync", "-o", "json", *common)
        assert synced.exit_code == 0, synced.stderr
        status = alertctl("status", "-o", "json", *common)
        assert status.exit_code == 0, status.stderr
        assert status.json()["cluster"] == {"reachable": True, "error": None}
        started = alertctl("run-now", str(alert), *common)
        assert started.exit_code == 0, started.stderr
        rotations = rotating.authority.rotations
        wait_for(lambda r=rotations: rotating.authority.rotations > r, timeout=5)  # type: ignore[union-attr]
    assert len(seen_tokens) == 3
    assert cronjob_name(alert) in emulator.cronjobs()
    assert plugin_runs(runs) >= 9  # a new login per command at least
    assert rotating.rejected == []  # no request went out with an expired token


def test_token_rotated_during_a_command_is_fetched_again(
    db: Database, database_url: str, emulator: Emulator, tmp_path: Path,
) -> None:
    """The client's own refresh: a 401 re-runs the plugin and sends the request once more."""
    import asyncio

    from alert_ctl.cluster import connect
    from alert_operator.login import KubeLogin

    authority = TokenAuthority(tmp_path, lifetime=None)
    front = AuthFront(emulator.url, authority).start()
    runs = tmp_path / "runs"
    config = write_kubeconfig(tmp_path / "config", {"front": {"server": front.url}},
                              {"plugin": exec_user(authority, runs)},
                              {"front": ("front", "plugin")}, "front")

    async def three_lists() -> None:
        async with connect(KubeLogin(str(config))) as api:
            for _ in range(3):
                await api.list_managed_cronjobs(NAMESPACE)
                authority.rotate()

    try:
        asyncio.run(three_lists())
    finally:
        front.stop()
    assert plugin_runs(runs) == 3  # the first login, then one per rotation (401 -> again)
    assert len(front.rejected) == 2 and len(front.accepted) == 3


def test_expired_exec_credential_is_renewed_before_sending(
    emulator: Emulator, tmp_path: Path,
) -> None:
    import asyncio

    from alert_ctl.cluster import connect
    from alert_operator.login import KubeLogin

    authority = TokenAuthority(tmp_path, lifetime=0.5)
    front = AuthFront(emulator.url, authority).start()
    runs = tmp_path / "runs"
    config = write_kubeconfig(tmp_path / "config", {"front": {"server": front.url}},
                              {"plugin": exec_user(authority, runs)},
                              {"front": ("front", "plugin")}, "front")

    async def lists() -> None:
        async with connect(KubeLogin(str(config))) as api:
            for _ in range(3):
                await api.list_managed_cronjobs(NAMESPACE)
                await asyncio.sleep(0.7)

    try:
        asyncio.run(lists())
    finally:
        front.stop()
    assert plugin_runs(runs) >= 3
    assert len(front.accepted) == 3


def test_context_selects_between_two_contexts(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    tmp_path: Path,
) -> None:
    authority = TokenAuthority(tmp_path, token="good-token")
    front = AuthFront(emulator.url, authority).start()
    try:
        config = write_kubeconfig(
            tmp_path / "config", {"front": {"server": front.url}},
            {"good": {"token": "good-token"}, "bad": {"token": "stolen-token"}},
            {"works": ("front", "good"), "refused": ("front", "bad")}, "refused")
        db.add_alert("one")
        common = ("-n", NAMESPACE, "--database-url", database_url)
        env = {"KUBECONFIG": f"{tmp_path / 'absent'}:{config}"}  # ':'-joined, as kubectl's
        refused = alertctl("sync", *common, env=env)
        assert refused.exit_code == 1
        assert "401" in refused.stderr and "stolen-token" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        works = alertctl("sync", *common, "--context", "works", env=env)
        assert works.exit_code == 0, works.stderr
        assert len(emulator.cronjobs()) == 1
        unknown = alertctl("sync", *common, "--context", "nope", env=env)
        assert unknown.exit_code == 1
        assert "context 'nope' does not exist" in unknown.stderr
        assert "works" in unknown.stderr
    finally:
        front.stop()


@pytest.mark.parametrize(("env", "expected"), [
    ({"PLUGIN_FAIL_WHILE": "/"}, "exec plugin failed: exec: process returned 3"),
    ({}, "exec plugin failed"),
])
def test_missing_or_failing_plugin_is_one_line(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    tmp_path: Path, env: dict[str, str], expected: str,
) -> None:
    authority = TokenAuthority(tmp_path)
    user = exec_user(authority, tmp_path / "runs", **env)
    if not env:
        user["exec"]["command"] = str(tmp_path / "no-such-plugin")
    config = write_kubeconfig(tmp_path / "config", {"c": {"server": emulator.url}},
                              {"u": user}, {"c": ("c", "u")}, "c")
    db.add_alert("one")
    result = alertctl("sync", "-n", NAMESPACE, "--database-url", database_url,
                      "--kubeconfig", str(config))
    assert result.exit_code == 1
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert authority.token not in result.stderr
    assert emulator.cronjobs() == {}


def test_no_cluster_reachable_is_one_line(
    alertctl: Callable[..., Result], db: Database, database_url: str, tmp_path: Path,
) -> None:
    config = write_kubeconfig(tmp_path / "config", {"c": {"server": "http://127.0.0.1:9"}},
                              {"u": {"token": "t0ken"}}, {"c": ("c", "u")}, "c")
    result = alertctl("sync", "-n", NAMESPACE, "--database-url", database_url,
                      "--kubeconfig", str(config))
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "t0ken" not in result.stderr
    assert "127.0.0.1:9" in result.stderr or "unreachable" in result.stderr


def test_wrong_token_file_is_refused_in_one_line(
    alertctl: Callable[..., Result], db: Database, database_url: str, emulator: Emulator,
    tmp_path: Path,
) -> None:
    authority = TokenAuthority(tmp_path, token="right")
    front = AuthFront(emulator.url, authority).start()
    token_file = tmp_path / "token"
    token_file.write_text("wrong")
    try:
        config = write_kubeconfig(tmp_path / "config", {"c": {"server": front.url}},
                                  {"u": {"tokenFile": str(token_file)}}, {"c": ("c", "u")}, "c")
        common = ("-n", NAMESPACE, "--database-url", database_url, "--kubeconfig", str(config))
        db.add_alert("one")
        result = alertctl("run-now", str(db.add_alert("two")), *common)
        assert result.exit_code == 1 and "401" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        token_file.write_text("right")  # a tokenFile is read again at each login
        assert alertctl("sync", *common).exit_code == 0
        assert time.monotonic() > 0
    finally:
        front.stop()
