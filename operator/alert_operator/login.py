"""Cluster credentials as the ``kubernetes`` client's configuration loading finds them.

kubectl's rules: ``--kubeconfig``, else ``KUBECONFIG`` (several paths joined by ``:``), else
``~/.kube/config``; with none of them, the pod's service account (in-cluster). ``--context``
picks a context of the kubeconfig. The ``kubernetes`` package does the parsing and the
authentication (token, tokenFile, client certificates, exec plugins with their ExecCredential
expiry, auth-provider, proxy-url, insecure-skip-tls-verify); we turn its result into kopf's
:class:`kopf.ConnectionInfo`, which kopf and our aiohttp client (alert_operator.kube) both use.

Every :meth:`KubeLogin.login` loads afresh: the exec plugin runs again, a token file is read
again (kubelets rotate service-account tokens). Callers log in again when the credentials'
``expiration`` has passed or the server answered 401.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kopf
from kubernetes.client import Configuration
from kubernetes.config import ConfigException
from kubernetes.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_HOST_ENV_NAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)
from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

DEFAULT_KUBECONFIG = "~/.kube/config"
# The kubernetes client re-reads a service-account token file once a minute; so do we.
SERVICE_TOKEN_RECHECK = datetime.timedelta(minutes=1)
MESSAGE_LIMIT = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_BEARER = re.compile(r"(?i)(bearer|basic)\s+\S+")


class LoginFailure(Exception):  # noqa: N818  (a failure to report, not a bug)
    """Credentials cannot be had; the message is one line, names the cause, never a secret."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def one_line(text: str) -> str:
    """No control characters, no Authorization values, at most MESSAGE_LIMIT characters."""
    text = _BEARER.sub(r"\1 <redacted>", _CONTROL.sub(" ", text)).strip()
    return text[:MESSAGE_LIMIT]


@dataclass(frozen=True)
class InClusterFiles:
    """Where the pod's service-account token and the cluster's CA are (tests point elsewhere)."""

    token: str = SERVICE_TOKEN_FILENAME
    ca: str = SERVICE_CERT_FILENAME


class KubeLogin:
    """One way to log in (a kubeconfig context, or the pod's service account), re-usable."""

    def __init__(
        self,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        in_cluster: InClusterFiles | None = None,
    ) -> None:
        self.environ = os.environ if environ is None else environ
        self.context = context or None
        self.paths = kubeconfig or self.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
        self.in_cluster = in_cluster or InClusterFiles()

    def existing_kubeconfigs(self) -> list[str]:
        return [path for path in self.paths.split(os.pathsep)
                if path and Path(path).expanduser().is_file()]

    def configured(self) -> bool:
        """Is there anything to log in with at all (a kubeconfig, or a pod's service account)?"""
        return bool(self.existing_kubeconfigs()) or self._in_pod()

    def _in_pod(self) -> bool:
        return bool(self.environ.get(SERVICE_HOST_ENV_NAME)) and self.context is None

    def describe(self) -> str:
        """Where the credentials come from, for log lines (no secrets)."""
        if self.existing_kubeconfigs() or not self._in_pod():
            context = self.context or "its current context"
            return f"kubeconfig {self.paths} ({context})"
        return f"service account (token {self.in_cluster.token})"

    def context_problem(self) -> str | None:
        """``--context`` names no context of the kubeconfig(s): a mistake no retry can mend."""
        if self.context is None or not self.existing_kubeconfigs():
            return None
        try:
            merged = KubeConfigMerger(self.paths).config
        except (ConfigException, OSError, ValueError):
            return None  # login() reports it
        return None if merged is None else self._unknown_context(merged.value)

    def _unknown_context(self, merged: Any) -> str | None:
        """``merged``: the client's merged kubeconfig (its contexts are dicts or ConfigNodes)."""
        contexts = [str(item["name"]) for item in merged.get("contexts") or []]
        if self.context is None or self.context in contexts:
            return None
        return one_line(f"kubeconfig {self.paths}: context {self.context!r} does not exist "
                        f"(contexts: {', '.join(contexts) or 'none'})")

    def login(self) -> kopf.ConnectionInfo:
        """Load the credentials afresh; :class:`LoginFailure` says why there are none."""
        configuration = Configuration()
        if self.existing_kubeconfigs():
            expiry = self._load_kubeconfig(configuration)
        elif self._in_pod():
            expiry = self._load_in_cluster(configuration)
        else:
            where = f"--context {self.context}: " if self.context else ""
            raise LoginFailure(f"{where}no cluster: not in a pod (no KUBERNETES_SERVICE_HOST) "
                               f"and no kubeconfig at {self.paths}")
        return connection_info(configuration, expiry)

    def _load_kubeconfig(self, configuration: Configuration) -> datetime.datetime | None:
        try:
            merged = KubeConfigMerger(self.paths).config
            if merged is None:
                raise ConfigException("no configuration found")
            unknown = self._unknown_context(merged.value)
            if unknown:
                raise LoginFailure(unknown)
            loader = KubeConfigLoader(config_dict=merged, active_context=self.context,
                                      config_base_path=None)
            with _exec_plugin_errors() as errors:
                loader.load_and_set(configuration)
        except LoginFailure:
            raise
        except (ConfigException, OSError, KeyError, TypeError, ValueError) as error:
            raise LoginFailure(f"kubeconfig {self.paths}: {_reason(error)}") from None
        if errors:  # the client logs an exec plugin's failure and goes on without a token
            raise LoginFailure(f"kubeconfig {self.paths}: exec plugin failed: {errors[0]}")
        expiry = getattr(loader, "expiry", None)
        return expiry if isinstance(expiry, datetime.datetime) else None

    def _load_in_cluster(self, configuration: Configuration) -> datetime.datetime:
        loader = InClusterConfigLoader(token_filename=self.in_cluster.token,
                                       cert_filename=self.in_cluster.ca,
                                       environ=self.environ)
        try:
            loader.load_and_set(configuration)
        except (ConfigException, OSError) as error:
            raise LoginFailure(f"in-cluster service account: {_reason(error)}") from None
        return datetime.datetime.now(datetime.UTC) + SERVICE_TOKEN_RECHECK


def connection_info(
    configuration: Configuration, expiry: datetime.datetime | None
) -> kopf.ConnectionInfo:
    """kopf's connection from the client's loaded configuration (as kopf.login_via_client
    does, plus the proxy and the credentials' expiry, which it leaves out)."""
    # Read as loaded: get_api_key_with_prefix() would call the refresh hook, which re-runs an
    # exec plugin whenever its credential expires within 5 minutes.
    header = str(configuration.api_key.get("BearerToken") or "").strip()
    scheme, _, token = header.partition(" ")
    if not token:
        scheme, token = "Bearer", scheme
    return kopf.ConnectionInfo(
        server=str(configuration.host).rstrip("/"),
        ca_path=configuration.ssl_ca_cert,
        insecure=not configuration.verify_ssl,
        scheme=("Bearer" if scheme.lower() == "bearer" else scheme) if token else None,
        token=token.strip() or None,
        certificate_path=configuration.cert_file,
        private_key_path=configuration.key_file,
        proxy_url=configuration.proxy or None,
        expiration=expiry,
        priority=100,  # above kopf's own piggybacking logins
    )


@contextmanager
def _exec_plugin_errors() -> Iterator[list[str]]:
    """The kubernetes client logs (root logger) why an exec plugin failed instead of raising;
    we take that line (the caller reports it once, cleaned) instead of letting it through."""
    errors: list[str] = []

    def take(record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.pathname.endswith("kube_config.py"):
            errors.append(one_line(record.getMessage()))
            return False
        return True

    root = logging.getLogger()
    root.addFilter(take)
    try:
        yield errors
    finally:
        root.removeFilter(take)


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, FileNotFoundError) and error.filename:
        text = f"no such file: {error.filename}"
    return one_line(text)
