"""Fetchers against a local HTTP server replaying recorded responses. No test touches the internet."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DATA
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import kg
from kg.cli import main
from kg.fetch.crossref import fetch_dois
from kg.fetch.dblp import fetch_people, search_people
from kg.fetch.http import USER_AGENT, Client, FetchError
from kg.fetch.openalex import STATE, fetch_works
from kg.store import StoreDir

PAGE = json.loads((DATA / "openalex" / "page.json").read_text(encoding="utf-8"))
WORK = (DATA / "crossref" / "work.json").read_bytes()
FETCH = DATA / "fetch"


def client(server: HTTPServer, sleeps: list[float], **kw: Any) -> Client:
    return Client(server.url_for("/").rstrip("/"), sleep=sleeps.append, **kw)


def openalex_page(works: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"meta": {**PAGE["meta"], "count": 2, "next_cursor": next_cursor}, "results": works}


def pages_by_cursor(log: list[dict[str, str]], failing: Callable[[str], Response | None] = lambda c: None) -> Any:
    """A /works handler: cursor * -> W100, c2 -> W101, c3 -> the empty last page."""
    answers = {
        "*": openalex_page([PAGE["results"][0]], "c2"),
        "c2": openalex_page([PAGE["results"][1]], "c3"),
        "c3": openalex_page([], None),
    }

    def handler(request: Request) -> Response:
        log.append(dict(request.args) | {"user-agent": request.headers.get("User-Agent", "")})
        cursor = request.args["cursor"]
        return failing(cursor) or Response(json.dumps(answers[cursor]), content_type="application/json")

    return handler


def test_openalex_cursor_paging_to_the_end_and_build(httpserver: HTTPServer, tmp_path: Path) -> None:
    log: list[dict[str, str]] = []
    httpserver.expect_request("/works").respond_with_handler(pages_by_cursor(log))
    out = tmp_path / "oa"
    got = fetch_works(client(httpserver, [], mailto="me@example.org"), out, filter="publication_year:2019")
    assert (got.pages, got.works, got.done) == (2, 2, True)
    assert [entry["cursor"] for entry in log] == ["*", "c2", "c3"]
    assert all(e["filter"] == "publication_year:2019" and e["mailto"] == "me@example.org" for e in log)
    assert log[0]["user-agent"].startswith("kg/") and "mailto:me@example.org" in log[0]["user-agent"]
    assert sorted(p.name for p in out.iterdir()) == [STATE, "page-00001.json", "page-00002.json"]
    # Done: a rerun asks nothing.
    assert fetch_works(client(httpserver, []), out, filter="publication_year:2019").pages == 0
    assert len(log) == 3
    report = kg.build([out], tmp_path / "store")
    assert report.rows_rejected == 0
    assert StoreDir(tmp_path / "store").meta()["counts"]["papers"] == 2


def test_openalex_fetch_resumes_from_the_saved_cursor(httpserver: HTTPServer, tmp_path: Path) -> None:
    log: list[dict[str, str]] = []
    down = pages_by_cursor(log, lambda c: Response("busy", status=503) if c == "c2" else None)
    httpserver.expect_request("/works").respond_with_handler(down)
    out = tmp_path / "oa"
    with pytest.raises(FetchError, match="HTTP 503 after 1 retry"):
        fetch_works(client(httpserver, [], retries=1), out, filter="x:1")
    assert json.loads((out / STATE).read_text())["cursor"] == "c2"
    httpserver.clear()
    log.clear()
    httpserver.expect_request("/works").respond_with_handler(pages_by_cursor(log))
    got = fetch_works(client(httpserver, []), out, filter="x:1")
    assert [entry["cursor"] for entry in log] == ["c2", "c3"]
    assert got.done and sorted(p.name for p in out.glob("page-*")) == ["page-00001.json", "page-00002.json"]


def test_openalex_refuses_a_directory_holding_another_query(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/works").respond_with_handler(pages_by_cursor([]))
    fetch_works(client(httpserver, []), tmp_path, filter="a:1", max_pages=1)
    with pytest.raises(FetchError, match="another fetch"):
        fetch_works(client(httpserver, []), tmp_path, filter="b:2")


def test_429_with_retry_after_then_success(httpserver: HTTPServer, tmp_path: Path) -> None:
    doi = "10.5555/neurips.2021.7"
    busy = {"Retry-After": "7"}
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data("slow down", status=429, headers=busy)
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(WORK, content_type="application/json")
    sleeps: list[float] = []
    got = fetch_dois(client(httpserver, sleeps), tmp_path, [f"https://doi.org/{doi}"])
    assert got.works == 1 and sleeps == [7.0]
    httpserver.check_assertions()


@pytest.mark.parametrize(("header", "waited"), [("nan", 1.0), ("NaN", 1.0), ("inf", 300.0), ("-3", 1.0)])
def test_retry_after_that_is_no_number_of_seconds(header: str, waited: float, httpserver: HTTPServer,
                                                  tmp_path: Path) -> None:
    """Retry-After "nan" parses as a float: it made every retry wait the 5-minute cap; now the backoff."""
    doi = "10.5555/neurips.2021.7"
    busy = {"Retry-After": header}
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data("slow down", status=429, headers=busy)
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(WORK, content_type="application/json")
    sleeps: list[float] = []
    assert fetch_dois(client(httpserver, sleeps), tmp_path, [doi]).works == 1
    assert sleeps == [waited]


def test_500_is_retried_with_backoff(httpserver: HTTPServer, tmp_path: Path) -> None:
    doi = "10.5555/neurips.2021.7"
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data("oops", status=500)
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data("oops", status=502)
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(WORK, content_type="application/json")
    sleeps: list[float] = []
    fetch_dois(client(httpserver, sleeps, backoff=0.5), tmp_path, [doi])
    assert sleeps == [0.5, 1.0]
    # Already there: a rerun skips it.
    assert fetch_dois(client(httpserver, sleeps), tmp_path, [doi]).skipped == 1


def test_404_is_reported_with_the_doi_and_not_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    missing = {"message": "Resource not found."}
    httpserver.expect_request("/works/10.1234/missing").respond_with_json(missing, status=404)
    sleeps: list[float] = []
    with pytest.raises(FetchError, match=r"crossref DOI 10\.1234/missing: GET .*: HTTP 404 NOT FOUND"):
        fetch_dois(client(httpserver, sleeps), tmp_path, ["10.1234/missing"])
    assert sleeps == [] and list(tmp_path.iterdir()) == []


def test_dropped_connection_is_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    def dropped(request: Request) -> Response:
        def half() -> Iterator[bytes]:
            yield WORK[:40]  # then the server closes before the promised length

        return Response(half(), headers={"Content-Length": str(len(WORK))}, content_type="application/json")

    doi = "10.5555/neurips.2021.7"
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_handler(dropped)
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(WORK, content_type="application/json")
    sleeps: list[float] = []
    fetch_dois(client(httpserver, sleeps), tmp_path, [doi])
    assert len(sleeps) == 1
    assert json.loads(next(tmp_path.glob("*.json")).read_bytes())["message-type"] == "work"


def test_dblp_search_then_person_pages_build_with_shared_papers_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/search/author/api").respond_with_data(
        (FETCH / "dblp_search_author.json").read_bytes(), content_type="application/json")
    for pid in ("143/6275", "36/2727"):
        body = (FETCH / f"dblp_person_{pid.replace('/', '-')}.xml").read_bytes()
        httpserver.expect_request(f"/pid/{pid}.xml").respond_with_data(body, content_type="application/xml")
    c = client(httpserver, [])
    pids = search_people(c, "Maillot")
    assert pids == ["143/6275", "36/2727"]
    out = tmp_path / "dblp"
    assert fetch_people(c, out, pids).people == pids
    report = kg.build([out], tmp_path / "store")
    assert report.rows_rejected == 0
    assert StoreDir(tmp_path / "store").meta()["counts"]["papers"] == 3  # MaillotCF23 is on both pages


def test_dblp_unknown_person_is_a_clear_error(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/pid/0/0.xml").respond_with_data("no such person", status=404)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_people(client(httpserver, []), tmp_path, ["0/0"])


def test_dblp_person_page_cut_short_is_an_error_and_not_kept(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A 200 whose page stops in the middle was written as fetched: every rerun skipped the person and
    the build failed on the file."""
    body = (FETCH / "dblp_person_36-2727.xml").read_bytes()
    httpserver.expect_ordered_request("/pid/36/2727.xml").respond_with_data(body[: len(body) // 2])
    httpserver.expect_ordered_request("/pid/36/2727.xml").respond_with_data(body, content_type="application/xml")
    out = tmp_path / "dblp"
    args = ["fetch", "dblp", "--person", "36/2727", "-o", str(out), "--base-url", httpserver.url_for("/")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "not a complete dblp person page" in result.output, result.output
    assert not any(out.iterdir())
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "1 people fetched" in result.output, result.output
    assert CliRunner().invoke(main, ["build", str(out), "--store", str(tmp_path / "store")]).exit_code == 0


def test_crossref_doi_longer_than_a_file_name(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A DOI whose percent-encoded name is over 255 bytes stopped the fetch ("File name too long")."""
    doi = "10.5555/" + "ä" * 60 + "/" + "x" * 150
    work = json.loads(WORK)
    work["message"]["DOI"] = doi
    httpserver.expect_request(f"/works/{doi}").respond_with_json(work)
    out = tmp_path / "cr"
    args = ["fetch", "crossref", "--doi", doi, "-o", str(out), "--base-url", httpserver.url_for("/")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "1 works fetched" in result.output, result.output
    [file] = out.iterdir()
    assert len(file.name.encode()) <= 255
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "0 works fetched, 1 already there" in result.output, result.output
    assert CliRunner().invoke(main, ["build", str(out), "--store", str(tmp_path / "store")]).exit_code == 0
    assert StoreDir(tmp_path / "store").meta()["counts"]["papers"] == 1


def test_an_answer_that_stalls_in_its_body_is_said_to_time_out(httpserver: HTTPServer) -> None:
    """A body that stops coming was said as "ConnectionError: HTTPConnectionPool(host=...): Read timed out."."""
    def stalled(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield WORK[:40]
            time.sleep(1.5)
            yield WORK[40:]

        return Response(body(), headers={"Content-Length": str(len(WORK))}, content_type="application/json")

    httpserver.expect_request("/works/10.5555/x").respond_with_handler(stalled)
    with pytest.raises(FetchError) as caught:
        client(httpserver, [], timeout=0.5, retries=0).get("/works/10.5555/x")
    assert str(caught.value) == f"GET {httpserver.url_for('/works/10.5555/x')}: timed out (not retried: --retries 0)"


def test_cli_fetch_then_build(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/works/10.5555/neurips.2021.7").respond_with_data(WORK, content_type="application/json")
    httpserver.expect_request("/works/10.1234/missing").respond_with_data("not found", status=404)
    out, store = tmp_path / "cr", tmp_path / "store"
    base = httpserver.url_for("/")
    runner = CliRunner()
    args = ["-o", str(out), "--base-url", base]
    result = runner.invoke(main, ["fetch", "crossref", "--doi", "10.5555/NeurIPS.2021.7", *args])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["build", str(out), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert StoreDir(store).meta()["graphs"] == ["http://localhost:7878/graph/crossref"]
    result = runner.invoke(main, ["fetch", "crossref", "--doi", "10.1234/missing", *args])
    assert result.exit_code == 1 and "404" in result.output
    assert "kg: error: crossref DOI 10.1234/missing" in result.output


def test_user_agent_names_the_project() -> None:
    assert USER_AGENT.startswith(f"kg/{kg.__version__} ")


def test_cli_fetch_openalex_and_dblp(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/works").respond_with_handler(pages_by_cursor([]))
    body = (FETCH / "dblp_person_36-2727.xml").read_bytes()
    httpserver.expect_request("/pid/36/2727.xml").respond_with_data(body, content_type="application/xml")
    base = ["--base-url", httpserver.url_for("/")]
    runner = CliRunner()
    result = runner.invoke(main, ["fetch", "openalex", "--filter", "x:1", "-o", str(tmp_path / "oa"), *base])
    assert result.exit_code == 0 and "2 works in 2 pages" in result.output and "(complete)" in result.output
    result = runner.invoke(main, ["fetch", "dblp", "--person", "36/2727", "-o", str(tmp_path / "dblp"), *base])
    assert result.exit_code == 0 and "1 people fetched" in result.output
    result = runner.invoke(main, ["fetch", "openalex", "-o", str(tmp_path / "x"), *base])
    assert result.exit_code == 2 and "--filter or --search" in result.output


def test_an_unresolvable_host_fails_at_once_naming_it(tmp_path: Path) -> None:
    """A name that does not resolve (no network, or a typo) is not retried: one short line naming the host.
    `.invalid` never resolves (RFC 6761), so this fails at once offline as online."""
    sleeps: list[float] = []
    c = Client("http://kg-test.invalid", retries=5, sleep=sleeps.append)
    with pytest.raises(FetchError) as e:
        c.get("/works/10.1234/x")
    assert sleeps == []
    assert "cannot resolve host 'kg-test.invalid'" in str(e.value) and len(str(e.value)) < 160
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kg", "fetch", "crossref", "--doi", "10.1234/x", "--base-url", "http://kg-test.invalid",
         "-o", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )
    assert time.monotonic() - started < 30  # not 31 s of backoff
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("kg: error: ") and "cannot resolve host 'kg-test.invalid'" in line and len(line) < 200


@pytest.mark.parametrize("retries", [0, 1, 2])
def test_the_retry_count_is_what_was_done(httpserver: HTTPServer, retries: int) -> None:
    seen: list[str] = []

    def down(request: Request) -> Response:
        seen.append(request.path)
        return Response("busy", status=503)

    httpserver.expect_request("/works/x").respond_with_handler(down)
    sleeps: list[float] = []
    with pytest.raises(FetchError) as e:
        client(httpserver, sleeps, retries=retries).get("/works/x")
    assert len(seen) == retries + 1 and len(sleeps) == retries
    expected = {0: "HTTP 503 (not retried: --retries 0)", 1: "HTTP 503 after 1 retry", 2: "HTTP 503 after 2 retries"}
    assert str(e.value).endswith(expected[retries])


def test_a_refused_connection_is_retried_and_said_briefly() -> None:
    with socket.socket() as s:  # a port nothing listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        sleeps: list[float] = []
        with pytest.raises(FetchError) as e:
            Client(f"http://127.0.0.1:{port}", retries=2, sleep=sleeps.append).get("/x")
    assert len(sleeps) == 2
    assert str(e.value) == f"GET http://127.0.0.1:{port}/x: connection refused after 2 retries"


# -------------------------------------------- held-out answers: what a mirror or a broken API sends


@pytest.mark.parametrize("body", [b"<html><body>Down for maintenance</body></html>", WORK[: len(WORK) // 2],
                                  b'{"status": "ok", "message-type": "work-list", "message": {"items": []}}'])
def test_crossref_doi_answer_that_is_not_a_work_is_an_error_and_not_kept(
        body: bytes, httpserver: HTTPServer, tmp_path: Path) -> None:
    """A 200 that is not a work message (a proxy's page, a body cut short, another message) was written
    as the DOI's file: the fetch said it was done, every rerun skipped the DOI, and the build failed."""
    doi = "10.5555/neurips.2021.7"
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(body, content_type="application/json")
    httpserver.expect_ordered_request(f"/works/{doi}").respond_with_data(WORK, content_type="application/json")
    out = tmp_path / "cr"
    args = ["fetch", "crossref", "--doi", doi, "-o", str(out), "--base-url", httpserver.url_for("/")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert f"kg: error: crossref DOI {doi}: GET http://" in result.output
    assert "not JSON" in result.output or "not a Crossref work message" in result.output
    assert not any(out.iterdir())
    result = CliRunner().invoke(main, args)  # the rerun asks again
    assert result.exit_code == 0 and "1 works fetched" in result.output, result.output


@pytest.mark.parametrize("body", [b"[]", b"null", b'"ok"'])
def test_crossref_page_that_is_not_an_object_is_an_error(body: bytes, httpserver: HTTPServer, tmp_path: Path) -> None:
    """A JSON answer that is not an object was a traceback (AttributeError: 'list' object has no attribute 'get')."""
    httpserver.expect_request("/works").respond_with_data(body, content_type="application/json")
    result = CliRunner().invoke(main, ["fetch", "crossref", "--filter", "member:311", "-o", str(tmp_path / "cr"),
                                       "--base-url", httpserver.url_for("/")])
    assert result.exit_code == 1 and result.exception is not None and not isinstance(result.exception, AttributeError)
    assert "the answer is not a Crossref work-list message" in result.output


def test_openalex_cursor_seen_before_stops_the_fetch(httpserver: HTTPServer, tmp_path: Path) -> None:
    """An API that answers every cursor with a next one it already gave paged for ever, a file a page."""
    asked: list[str] = []

    def round_and_round(request: Request) -> Response:
        asked.append(request.args["cursor"])
        if len(asked) > 9:  # so that a fetch that does not notice ends (and this test fails), not hangs
            return Response(json.dumps(openalex_page([], None)), content_type="application/json")
        work = PAGE["results"][len(asked) % 2]
        return Response(json.dumps(openalex_page([work], "c2" if request.args["cursor"] == "c1" else "c1")),
                        content_type="application/json")

    httpserver.expect_request("/works").respond_with_handler(round_and_round)
    out = tmp_path / "oa"
    result = CliRunner().invoke(main, ["fetch", "openalex", "--filter", "x:1", "-o", str(out),
                                       "--base-url", httpserver.url_for("/")])
    assert result.exit_code == 1, result.output
    assert "the next cursor is one already asked for ('c1'): the API goes round" in result.output
    assert asked == ["*", "c1", "c2"]
    assert sorted(p.name for p in out.iterdir()) == [STATE, "page-00001.json", "page-00002.json"]


def test_redirects_are_followed_within_the_origin_only(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A 127.0.0.1 server redirecting to another server was followed: what `kg fetch` wrote then came
    from a host never given as --base-url. Within the origin (a relative Location, a moved path) the
    redirect is followed; elsewhere (another port of the same host, another host) it is a one-line
    error naming both URLs, and nothing is asked of the other server."""
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request("/works/10.5555/x").respond_with_data(WORK, content_type="application/json")
        httpserver.expect_request("/old/works/10.5555/x").respond_with_response(
            Response(status=301, headers={"Location": "/works/10.5555/x"}))
        httpserver.expect_request("/works/10.5555/x").respond_with_data(WORK, content_type="application/json")
        assert client(httpserver, []).get("/old/works/10.5555/x").content == WORK
        away = other.url_for("/works/10.5555/x")
        httpserver.expect_request("/away/works/10.5555/x").respond_with_response(
            Response(status=302, headers={"Location": away}))
        with pytest.raises(FetchError, match="redirects to another host or port") as caught:
            client(httpserver, []).get("/away/works/10.5555/x")
        assert away in str(caught.value) and caught.value.status == 302
        assert other.log == []
        result = subprocess.run(
            [sys.executable, "-m", "kg", "fetch", "crossref", "--doi", "10.5555/x", "--base-url",
             httpserver.url_for("/away"), "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
        [line] = result.stderr.splitlines()
        assert result.returncode == 1 and line.startswith("kg: error: ") and away in line, result.stderr
        assert other.log == [] and not list((tmp_path / "out").glob("*.json"))
    finally:
        other.stop()


@pytest.mark.parametrize(("url", "target", "followed"), [
    ("http://h.example/a", "https://h.example/a", True),  # an https upgrade
    ("http://h.example/a", "http://h.example:80/b", True),
    ("https://h.example/a", "http://h.example/a", False),  # a downgrade
    ("http://h.example/a", "http://h.example:8080/a", False),
    ("http://h.example/a", "http://other.example/a", False),
    ("http://h.example/a", "http://h.example:x/a", False),
])
def test_which_redirects_stay_on_the_site(url: str, target: str, followed: bool) -> None:
    from kg.fetch.http import same_site

    assert same_site(url, target) is followed


def test_a_redirect_loop_within_the_origin_stops_with_the_url(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_response(Response(status=307, headers={"Location": "/loop"}))
    with pytest.raises(FetchError, match=r"GET .*/loop: more than 10 redirects"):
        client(httpserver, []).get("/loop")
    assert len(httpserver.log) == 11
