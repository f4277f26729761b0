"""Stored objects: empty values pruned, defaults filled, quantities canonical (over HTTP)."""

from __future__ import annotations

import pytest

from tests.apiserver.conftest import Client, cronjob
from tests.apiserver.storage import InvalidError, canonical_quantity


def test_empty_lists_maps_and_nulls_vanish_on_create_and_patch(client: Client) -> None:
    body = cronjob(startingDeadlineSeconds=None)
    body["spec"]["jobTemplate"]["spec"]["podFailurePolicy"] = {"rules": [
        {"action": "FailJob", "onPodConditions": [],
         "onExitCodes": {"operator": "In", "values": [3]}}]}
    body["metadata"]["annotations"] = {}
    status, stored = client.create(body)
    assert status == 201 or status == 200
    rule = stored["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"][0]
    assert "onPodConditions" not in rule and rule["onExitCodes"]["values"] == [3]
    assert "annotations" not in stored["metadata"]
    assert "startingDeadlineSeconds" not in stored["spec"]
    status, patched = client.patch("cj", {"metadata": {"labels": {"app": None}}})
    assert status == 200 and "labels" not in patched["metadata"]


def test_defaults_of_cronjob_job_and_pod_template(client: Client) -> None:
    body = cronjob()
    env = [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"].append(
        {"name": "latest", "image": "example/runner", "env": env})
    spec = client.create(body)[1]["spec"]
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"],
            spec["suspend"], spec["concurrencyPolicy"]) == (3, 1, False, "Allow")
    job = spec["jobTemplate"]["spec"]
    assert (job["backoffLimit"], job["completions"], job["parallelism"],
            job["completionMode"], job["suspend"]) == (6, 1, 1, "NonIndexed", False)
    pod = job["template"]["spec"]
    assert (pod["dnsPolicy"], pod["schedulerName"], pod["securityContext"],
            pod["terminationGracePeriodSeconds"], pod["restartPolicy"]) == (
        "ClusterFirst", "default-scheduler", {}, 30, "Never")
    tagged, latest = pod["containers"]
    assert tagged["imagePullPolicy"] == "IfNotPresent" and latest["imagePullPolicy"] == "Always"
    assert tagged["terminationMessagePath"] == "/dev/termination-log"
    assert tagged["terminationMessagePolicy"] == "File"
    assert latest["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"


def test_resource_quantities_are_canonical(client: Client) -> None:
    body = cronjob()
    container = body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": "0.5", "memory": "1024Mi"},
                              "limits": {"cpu": "1000m", "memory": "1000"}}
    stored = client.create(body)[1]
    resources = stored["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0][
        "resources"]
    assert resources == {"requests": {"cpu": "500m", "memory": "1Gi"},
                         "limits": {"cpu": "1", "memory": "1k"}}
    assert canonical_quantity("1536Mi") == "1536Mi" and canonical_quantity("0.1") == "100m"
    with pytest.raises(InvalidError):
        canonical_quantity("lots")
