"""`kg fetch … --since`: the filters sent to a local server replaying recorded pages, the watermark the
directory keeps, the API key, and bad dates. No test touches the internet."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import DATA, of, read_accepted, shared
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import kg
from kg.cli import main
from kg.errors import InputError
from kg.fetch import crossref, openalex
from kg.fetch.http import Client, FetchError
from kg.fetch.paging import STATE
from kg.fetch.since import SinceError, iso, parse_since
from kg.fetch.watermark import read_watermark
from kg.records import Author, Paper
from kg.store import StoreDir

FETCH = DATA / "fetch"
KEY = "secret-key-0123456789"


def client(server: HTTPServer, **kw: Any) -> Client:
    return Client(server.url_for("/").rstrip("/"), sleep=lambda s: None, **kw)


def pages(first: dict[str, Any], second: dict[str, Any], cursor_key: str, log: list[dict[str, str]]) -> Any:
    """A /works handler answering two recorded pages by cursor (* then c2), then an empty page (c3);
    the recorded pages get the cursor that links them, nothing else changes."""
    def linked(page: dict[str, Any], cursor: str | None) -> dict[str, Any]:
        page = json.loads(json.dumps(page))
        holder = page["meta"] if "meta" in page else page["message"]
        holder[cursor_key] = cursor
        return page

    def empty() -> dict[str, Any]:
        page = linked(first, None)
        if "results" in page:
            page["results"] = []
        else:
            page["message"]["items"] = []
        return page

    answers = {"*": linked(first, "c2"), "c2": linked(second, "c3"), "c3": empty()}

    def handler(request: Request) -> Response:
        log.append(dict(request.args))
        body = json.dumps(answers[request.args["cursor"]], ensure_ascii=False).encode("utf-8")
        return Response(body, content_type="application/json; charset=utf-8")

    return handler


def newest(items: list[dict[str, Any]], field: Any) -> str:
    return max((field(i) for i in items), key=lambda v: datetime.fromisoformat(v).replace(tzinfo=None))


# --- OpenAlex -------------------------------------------------------------------------------------------


def test_openalex_since_sends_from_updated_date_and_the_key_and_keeps_a_watermark(
        httpserver: HTTPServer, tmp_path: Path) -> None:
    one = json.loads(shared("data", "openalex", "openalexpro_page1_200works.json").read_bytes())
    two = json.loads(shared("data", "openalex", "openalexpro_page2_59works.json").read_bytes())
    log: list[dict[str, str]] = []
    httpserver.expect_request("/works").respond_with_handler(pages(one, two, "next_cursor", log))
    out = tmp_path / "oa"
    got = openalex.fetch_works(client(httpserver, mailto="me@example.org"), out, filter="publication_year:2019",
                               since=parse_since("2024-05-01"), api_key=KEY)
    assert (got.pages, got.works, got.done) == (2, 259, True)
    assert [e["cursor"] for e in log] == ["*", "c2", "c3"]
    for sent in log:
        assert sent["filter"] == "publication_year:2019,from_updated_date:2024-05-01"
        assert sent["api_key"] == KEY and sent["mailto"] == "me@example.org" and sent["per-page"] == "200"
    state_text = (out / STATE).read_text(encoding="utf-8")
    assert KEY not in state_text  # a credential is sent, never written
    mark = read_watermark(out)
    assert mark is not None and mark.complete and mark.source == "openalex" and mark.since == "2024-05-01"
    assert mark.query == {"filter": "publication_year:2019,from_updated_date:2024-05-01"}
    expected = newest(one["results"] + two["results"], lambda w: w["updated_date"])
    assert mark.newest == expected
    assert mark.next_since == date.fromisoformat(expected[:10])
    assert mark.started_at and mark.fetched_at and mark.started_at <= mark.fetched_at
    # The same command again asks nothing: the watermark says it is done.
    assert openalex.fetch_works(client(httpserver), out, filter="publication_year:2019",
                                since=parse_since("2024-05-01"), api_key=KEY).pages == 0
    assert len(log) == 3
    report = kg.build([out], tmp_path / "store")
    assert report.rows_rejected == 0
    papers = StoreDir(tmp_path / "store").meta()["counts"]["papers"]
    assert papers == len({w["id"] for w in one["results"] + two["results"]})


def test_openalex_since_timestamp_is_sent_in_utc(httpserver: HTTPServer, tmp_path: Path) -> None:
    log: list[dict[str, str]] = []
    page = json.loads((FETCH / "openalex_since_scripts.json").read_bytes())
    httpserver.expect_request("/works").respond_with_handler(pages(page, page, "next_cursor", log))
    openalex.fetch_works(client(httpserver), tmp_path, search="graphs",
                         since=parse_since("2024-05-01T12:30:00+02:00"), max_pages=1)
    assert log[0]["filter"] == "from_updated_date:2024-05-01T10:30:00Z" and log[0]["search"] == "graphs"
    assert "api_key" not in log[0]


def test_openalex_since_without_a_key_names_the_option(httpserver: HTTPServer, tmp_path: Path) -> None:
    # OpenAlex's answer to from_updated_date without a key, as reported in pyalex (J535D165/pyalex#78).
    refusal = {"error": "Plan upgrade required",
               "message": 'The "from_updated_date:2024-05-01" filter requires a Premium, Institutional, or Partner '
                          "plan. See https://openalex.org/pricing for details."}
    httpserver.expect_request("/works").respond_with_json(refusal, status=403)
    with pytest.raises(FetchError) as e:
        openalex.fetch_works(client(httpserver), tmp_path / "oa", filter="x:1", since=date(2024, 5, 1))
    assert "needs an API key for --since" in str(e.value)
    assert "--api-key" in str(e.value) and "$OPENALEX_API_KEY" in str(e.value) and "Plan upgrade" in str(e.value)
    result = CliRunner().invoke(main, ["fetch", "openalex", "--filter", "x:1", "--since", "2024-05-01",
                                       "-o", str(tmp_path / "cli"), "--base-url", httpserver.url_for("/")],
                                env={"OPENALEX_API_KEY": ""})
    assert result.exit_code == 1 and "kg: error: OpenAlex needs an API key" in result.output


def test_a_refused_key_is_named_and_never_shown(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/works").respond_with_json({"error": "Invalid API key"}, status=401)
    with pytest.raises(FetchError) as e:
        openalex.fetch_works(client(httpserver), tmp_path, filter="x:1", since=date(2024, 5, 1), api_key=KEY)
    assert "refused the API key (--api-key or $OPENALEX_API_KEY)" in str(e.value)
    assert KEY not in str(e.value) and "api_key=***" in str(e.value)
    # From the environment variable, through the CLI: the same, and the key in no output.
    result = CliRunner().invoke(main, ["fetch", "openalex", "--since", "2024-05-01", "-o", str(tmp_path / "cli"),
                                       "--base-url", httpserver.url_for("/")], env={"OPENALEX_API_KEY": KEY})
    assert result.exit_code == 1 and "refused the API key" in result.output and KEY not in result.output
    assert httpserver.log[-1][0].args["api_key"] == KEY


def test_a_crashed_since_fetch_has_no_next_since_until_it_resumes_to_the_end(
        httpserver: HTTPServer, tmp_path: Path) -> None:
    page = json.loads((FETCH / "openalex_since_scripts.json").read_bytes())
    log: list[dict[str, str]] = []
    good = pages(page, page, "next_cursor", log)

    def down_on_c2(request: Request) -> Response:
        return Response("busy", status=503) if request.args["cursor"] == "c2" else good(request)

    httpserver.expect_request("/works").respond_with_handler(down_on_c2)
    out, since = tmp_path / "oa", date(2024, 5, 1)
    with pytest.raises(FetchError, match="HTTP 503"):
        openalex.fetch_works(client(httpserver, retries=0), out, filter="x:1", since=since, api_key=KEY)
    mark = read_watermark(out)
    assert mark is not None and not mark.complete and mark.next_since is None
    httpserver.clear()
    httpserver.expect_request("/works").respond_with_handler(good)
    log.clear()
    assert openalex.fetch_works(client(httpserver), out, filter="x:1", since=since, api_key=KEY).done
    assert [e["cursor"] for e in log] == ["c2", "c3"]
    mark = read_watermark(out)
    assert mark is not None and mark.complete and mark.newest == "2024-05-04T23:59:59.999999"
    assert mark.next_since == date(2024, 5, 4)
    # Another --since is another query: not mixed into this directory.
    with pytest.raises(FetchError, match="another fetch"):
        openalex.fetch_works(client(httpserver), out, filter="x:1", since=date(2024, 5, 2), api_key=KEY)


# --- Crossref -------------------------------------------------------------------------------------------


def test_crossref_since_sends_from_index_date_and_keeps_a_watermark(httpserver: HTTPServer, tmp_path: Path) -> None:
    recorded = json.loads(shared("data", "crossref", "fmuro_crossref_worklist.json").read_bytes())
    scripts = json.loads((FETCH / "crossref_since_scripts.json").read_bytes())
    log: list[dict[str, str]] = []
    httpserver.expect_request("/works").respond_with_handler(pages(recorded, scripts, "next-cursor", log))
    out = tmp_path / "cr"
    got = crossref.fetch_works(client(httpserver, mailto="me@example.org"), out, filter="member:311",
                               since=parse_since("2024-05-01T23:10:00Z"), rows=500)
    items = recorded["message"]["items"] + scripts["message"]["items"]
    assert (got.pages, got.works, got.done) == (2, len(items), True)
    for sent in log:
        assert sent["filter"] == "member:311,from-index-date:2024-05-01"  # Crossref takes dates only
        assert sent["rows"] == "500" and sent["mailto"] == "me@example.org"
    mark = read_watermark(out)
    assert mark is not None and mark.complete and mark.source == "crossref"
    assert mark.since == "2024-05-01T23:10:00Z"
    assert mark.newest == newest(items, lambda i: i["indexed"]["date-time"])
    report = kg.build([out], tmp_path / "store")
    assert report.rows_rejected == 0
    assert StoreDir(tmp_path / "store").meta()["graphs"] == ["http://localhost:7878/graph/crossref"]


def test_crossref_dois_since_is_one_or_filter(httpserver: HTTPServer, tmp_path: Path) -> None:
    scripts = json.loads((FETCH / "crossref_since_scripts.json").read_bytes())
    log: list[dict[str, str]] = []
    httpserver.expect_request("/works").respond_with_handler(pages(scripts, scripts, "next-cursor", log))
    result = CliRunner().invoke(main, [
        "fetch", "crossref", "--doi", "https://doi.org/10.5555/SINCE.1", "--doi", "10.5555/since.2",
        "--since", "2024-05-01", "-o", str(tmp_path / "cr"), "--base-url", httpserver.url_for("/"), "--max-pages", "1"])
    assert result.exit_code == 0, result.output
    assert "in 1 pages" in result.output and "incomplete (rerun to go on)" in result.output
    assert log[0]["filter"] == "doi:10.5555/since.1,doi:10.5555/since.2,from-index-date:2024-05-01"
    assert "query" not in log[0] and log[0]["rows"] == "1000"


def test_crossref_refuses_what_a_filter_cannot_say(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="a DOI with a comma"):
        crossref.query_for(None, None, ["10.5555/a,b"], date(2024, 5, 1))
    many = [f"10.5555/n.{i}" for i in range(crossref.MAX_DOIS_PER_QUERY + 1)]
    with pytest.raises(FetchError, match=f"give at most {crossref.MAX_DOIS_PER_QUERY}"):
        crossref.query_for(None, None, many, date(2024, 5, 1))


# --- Names in every script through a fetched page -------------------------------------------------------


def _scripts() -> list[tuple[str, str]]:
    page = json.loads((FETCH / "openalex_since_scripts.json").read_bytes())
    return [(w["title"], w["authorships"][0]["author"]["display_name"]) for w in page["results"]]


def test_the_fixture_covers_every_script_in_both_normal_forms() -> None:
    text = " ".join(t + " " + n for t, n in _scripts())
    assert any(unicodedata.is_normalized("NFC", t) and not t.isascii() for t, _ in _scripts())
    assert any(not unicodedata.is_normalized("NFC", n) for _, n in _scripts())  # NFD
    for script in ("GREEK", "CYRILLIC", "CJK", "ARABIC"):
        assert any(script in unicodedata.name(c, "") for c in text), script


@pytest.mark.parametrize("source", ["openalex", "crossref"])
def test_titles_and_names_in_every_script_survive_the_fetch(source: str, httpserver: HTTPServer,
                                                            tmp_path: Path) -> None:
    name = {"openalex": "openalex_since_scripts.json", "crossref": "crossref_since_scripts.json"}[source]
    page = json.loads((FETCH / name).read_bytes())
    log: list[dict[str, str]] = []
    cursor = {"openalex": "next_cursor", "crossref": "next-cursor"}[source]
    httpserver.expect_request("/works").respond_with_handler(pages(page, page, cursor, log))
    out = tmp_path / source
    result = CliRunner().invoke(main, ["fetch", source, "--since", "2024-05-01", "-o", str(out),
                                       "--base-url", httpserver.url_for("/"), "--max-pages", "1"],
                                env={"OPENALEX_API_KEY": KEY})
    assert result.exit_code == 0, result.output
    assert "(incomplete (rerun to go on))" in result.output and "next --since" not in result.output
    result = CliRunner().invoke(main, ["fetch", source, "--since", "2024-05-01", "-o", str(out),
                                       "--base-url", httpserver.url_for("/")], env={"OPENALEX_API_KEY": KEY})
    assert result.exit_code == 0 and "(complete; next --since 2024-05-04)" in result.output, result.output
    records, rejects = read_accepted(source, out)
    assert rejects == []
    titles = [p.title for p in of(records, Paper)]
    names = [a.name for a in of(records, Author)]
    for title, author in _scripts():
        assert title in titles  # exactly: NFD stays NFD, no script is mangled
        assert author in names


# --- --since itself -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-02-30", "01/05/2024", "2024-5-1",
                                  "2024-05-01 10:00", "2024-05-01T25:00", ""])
def test_a_bad_since_is_refused_naming_the_option(text: str, tmp_path: Path) -> None:
    with pytest.raises(SinceError) as e:
        parse_since(text)
    assert str(e.value).startswith(f"--since {text!r}: ")
    for source in ("openalex", "crossref"):
        result = CliRunner().invoke(main, ["fetch", source, "--filter", "x:1", "--since", text,
                                           "-o", str(tmp_path / source), "--base-url", "http://kg-test.invalid"])
        assert result.exit_code == 2 and f"--since {text!r}" in result.output
        assert not (tmp_path / source).exists()  # refused before anything was asked or written


def test_since_forms() -> None:
    assert parse_since("2024-05-01") == date(2024, 5, 1)
    assert parse_since("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_since("2024-05-01T10:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)  # no zone: UTC
    assert parse_since("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert iso(parse_since("2024-05-01T10:00:00.5Z")) == "2024-05-01T10:00:00.500000Z"


@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30),
                    timezones=st.sampled_from([UTC, None])))
def test_since_round_trips_through_what_is_sent(moment: datetime) -> None:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    assert parse_since(iso(aware)) == aware
    assert parse_since(iso(aware.date())) == aware.date()
    shifted = aware.astimezone(timezone(timedelta(hours=-5)))
    assert parse_since(shifted.isoformat()) == aware


def test_crossref_without_a_question_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fetch", "crossref", "-o", str(tmp_path / "cr")])
    assert result.exit_code == 2 and "give --doi, --filter, --query or --since" in result.output


def test_a_watermark_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    assert read_watermark(tmp_path) is None  # a directory no paged fetch wrote
    (tmp_path / STATE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"\.fetch-state\.json: cannot be read"):
        read_watermark(tmp_path)
    (tmp_path / STATE).write_text("[]", encoding="utf-8")
    with pytest.raises(InputError, match="not a kg fetch state"):
        read_watermark(tmp_path)
