"""What a real kube-apiserver makes of an object it stores (pure functions, no I/O).

- :func:`prune`: empty lists, empty maps and nulls vanish (protobuf has no "empty" distinct
  from "absent"), recursively, and so do empty strings (omitted when written back as JSON);
- :func:`apply_defaults`: the defaults the Kubernetes API reference gives for the CronJob, its
  Job template and its Pod template;
- :func:`canonical_quantity`: resource quantities in canonical form (``0.5`` -> ``500m``,
  ``1024Mi`` -> ``1Gi``, ``1000`` -> ``1k``);
- :func:`validate`: the checks the operator can trip (CronJob name length, schedule, timeZone,
  label keys and values of the object and of its templates).
"""

from __future__ import annotations

import re
import zoneinfo
from decimal import ROUND_CEILING, Decimal
from typing import Any, Final

from alert_core.schedule import CronSyntaxError, parse_cron

CRONJOB_NAME_MAX: Final = 52  # a Job's name is the CronJob's plus 11 characters, max 63
_QUANTITY: Final = re.compile(
    r"^([+-]?[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"
)
_BINARY: Final = {"Ei": 2 ** 60, "Pi": 2 ** 50, "Ti": 2 ** 40, "Gi": 2 ** 30, "Mi": 2 ** 20,
                  "Ki": 2 ** 10}
_DECIMAL: Final = {"E": 10 ** 18, "P": 10 ** 15, "T": 10 ** 12, "G": 10 ** 9, "M": 10 ** 6,
                   "k": 10 ** 3}


# apimachinery's validation of labels (IsQualifiedName, IsValidLabelValue, IsDNS1123Subdomain).
_LABEL_NAME: Final = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_LABEL: Final = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN: Final = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")
LABEL_MAX: Final = 63
LABEL_PREFIX_MAX: Final = 253


class InvalidError(ValueError):
    """The object is invalid (the server answers 422 Unprocessable Entity)."""


def label_problem(key: str, value: str) -> str | None:
    """Why the server rejects the label ``key: value``; None when it is valid."""
    prefix, slash, name = key.rpartition("/")
    if slash and not (len(prefix) <= LABEL_PREFIX_MAX and _DNS_SUBDOMAIN.fullmatch(prefix)):
        return f"{key!r}: prefix part must be a lowercase RFC 1123 subdomain"
    if not (len(name) <= LABEL_MAX and _LABEL_NAME.fullmatch(name)):
        return f"{key!r}: name part must consist of alphanumeric characters, '-', '_' or '.'"
    if not isinstance(value, str) or len(value) > LABEL_MAX or (
            value and not _LABEL_NAME.fullmatch(value)):
        return (f"{key}: Invalid value: {str(value)[:80]!r}: a valid label must be an empty"
                " string or consist of alphanumeric characters, '-', '_' or '.', at most 63")
    return None


def _validate_labels(path: str, meta: Any) -> None:
    labels = meta.get("labels") if isinstance(meta, dict) else None
    for key, value in (labels or {}).items():
        problem = label_problem(str(key), value)
        if problem is not None:
            raise InvalidError(f"{path}.labels: {problem}")


def prune(value: Any) -> Any:
    """``value`` without empty lists, empty maps, nulls and empty strings (Go's omitempty), at
    any depth (None: nothing left)."""
    if isinstance(value, dict):
        kept = {key: pruned for key, item in value.items()
                if (pruned := prune(item)) is not None and pruned != ""}
        return kept or None
    if isinstance(value, list):
        # List elements stay (an empty element is an empty message, not nothing).
        return [prune(item) or {} if isinstance(item, dict) else item for item in value] or None
    return value


def canonical_quantity(text: str) -> str:
    """A resource quantity as the server writes it back; InvalidError when it is not one."""
    found = _QUANTITY.match(str(text))
    if found is None:
        raise InvalidError(f"quantities must match the regular expression: {text!r}")
    number, suffix = Decimal(found.group(1)), found.group(2) or ""
    if suffix in _BINARY:
        value = number * _BINARY[suffix]
        if value == value.to_integral_value():
            for name, base in _BINARY.items():
                if value % base == 0 and value != 0:
                    return f"{int(value // base)}{name}"
            return str(int(value))
    value = number * (Decimal("0.001") if suffix == "m" else _DECIMAL.get(suffix, 1))
    if value != value.to_integral_value():  # the server keeps milli precision, rounding up
        return f"{int((value * 1000).to_integral_value(ROUND_CEILING))}m"
    for name, base in _DECIMAL.items():
        if value % base == 0 and value != 0:
            return f"{int(value // base)}{name}"
    return str(int(value))


def _default_container(container: dict[str, Any]) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    image = str(container.get("image", ""))
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    for port in container.get("ports", []):
        port.setdefault("protocol", "TCP")
    for env in container.get("env", []):
        field_ref = env.get("valueFrom", {}).get("fieldRef")
        if field_ref is not None:
            field_ref.setdefault("apiVersion", "v1")
    resources = container.get("resources", {})
    for group in ("requests", "limits"):
        for key, amount in resources.get(group, {}).items():
            resources[group][key] = canonical_quantity(amount)


def _default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        _default_container(container)


def _default_job_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completions", 1)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy",
                    "Failed" if "podFailurePolicy" in spec else "TerminatingOrFailed")
    for rule in spec.get("podFailurePolicy", {}).get("rules", []):
        for pattern in rule.get("onPodConditions", []):
            pattern.setdefault("status", "True")
    _default_pod_spec(spec.setdefault("template", {}).setdefault("spec", {}))


def _default_cronjob_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    _default_job_spec(spec.setdefault("jobTemplate", {}).setdefault("spec", {}))


def apply_defaults(kind: str, obj: dict[str, Any]) -> None:
    """Fill the server-side defaults of a CronJob, Job or Pod in place."""
    spec = obj.setdefault("spec", {})
    if kind == "CronJob":
        _default_cronjob_spec(spec)
    elif kind == "Job":
        _default_job_spec(spec)
    elif kind == "Pod":
        _default_pod_spec(spec)


def validate(kind: str, obj: dict[str, Any]) -> None:
    """Raise InvalidError for what the server rejects with 422 (checks the operator can trip)."""
    _validate_labels("metadata", obj.get("metadata"))
    spec = obj.get("spec") or {}
    if kind == "CronJob":
        job = spec.get("jobTemplate") or {}
        _validate_labels("spec.jobTemplate.metadata", job.get("metadata"))
        _validate_labels("spec.jobTemplate.spec.template.metadata",
                         ((job.get("spec") or {}).get("template") or {}).get("metadata"))
    elif kind == "Job":
        _validate_labels("spec.template.metadata", (spec.get("template") or {}).get("metadata"))
    if kind != "CronJob":
        return
    name = str(obj.get("metadata", {}).get("name", ""))
    if len(name) > CRONJOB_NAME_MAX:
        raise InvalidError(f"metadata.name: must be no more than {CRONJOB_NAME_MAX} characters")
    spec = obj.get("spec", {})
    try:
        parse_cron(str(spec.get("schedule", "")))
    except CronSyntaxError as error:
        raise InvalidError(f"spec.schedule: {error}") from None
    zone = spec.get("timeZone")
    if zone is not None:
        try:
            zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidError(f"spec.timeZone: unknown time zone {zone!r}") from None


def stored(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as the server stores it: validated, pruned, defaulted, quantities canonical."""
    validate(kind, obj)
    result: dict[str, Any] = prune(obj) or {}
    apply_defaults(kind, result)
    return result
