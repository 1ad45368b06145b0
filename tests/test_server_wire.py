"""The workers' own HTTP/1.1 front (kg.server.wire) on a real `kg serve`: every /sparql request
answered as the same pipeline answers it under an ASGI server, byte for byte; requests on one
connection are answered in order; what cannot be parsed is 400, a body past --max-body 413; HEAD,
Expect: 100-continue and HTTP/1.0 behave."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from server_fixtures import in_process, running

QUERIES = [
    ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 7", "application/sparql-results+json"),
    ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3", "text/csv"),
    ("ASK { ?s ?p ?o }", "application/sparql-results+xml"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 4", "application/n-triples"),
    ("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1", "text/html;q=0.1, image/png"),  # no acceptable format: 406
    ("SELECT ?s WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "*/*"),  # refused: the app's 400
    ("SELECT ?s WHERE { ?s ?p }", "*/*"),  # a syntax error: the engine's 400
]


def _exchange(port: int, raw: bytes, answers: int = 1) -> list[tuple[int, dict[str, str], bytes]]:
    """Sends raw bytes on one connection and reads `answers` answers (Content-Length framed)."""
    out = []
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(raw)
        buf = b""
        while len(out) < answers:
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            if status == 100:
                continue
            size = int(headers.get("content-length", "0"))
            while len(buf) < size:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            out.append((status, headers, buf[:size]))
            buf = buf[size:]
    return out


@pytest.fixture(scope="module")
def served(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with running(example_store, "--max-body", "2000", log=tmp_path_factory.mktemp("wire") / "serve.log") as server:
        yield server


def test_the_front_answers_sparql_as_the_asgi_adapter_does(served: Any, example_store: Path) -> None:
    with in_process(example_store, workers=1, max_body=2000) as app:
        for query, accept in QUERIES:
            for how in ("get", "post"):
                kw: dict[str, Any] = {"headers": {"Accept": accept}}
                kw["params" if how == "get" else "data"] = {"query": query}
                ours = getattr(served, how)(served.endpoint, **kw)
                theirs = getattr(app, how)(app.endpoint, **kw)
                assert ours.status_code == theirs.status_code, (query, accept, ours.text, theirs.text)
                assert ours.content == theirs.content, (query, accept)
                for header in ("content-type", "vary", "x-sparql-maxrows", "retry-after"):
                    assert ours.headers.get(header) == theirs.headers.get(header), (query, header)
    deadline = time.monotonic() + 5  # the front writes its access-log lines in batches, within 0.1 s
    while True:
        lines = [line for line in served.log_text().splitlines() if "kg.server.access" in line and "/sparql" in line]
        found = any("query SELECT" in line for line in lines) and any("refused" in line for line in lines)
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found, lines


def test_requests_on_one_connection_are_answered_in_order(served: Any) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    requests = b""
    for n in (1, 2, 3):
        body = urlencode({"query": f"SELECT (({n}) AS ?n) WHERE {{}}"}).encode()
        requests += (b"POST /sparql HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
    requests += b"GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n"  # the app's, between and after the SPARQL pipeline's
    requests += b"GET /sparql?query=" + quote("SELECT ((4) AS ?n) WHERE {}").encode() + b" HTTP/1.1\r\nHost: x\r\n" \
        b"Accept: text/csv\r\n\r\n"
    answers = _exchange(port, requests, 5)
    assert [status for status, _, _ in answers] == [200] * 5
    assert [answers[i][2].split(b"\r\n")[1] for i in (0, 1, 2, 4)] == [b"1", b"2", b"3", b"4"]
    assert b"papers" in answers[3][2]


def test_bad_requests_big_bodies_head_and_http_1_0(served: Any) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    [(status, headers, body)] = _exchange(port, b"GET /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
    assert status == 400 and headers.get("connection") == "close" and b"malformed" in body
    big = b"query=" + b"x" * 3000
    [(status, headers, body)] = _exchange(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                          b"application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                                          % (len(big), big))
    assert status == 413 and b"2000 bytes" in body and headers.get("connection") == "close"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(big), big)
    [(status, _, _)] = _exchange(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                                 b"urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
    assert status == 413
    small = urlencode({"query": "ASK {}"}).encode()
    [(status, _, body)] = _exchange(port, b"POST /sparql HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type:"
                                    b" application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s"
                                    % (len(small), small))
    assert status == 200 and b"true" in body
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"HEAD /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: text/csv, application/sparql-results"
                  b"+json\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"content-length: " in head.lower() and rest == b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.0\r\nAccept: application/sparql-results+json\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):  # HTTP/1.0 without keep-alive: the server closes after the answer
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b'"boolean":true}')


def test_kept_answers_are_served_from_the_front(served: Any) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    ask = b"GET /api/clusters/Liyuan%20Liu HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n"
    answers = _exchange(port, ask * 3, 3)  # one connection: one worker, whose answers cache it sees
    assert [a[1]["x-kg-cache"] for a in answers] == ["miss", "hit", "hit"]
    assert answers[0][2] == answers[1][2] == answers[2][2]
    assert answers[0][1]["etag"] == answers[2][1]["etag"] and answers[2][1]["content-type"] == "application/json"
    etag = answers[0][1]["etag"].encode()
    [(status, _, _)] = _exchange(port, ask.replace(b"\r\n\r\n", b"\r\nIf-None-Match: " + etag + b"\r\n\r\n"))
    assert status == 304  # validators are the app's to check
    deadline = time.monotonic() + 5  # each worker writes its own lines, after its answers
    while not ("api cluster" in served.log_text() and " cached" in served.log_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "api cluster" in served.log_text() and " cached" in served.log_text()  # the front answered the hits


def test_upgrade_h2c_keeps_the_connection_for_the_next_request(served: Any) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    ask = (b"GET /sparql?query=" + quote("ASK {}").encode() + b" HTTP/1.1\r\nHost: x\r\n"
           b"Accept: application/sparql-results+json\r\n")
    upgrade = ask + (b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                     b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
    answers = _exchange(port, upgrade + upgrade + ask + b"\r\n", 3)
    assert [(status, body) for status, _, body in answers] == [(200, b'{"head":{},"boolean":true}')] * 3
