"""Metadata only, as kube-apiserver serves it when the first media type of ``Accept`` asks
``as=PartialObjectMetadataList`` (a list) or ``as=PartialObjectMetadata`` (a watch's events;
group meta.k8s.io, version v1): each object reduced to its ``metadata``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

META_API_VERSION = "meta.k8s.io/v1"
LIST = "PartialObjectMetadataList"
OBJECT = "PartialObjectMetadata"


def asked_as(headers: Mapping[str, str]) -> str | None:
    """The ``as=`` of the first media type of ``Accept`` (in the client's order, as the server
    negotiates), when its group is meta.k8s.io."""
    accept = next((value for key, value in dict(headers).items() if key.lower() == "accept"), "")
    first = str(accept).split(",")[0]
    parameters = dict(part.strip().partition("=")[::2] for part in first.split(";")[1:])
    return parameters.get("as") if parameters.get("g") == "meta.k8s.io" else None


def partial(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": META_API_VERSION, "kind": OBJECT, "metadata": obj.get("metadata", {})}
