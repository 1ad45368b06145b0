"""The SPARQL pipeline (kg.server.sparql_pipeline): every /sparql request takes it, on kg's front and as
an ASGI app. What it rebuilt without Starlette (the CORS fields, the endpoint's URL) is checked equal to
Starlette's on generated input; pages of results carry names in every script; the speed setting
(--answers-cache 0) changes no answer."""

from __future__ import annotations

import asyncio
import time
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from server_fixtures import Server, in_process, running
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request

from kg.server.config import CORS_EXPOSED, CORS_HEADERS, CORS_METHODS, ServerConfig
from kg.server.cors import preflight, with_cors
from kg.server.sparql_pipeline import SparqlPipeline
from kg.server.tables import Caches

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NAMES = ["Jürgen Becker", "Zoë Márquez", "Γεώργιος Παπαδόπουλος", "Сергей Иванов", "王小明", "山田 太郎",
         "محمد الأحمد"]
FORMS = [unicodedata.normalize(form, name) for name in NAMES for form in ("NFC", "NFD")]
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def _middleware() -> CORSMiddleware:
    async def nothing(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not called")

    return CORSMiddleware(nothing, allow_origins=["*"], allow_methods=CORS_METHODS, allow_headers=CORS_HEADERS,
                          expose_headers=CORS_EXPOSED)


def _fields(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return sorted((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers if k != b"content-length")


_token = st.sampled_from(["GET", "POST", "PUT", "get", "", "OPTIONS", "DELETE"])
_header_list = st.lists(st.sampled_from(["Accept", "content-type", "Authorization", "X-Custom", "If-None-Match",
                                         " accept ", "Pragma", "cookie", ""]), max_size=4).map(",".join)
_value = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20)


@SETTINGS
@given(method=_token, headers=st.none() | _header_list, private=st.none() | st.sampled_from(["true", ""]),
       origin=_value)
def test_a_preflight_is_answered_as_starlettes_cors_middleware_answers_it(method: str, headers: str | None,
                                                                         private: str | None, origin: str) -> None:
    raw = [(b"origin", origin.encode("latin-1")), (b"access-control-request-method", method.encode())]
    if headers is not None:
        raw.append((b"access-control-request-headers", headers.encode()))
    if private is not None:
        raw.append((b"access-control-request-private-network", private.encode()))
    status, fields, body = preflight(method.encode(), None if headers is None else headers.encode(),
                                     None if private is None else private.encode())
    theirs = _middleware().preflight_response(Headers(raw=raw))
    assert (status, body) == (theirs.status_code, theirs.body)
    assert _fields(fields) == _fields(theirs.raw_headers)


@SETTINGS
@given(origin=st.booleans(), vary=st.lists(st.sampled_from([b"Accept", b"Origin", b"Accept-Encoding"]), max_size=3),
       others=st.lists(st.sampled_from([(b"content-type", b"text/csv"), (b"retry-after", b"5"),
                                        (b"access-control-allow-origin", b"x"), (b"x-sparql-maxrows", b"3")]),
                       max_size=3))
def test_an_answer_gets_the_cors_fields_starlettes_middleware_gives_it(origin: bool, vary: list[bytes],
                                                                      others: list[tuple[bytes, bytes]]) -> None:
    headers = [*others, *((b"vary", v) for v in vary)]
    ours = with_cors(headers, origin)
    message: dict[str, Any] = {"type": "http.response.start", "status": 200, "headers": list(headers)}
    request = Headers(raw=[(b"origin", b"http://example.org")] if origin else [])
    sent: list[dict[str, Any]] = []

    async def send(m: Any) -> None:
        sent.append(m)

    asyncio.run(_middleware().send(message, send, request))
    assert sorted(ours) == sorted(MutableHeaders(raw=sent[0]["headers"]).raw)


_host = st.none() | st.sampled_from(["kg.test", "kg.test:8080", "KG.Test", "127.0.0.1", "[::1]:7878", "a@kg.test",
                                     "xn--bcher-kva.test", "kg.test:", "bad host", "[::1", "a#b", "a?b", "é.test",
                                     "王.test", "", "h/p"]) | _value


@SETTINGS
@given(host=_host, scheme=st.sampled_from(["http", "https"]), port=st.sampled_from([80, 443, 7878]))
def test_the_endpoint_url_is_starlettes_request_url(host: str | None, scheme: str, port: int) -> None:
    """The base IRI of queries: the URL the app's endpoint took from Starlette (`request.url` without
    query or fragment; the server's address when that is no IRI)."""
    import pyoxigraph as ox

    config = ServerConfig(store=None, host="127.0.0.1", port=port)
    pipeline = SparqlPipeline(config, runner=None, caches=Caches(), base=lambda: "")  # type: ignore[arg-type]
    raw = None if host is None else host.encode()  # a Host in UTF-8; both read its bytes as Latin-1
    scope = {"type": "http", "scheme": scheme, "server": ("127.0.0.1", port), "path": "/sparql", "root_path": "",
             "query_string": b"", "headers": [] if raw is None else [(b"host", raw)], "method": "GET"}
    try:
        url = str(Request(scope).url.replace(query="", fragment=""))
        expected = ox.NamedNode(url).value
    except ValueError:
        expected = f"http://127.0.0.1:{port}/sparql"
    assert pipeline._endpoint(scheme, raw) == expected


# -- on a real kg serve, and the same pipeline in-process


def test_a_results_page_shows_names_in_every_script(example_front: Server, example_store: Path) -> None:
    """A browser's page of a query's results (the pipeline renders it now) shows each name as it was sent,
    NFC and NFD alike; the same page from the pipeline as an ASGI app."""
    values = " ".join('"' + n.replace('"', '\\"') + '"' for n in FORMS)
    query = f"SELECT ?name WHERE {{ VALUES ?name {{ {values} }} }}"
    ours = example_front.get(example_front.endpoint, params={"query": query}, headers={"Accept": BROWSER})
    assert ours.status_code == 200 and ours.headers["content-type"] == "text/html; charset=utf-8"
    for name in FORMS:
        assert f">{name}<" in ours.text, name
    assert "Content-Security-Policy" in ours.headers and ours.headers["vary"] == "Accept"
    with in_process(example_store) as app:
        theirs = app.get(app.endpoint, params={"query": query}, headers={"Accept": BROWSER})
    assert theirs.status_code == 200 and theirs.text == ours.text


def test_a_name_in_every_script_reaches_sparql_by_get_post_and_head(example_front: Server) -> None:
    for name in FORMS:
        query = f'SELECT ?n WHERE {{ BIND("{name}" AS ?n) }}'
        got = example_front.get(example_front.endpoint + "?query=" + quote(query), headers={"Accept": "text/csv"})
        posted = example_front.post(example_front.endpoint, data=query.encode(),
                                    headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
        head = example_front.request("HEAD", example_front.endpoint + "?query=" + quote(query),
                                     headers={"Accept": "text/csv"})
        assert got.content.decode().splitlines() == posted.content.decode().splitlines() == ["n", name]
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(got.content)


def test_a_preflight_and_a_cors_query_on_the_real_server(cors_front: Server) -> None:
    preflight = cors_front.options(cors_front.endpoint, headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization"})
    assert preflight.status_code == 200 and preflight.text == "OK"
    assert preflight.headers["access-control-allow-methods"] == "GET, POST"
    refused = cors_front.options(cors_front.endpoint, headers={
        "Origin": "http://example.org", "Access-Control-Request-Method": "PUT"})
    assert refused.status_code == 400 and refused.text == "Disallowed CORS method"
    plain = cors_front.options(cors_front.endpoint)  # not a preflight: the protocol's 405
    assert plain.status_code == 405 and plain.headers["allow"] == "GET, POST" and plain.headers["vary"] == "Origin"
    query = cors_front.get(cors_front.endpoint, params={"query": "ASK {}"})
    assert query.status_code == 200 and query.headers["vary"] == "Accept, Origin"
    assert "access-control-allow-origin" not in query.headers


REPEATED = [("GET", "/api/clusters/" + quote("Liyuan Liu"), {}), ("GET", "/sparql?query=" + quote("ASK {}"), {}),
            ("GET", "/clusters/" + quote("Liyuan Liu"), {"Accept": BROWSER}),
            ("GET", "/sparql", {"Accept": "text/turtle"}), ("GET", "/api/stats", {})]


def _answers(server: Server) -> list[tuple[int, bytes, str | None]]:
    out = []
    with requests.Session() as session:  # kept-alive: the same bytes again on one connection
        for _ in range(3):
            for method, path, headers in REPEATED:
                r = session.request(method, server.url + path, headers=headers, timeout=30)
                body = r.content.replace(server.url.encode(), b"http://SERVER")  # each server's own port
                out.append((r.status_code, body, r.headers.get("content-type")))
    return out


def _cached_lines(server: Server) -> list[str]:
    time.sleep(0.3)  # the front's access log is written in batches, within 0.1 s
    # the front's answers cache notes "cached" alone; the app's page cache notes the route too ("api cluster cached")
    lines = server.log_text().splitlines()
    return [line for line in lines if "kg.server.access" in line and line.endswith("ms cached")]


@pytest.mark.parametrize("off", [("--answers-cache", "0"), ("--cache", "0")])
def test_the_speed_settings_change_no_answer(example_store: Path, tmp_path: Path, off: tuple[str, str]) -> None:
    """--answers-cache 0 turns the front's copies off; --cache 0 (no page cache) turns them off too."""
    with running(example_store, "--workers", "1", log=tmp_path / "on.log") as on:
        fast = _answers(on)
        cached = _cached_lines(on)
    with running(example_store, "--workers", "1", *off, log=tmp_path / "off.log") as server:
        plain = _answers(server)
        uncached = _cached_lines(server)
    assert fast == plain
    assert cached and not uncached  # the setting is heard: no answer from the front's answers cache


def test_the_asgi_adapter_refuses_a_body_past_max_body_as_the_front_does(example_store: Path, tmp_path: Path) -> None:
    body = b"query=" + b"A" * 3000
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with in_process(example_store, max_body=2000) as app:
        theirs = app.post(app.endpoint, data=body, headers=headers)
    with running(example_store, "--max-body", "2000", "--workers", "1", log=tmp_path / "serve.log") as front:
        ours = front.post(front.endpoint, data=body, headers=headers)
    assert (ours.status_code, ours.text, ours.headers["content-type"]) == \
        (theirs.status_code, theirs.text, theirs.headers["content-type"])
    assert ours.status_code == 413 and "limit 2000 bytes" in ours.text
