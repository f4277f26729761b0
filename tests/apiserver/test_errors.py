"""Status codes: 409, 404, 422; injected errors change nothing; delete with a policy."""

from __future__ import annotations

from tests.apiserver.conftest import BASE, Client, cronjob
from tests.apiserver.serving import ThreadedApiServer


def test_conflict_on_create_and_not_found_on_patch_and_delete(client: Client) -> None:
    assert client.create(cronjob())[0] in (200, 201)
    assert client.create(cronjob())[0] == 409
    assert client.patch("gone", {"spec": {"suspend": True}})[0] == 404
    assert client.request("DELETE", f"{BASE}/gone")[0] == 404


def test_invalid_cronjobs_are_422(client: Client) -> None:
    assert client.create(cronjob("x" * 53))[0] == 422
    assert client.create(cronjob("x" * 52))[0] in (200, 201)
    assert client.create(cronjob("bad-schedule", schedule="61 * * * *"))[0] == 422
    assert client.create(cronjob("bad-zone", timeZone="Mars/Olympus"))[0] == 422
    assert client.create(cronjob("good-zone", timeZone="Asia/Tokyo"))[0] in (200, 201)
    assert client.patch("good-zone", {"spec": {"schedule": "nonsense"}})[0] == 422
    assert client.get("good-zone")["spec"]["schedule"] == "0 9 * * *"


def test_invalid_labels_are_422(client: Client) -> None:
    def labelled(name: str, labels: dict[str, str]) -> dict[str, object]:
        body = cronjob(name)
        body["metadata"]["labels"] = labels
        return body

    assert client.create(labelled("ok", {"a.b/c_d.e": "A-1_b.2", "empty": ""}))[0] in (200, 201)
    for bad in ({"x": "a" * 64}, {"x": "ends-"}, {"x": "has space"}, {"x": "Café"},
                {"Upper.Prefix/x": "v"}, {"/x": "v"}, {"a/" + "n" * 64: "v"}, {"a/": "v"}):
        assert client.create(labelled("bad", bad))[0] == 422, bad
    template = cronjob("bad-template")
    template["spec"]["jobTemplate"]["metadata"] = {"labels": {"x": "-"}}
    assert client.create(template)[0] == 422
    assert client.patch("ok", {"metadata": {"labels": {"x": "no!"}}})[0] == 422
    assert client.get("ok")["metadata"]["labels"]["a.b/c_d.e"] == "A-1_b.2"


def test_an_injected_error_changes_nothing(client: Client, server: ThreadedApiServer) -> None:
    client.create(cronjob())
    server.run(lambda: server.api.fail_next("PATCH", 500))
    server.run(lambda: server.api.fail_next("POST", 503))
    assert client.patch("cj", {"spec": {"suspend": True}})[0] == 500
    assert client.get("cj")["spec"]["suspend"] is False
    assert client.create(cronjob("other"))[0] == 503
    assert client.request("GET", f"{BASE}/other")[0] == 404
    assert client.patch("cj", {"spec": {"suspend": True}})[0] == 200  # one error each


def test_delete_with_propagation_policy(client: Client, server: ThreadedApiServer) -> None:
    client.create(cronjob())
    status, body = client.request("DELETE", f"{BASE}/cj",
                                  {"kind": "DeleteOptions", "propagationPolicy": "Orphan"})
    assert status == 200 and body["metadata"]["name"] == "cj"
    assert client.request("GET", f"{BASE}/cj")[0] == 404
    assert server.api.history[-1][2]["type"] == "DELETED"
