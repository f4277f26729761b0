"""Strict validation against the Kubernetes JSON schemas bundled with kubernetes-validate.

kubernetes-validate's own ``validate`` stops at the first error; this reports every error with
its path, and a kind without a schema is an error, not a warning.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema
from kubernetes_validate import utils
from referencing import Registry, Resource

OLDEST = "1.27.0"
NEWEST = utils.latest_version()
VERSIONS = (OLDEST, NEWEST)


@functools.cache
def _validator(kind: str, api_version: str, version: str) -> jsonschema.protocols.Validator:
    # Same file layout as kubernetes_validate.utils.validate: "<kind>-<group>-<version>.json".
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    directory = f"kubernetes-json-schema/v{version}-local-strict"
    schema = utils.schema_contents(f"{directory}/{kind.lower()}-{group_version}.json", version)
    definitions = utils.schema_contents(f"{directory}/_definitions.json", version)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def schema_errors(obj: dict[str, Any], version: str) -> list[str]:
    """Every error of ``obj`` against the strict schema of ``version``, as readable lines."""
    name = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    try:
        validator = _validator(obj["kind"], obj["apiVersion"], version)
    except FileNotFoundError:
        return [f"{name}: no schema for {obj['apiVersion']} {obj['kind']} in Kubernetes {version}"]
    return [
        f"{name} (Kubernetes {version}) at {'.'.join(map(str, error.absolute_path)) or '<root>'}:"
        f" {error.message}"
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.path)))
    ]
