"""alert_operator.login without a server: what the kubernetes client's loading yields as kopf's
ConnectionInfo, kubectl's file rules, and messages that never carry a token."""

from __future__ import annotations

from pathlib import Path

import pytest

from alert_operator.login import InClusterFiles, KubeLogin, LoginFailure, one_line
from tests.apiserver.auth import write_kubeconfig


def test_proxy_insecure_and_basic_auth(tmp_path: Path) -> None:
    config = write_kubeconfig(
        tmp_path / "config",
        {"c": {"server": "https://10.0.0.1:6443", "insecure-skip-tls-verify": True,
               "proxy-url": "http://proxy.example:3128"}},
        {"u": {"username": "ann", "password": "pw"}}, {"c": ("c", "u")}, "c")
    info = KubeLogin(str(config)).login()
    assert info.server == "https://10.0.0.1:6443"
    assert info.insecure is True and info.proxy_url == "http://proxy.example:3128"
    assert info.as_http_headers() == {"Authorization": "Basic YW5uOnB3"}
    assert info.expiration is None


def test_kubeconfig_paths_are_merged_first_wins(tmp_path: Path) -> None:
    first = write_kubeconfig(tmp_path / "a", {"c": {"server": "http://first:1"}},
                             {"u": {"token": "one"}}, {"c": ("c", "u")}, "c")
    second = write_kubeconfig(tmp_path / "b", {"c": {"server": "http://second:2"},
                                               "d": {"server": "http://other:3"}},
                              {"u": {"token": "two"}}, {"c": ("c", "u"), "d": ("d", "u")}, "d")
    login = KubeLogin(environ={"KUBECONFIG": f"{first}:{tmp_path / 'absent'}:{second}"})
    assert login.login().server == "http://other:3"  # current-context: the last file's
    assert KubeLogin(f"{first}:{second}", "c").login().server == "http://first:1"
    assert KubeLogin(f"{first}:{second}", "c").login().token == "one"


def test_unknown_context_names_the_known_ones(tmp_path: Path) -> None:
    config = write_kubeconfig(tmp_path / "config", {"c": {"server": "http://x:1"}},
                              {"u": {"token": "secret-token"}}, {"c": ("c", "u")}, "c")
    login = KubeLogin(str(config), "prod")
    assert login.context_problem() == (f"kubeconfig {config}: context 'prod' does not exist "
                                       "(contexts: c)")
    with pytest.raises(LoginFailure, match="context 'prod' does not exist"):
        login.login()
    assert KubeLogin(str(config), "c").context_problem() is None


def test_in_cluster_and_nothing(tmp_path: Path) -> None:
    token, ca = tmp_path / "token", tmp_path / "ca.crt"
    token.write_text("sa-token\n")
    ca.write_text("not checked until a request")
    environ = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443",
               "KUBECONFIG": str(tmp_path / "absent")}
    login = KubeLogin(environ=environ, in_cluster=InClusterFiles(str(token), str(ca)))
    info = login.login()
    assert info.server == "https://[fd00::1]:443" and info.token == "sa-token"
    assert info.ca_path == str(ca) and info.expiration is not None
    token.unlink()
    with pytest.raises(LoginFailure, match="in-cluster service account: Service token file"):
        login.login()
    nothing = KubeLogin(environ={"KUBECONFIG": str(tmp_path / "absent")})
    assert not nothing.configured()
    with pytest.raises(LoginFailure, match="no cluster: not in a pod"):
        nothing.login()


def test_messages_lose_tokens_and_control_characters() -> None:
    assert one_line("401: Authorization: Bearer abc.def\n\x1b[31mred") == (
        "401: Authorization: Bearer <redacted> [31mred")
    assert len(one_line("x" * 1000)) == 300
