"""The real operator logs in through the kubernetes client's configuration loading: an exec
plugin whose token the server rotates every ~1.5 s, an in-cluster service account whose token
file is replaced, a client certificate; a failing login is reported and retried, not fatal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alert_core.cronjob import cronjob_name
from alert_operator.login import InClusterFiles, KubeLogin
from tests.apiserver.auth import (
    AuthFront,
    TokenAuthority,
    exec_user,
    plugin_runs,
    write_kubeconfig,
)
from tests.apiserver.certs import Pki, make_pki
from tests.operator.conftest import Database, Emulator, wait_for

LIFETIME = 1.5


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path)


@pytest.fixture
def fronts() -> Iterator[list[AuthFront]]:
    started: list[AuthFront] = []
    yield started
    for front in started:
        front.stop()


def test_exec_plugin_across_several_expiries(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path,
    fronts: list[AuthFront],
) -> None:
    authority = TokenAuthority(tmp_path, lifetime=LIFETIME)
    front = AuthFront(emulator.url, authority).start()
    fronts.append(front)
    runs = tmp_path / "runs"
    config = write_kubeconfig(tmp_path / "config", {"front": {"server": front.url}},
                              {"plugin": exec_user(authority, runs)},
                              {"front": ("front", "plugin")}, "front")
    operator = operator_factory(kube_login=KubeLogin(str(config)))
    operator.wait_synced()
    for round_ in range(3):  # a new alert after each rotation: created with the new token
        rotations = authority.rotations
        wait_for(lambda r=rotations: authority.rotations > r, timeout=5)
        alert = db.add_alert(f"alert-{round_}")
        wait_for(lambda a=alert: cronjob_name(a) in emulator.cronjobs(), timeout=10)
    # A hand-deleted CronJob comes back through the operator's watch, itself logged in again.
    assert emulator.delete_cronjob(cronjob_name(alert)) == 200
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), timeout=10)
    assert authority.rotations >= 3
    assert plugin_runs(runs) >= 4  # the first login, then again after expiries and 401s
    assert len(emulator.cronjobs()) == 3
    operator.stop()


def test_in_cluster_token_file_replaced_while_running(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path, pki: Pki,
    fronts: list[AuthFront], monkeypatch: pytest.MonkeyPatch,
) -> None:
    authority = TokenAuthority(tmp_path, token="first-token")
    front = AuthFront(emulator.url, authority, server_ssl=pki.server_context()).start()
    fronts.append(front)
    token = tmp_path / "token"
    token.write_text("first-token")
    environ = {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": front.url.rsplit(":", 1)[1]}
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    kube_login = KubeLogin(environ=environ, in_cluster=InClusterFiles(str(token), str(pki.ca)))
    assert kube_login.describe().startswith("service account")
    operator = operator_factory(kube_login=kube_login)
    operator.wait_synced()
    first = db.add_alert("first")
    wait_for(lambda: cronjob_name(first) in emulator.cronjobs(), timeout=10)

    replaced = tmp_path / "token.new"  # as the kubelet does: a new file swapped in
    replaced.write_text("second-token")
    replaced.replace(token)
    authority.set("second-token")
    rejected = len(front.rejected)
    second = db.add_alert("second")
    wait_for(lambda: cronjob_name(second) in emulator.cronjobs(), timeout=10)
    assert len(front.rejected) >= rejected + 1  # the old token was refused, then re-read
    operator.stop()


def test_client_certificate(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path, pki: Pki,
    fronts: list[AuthFront],
) -> None:
    front = AuthFront(emulator.url, None, server_ssl=pki.server_context()).start()
    fronts.append(front)
    config = write_kubeconfig(
        tmp_path / "config", {"tls": {"server": front.url, "certificate-authority": str(pki.ca)}},
        {"alice": {"client-certificate": str(pki.client_cert),
                   "client-key": str(pki.client_key)}},
        {"tls": ("tls", "alice")}, "tls")
    alert = db.add_alert("cert")
    operator = operator_factory(kube_login=KubeLogin(str(config)))
    operator.wait_synced()
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), timeout=10)
    assert front.rejected == [] and front.accepted
    operator.stop()


def test_failing_plugin_is_reported_and_retried(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path,
    fronts: list[AuthFront], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="alert_operator")  # alertctl sync's tests silence it
    authority = TokenAuthority(tmp_path)
    front = AuthFront(emulator.url, authority).start()
    fronts.append(front)
    flag = tmp_path / "plugin-fails"  # until the person logs in again
    user = exec_user(authority, tmp_path / "runs", PLUGIN_FAIL_WHILE=str(flag))
    flag.write_text("")
    config = write_kubeconfig(tmp_path / "config", {"front": {"server": front.url}},
                              {"plugin": user}, {"front": ("front", "plugin")}, "front")
    alert = db.add_alert("later")
    operator = operator_factory(kube_login=KubeLogin(str(config)))
    wait_for(lambda: "exec plugin failed" in caplog.text, timeout=10)
    assert "Traceback" not in caplog.text
    assert operator._thread.is_alive()
    flag.unlink()
    operator.wait_synced(timeout=30)
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), timeout=10)
    operator.stop()


def _token_file_login(
    tmp_path: Path, emulator: Emulator, fronts: list[AuthFront], *, server_token: str,
    file_token: str,
) -> tuple[AuthFront, Path, Path]:
    """A front that accepts ``server_token`` (its ``authority`` can change that), and a
    kubeconfig whose user reads its token from a file holding ``file_token``: the front, the
    token file, the kubeconfig."""
    authority = TokenAuthority(tmp_path, token=server_token)
    front = AuthFront(emulator.url, authority).start()
    fronts.append(front)
    token = tmp_path / "token"
    token.write_text(file_token)
    config = write_kubeconfig(tmp_path / "config", {"front": {"server": front.url}},
                              {"u": {"tokenFile": str(token)}}, {"front": ("front", "u")}, "front")
    return front, token, config


def test_wrong_token_is_reported_and_retried(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path,
    fronts: list[AuthFront], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="alert_operator")  # alertctl sync's tests silence it
    _, token, config = _token_file_login(
        tmp_path, emulator, fronts, server_token="right-token", file_token="wrong-token")
    alert = db.add_alert("later")
    operator = operator_factory(kube_login=KubeLogin(str(config)))
    wait_for(lambda: "HTTP 401 Unauthorized" in caplog.text, timeout=10)
    assert "Traceback" not in caplog.text and "wrong-token" not in caplog.text
    assert operator._thread.is_alive() and operator.state.full_syncs == 0
    token.write_text("right-token")  # the next try reads the token file again
    wait_for(lambda: cronjob_name(alert) in emulator.cronjobs(), timeout=15)
    operator.stop()


def test_credentials_revoked_while_running_refused_then_resumed(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path,
    fronts: list[AuthFront], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="alert_operator")  # alertctl sync's tests silence it
    front, token, config = _token_file_login(
        tmp_path, emulator, fronts, server_token="old-token", file_token="old-token")
    operator = operator_factory(kube_login=KubeLogin(str(config)))
    operator.wait_synced()
    front.authority.set("new-token")  # revoked; the token file still has the old one
    refused = db.add_alert("refused")
    # Refused twice (the request, then again after reading the token file anew): not fatal.
    wait_for(lambda: front.rejected.count(emulator.cronjob_path(cronjob_name(refused))) == 2,
             timeout=10)
    assert operator._thread.is_alive() and "old-token" not in caplog.text
    token.write_text("new-token")
    later = db.add_alert("later")
    wait_for(lambda: cronjob_name(later) in emulator.cronjobs(), timeout=10)
    assert "Traceback" not in caplog.text
    operator.stop()


def test_the_cronjob_watch_refused_logs_in_again_and_resumes(
    emulator: Emulator, db: Database, operator_factory: Any, tmp_path: Path,
    fronts: list[AuthFront], caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="alert_operator")
    front, token, config = _token_file_login(
        tmp_path, emulator, fronts, server_token="old-token", file_token="old-token")
    alert = db.add_alert("a")
    operator = operator_factory(kube_login=KubeLogin(str(config)), resync_interval_seconds=3600)
    operator.wait_synced()
    wait_for(emulator.watching, what="the watch")
    front.authority.set("new-token")  # rotated: the file too, as the kubelet replaces it
    token.write_text("new-token")
    emulator.close_watches()  # the reconnect carries the old token: 401, then a new login
    wait_for(lambda: emulator.cronjob_path() in front.rejected, timeout=10)
    name = cronjob_name(alert)
    assert emulator.delete_cronjob(name) == 200
    wait_for(lambda: name in emulator.cronjobs(), timeout=10, what="recreated by the watch")
    assert operator.state.full_syncs == 1 and "old-token" not in caplog.text
    assert "Traceback" not in caplog.text
    operator.stop()
