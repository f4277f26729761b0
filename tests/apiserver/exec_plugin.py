"""A kubeconfig ``exec`` credential plugin for the tests (like ``aws eks get-token``).

Prints an ExecCredential with the token authority's current token and its expiry
(``TOKEN_STATE``: the authority's JSON file) and counts its runs (a line per run in
``PLUGIN_RUNS``). ``PLUGIN_FAIL_WHILE``: a file; while it exists, the plugin fails like one
whose login session is gone.
"""

import json
import os
import sys

if os.path.exists(os.environ.get("PLUGIN_FAIL_WHILE", "/nonexistent")):
    sys.stderr.write("error: the session has expired, log in again\n")
    sys.exit(3)
with open(os.environ["PLUGIN_RUNS"], "a") as runs:
    runs.write("run\n")
with open(os.environ["TOKEN_STATE"]) as state_file:
    state = json.load(state_file)
json.dump({
    "apiVersion": "client.authentication.k8s.io/v1",
    "kind": "ExecCredential",
    "status": {"token": state["token"], "expirationTimestamp": state["expirationTimestamp"]},
}, sys.stdout)
