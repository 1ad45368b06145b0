"""The W3C SPARQL 1.1 Protocol and Service Description manifests, run by npm rdf-test-suite against a
real `kg serve` on 127.0.0.1 with updates enabled (the harness loads its data by SPARQL Update).

The manifests are read from ../shared/conformance/w3c-sparql11/ (offline, through rdf-test-suite's
-m URL~folder mapping); the test is skipped when they are absent.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import shared
from server_fixtures import ROOT, Listener, Server, empty_store, in_process, npm_ready, running

W3C = "https://w3c.github.io/rdf-tests/sparql/sparql11/"


@pytest.fixture(scope="module")
def update_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("w3c")
    store = empty_store(base / "store")
    with running(store, "--allow-update", "--timeout", "2", log=base / "serve.log") as server:
        yield server


def _run_manifest(server: Server, folder: str, expected: int) -> str:
    suite = shared("conformance", "w3c-sparql11")
    modules = npm_ready()
    endpoint = server.endpoint
    cmd = [
        "node",
        str(modules / "rdf-test-suite" / "bin" / "Runner.js"),
        "tests/server_w3c_engine.js",
        f"{W3C}{folder}/manifest.ttl",
        "-m",
        f"{W3C}~{suite}/",
        "-i",
        f'{{"protocolEndpoint": "{endpoint}", "serviceDescriptionEndpoint": "{endpoint}"}}',
        "-d",
        "20000",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{out}\n--- server log ---\n{server.log_text()[-4000:]}"
    m = re.search(r"(\d+) / (\d+) tests succeeded", out)
    assert m, out
    assert (int(m.group(1)), int(m.group(2))) == (expected, expected), out
    return out


def test_w3c_protocol_all_34_pass(update_server: Server) -> None:
    _run_manifest(update_server, "protocol", 34)


def test_w3c_service_description_all_3_pass(update_server: Server) -> None:
    _run_manifest(update_server, "service-description", 3)


def test_update_server_still_refuses_service_and_load(update_server: Server) -> None:
    import time

    import requests

    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}/data"
    try:
        for body, ctype in [
            (f"LOAD <{url}>", "application/sparql-update"),
            (f"LOAD SILENT <{url}> INTO GRAPH <http://g/>", "application/sparql-update"),
            (f"BASE <{url}> LOAD <x.ttl>", "application/sparql-update"),
            (f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "application/sparql-update"),
            (f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", "application/sparql-query"),
        ]:
            r = requests.post(update_server.endpoint, data=body.encode(), headers={"Content-Type": ctype}, timeout=10)
            assert r.status_code == 400, r.text
            assert "refused" in r.text
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


def test_update_server_timeout_holds(update_server: Server) -> None:
    import time

    import requests

    forever = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    # Some data so the cross product is endless.
    insert = "INSERT DATA { " + " ".join(f"<http://e/{i}> <http://e/p> {i} ." for i in range(200)) + " }"
    r = requests.post(update_server.endpoint, data={"update": insert}, timeout=10)
    assert r.status_code == 204, r.text
    start = time.monotonic()
    r = requests.post(update_server.endpoint, data={"query": forever}, timeout=30)
    elapsed = time.monotonic() - start
    assert r.status_code == 503, r.text
    assert elapsed < 2 + 1, elapsed
    r = requests.get(update_server.endpoint, params={"query": "ASK { <http://e/1> ?p ?o }"}, timeout=30)
    assert r.status_code == 200 and r.json()["boolean"] is True, r.text


def test_update_needs_permission(tmp_path: Path) -> None:
    store = empty_store(tmp_path / "store")
    with in_process(store) as server:  # the app's checks: no process needed
        r = server.post(server.endpoint, data={"update": "CLEAR ALL"}, timeout=10)
        assert r.status_code == 403
    with in_process(store, update_token="s3cret") as server:
        # A query with the token set works; updates need the right bearer token.
        r = server.post(server.endpoint, data={"update": "CLEAR GRAPH <http://nothing/>"}, timeout=10)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        auth = {"Authorization": "Bearer wrong"}
        r = server.post(server.endpoint, data={"update": "CLEAR GRAPH <http://nothing/>"}, headers=auth, timeout=10)
        assert r.status_code == 403
        auth = {"Authorization": "Bearer s3cret"}
        r = server.post(
            server.endpoint, data={"update": "CLEAR SILENT GRAPH <http://nothing/>"}, headers=auth, timeout=10
        )
        assert r.status_code == 204, r.text
