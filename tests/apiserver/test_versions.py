"""uid, creationTimestamp, resourceVersion and generation as a real server keeps them."""

from __future__ import annotations

from tests.apiserver.conftest import Client, cronjob
from tests.apiserver.serving import ThreadedApiServer


def test_metadata_set_on_create(client: Client) -> None:
    metadata = client.create(cronjob())[1]["metadata"]
    assert metadata["uid"] and metadata["creationTimestamp"].endswith("Z")
    assert int(metadata["resourceVersion"]) > 0 and metadata["generation"] == 1


def test_resource_version_and_generation_change_only_with_the_stored_object(
    client: Client, server: ThreadedApiServer
) -> None:
    created = client.create(cronjob())[1]["metadata"]
    labelled = client.patch("cj", {"metadata": {"labels": {"team": "a"}}})[1]["metadata"]
    assert int(labelled["resourceVersion"]) > int(created["resourceVersion"])
    assert labelled["generation"] == 1  # metadata only: generation stays
    respec = client.patch("cj", {"spec": {"schedule": "0 10 * * *"}})[1]["metadata"]
    assert respec["generation"] == 2 and int(respec["resourceVersion"]) > int(
        labelled["resourceVersion"])


def test_a_patch_changing_nothing_keeps_the_version_and_emits_no_event(
    client: Client, server: ThreadedApiServer
) -> None:
    stored = client.create(cronjob())[1]
    events = len(server.api.history)
    # Sets what is stored, a default explicitly, and an empty list the server drops.
    status, same = client.patch("cj", {"spec": {"schedule": "0 9 * * *", "suspend": False,
                                                "jobTemplate": {"spec": {"x": []}}}})
    assert status == 200 and same == stored
    assert len(server.api.history) == events
    assert client.get("cj")["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
