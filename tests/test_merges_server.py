"""Merged ids on a real `kg serve` (issue 28): a merged id's IRI answers 301 to its survivor's URL
from the linked-data pages (HTML and every RDF format, GET and HEAD) and from the API routes that take
an author; a chain resolves in one hop, a cycle is a 404 with the reason, a described resource is
never redirected, and the SPARQL endpoint shows the owl:sameAs triple as data.

The store is the rows fixture built, then the OpenAlex fixture added (`kg build --add`): its merges
make, with the rows', a chain (rows' via-openalex -> openalex:A50, OpenAlex's A50 -> A51) and a cycle
(rows' openalex:A90 -> A91, OpenAlex's A91 -> A90) that no one build could check.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from conftest import DATA
from server_fixtures import Server, running

import kg
from kg.formats import HTML, LINKED
from kg.iris import DEFAULT_BASE_IRI, Minter
from kg.terms import OWL_SAME_AS

ROWS = DATA / "merges" / "rows"
OPENALEX = DATA / "merges" / "openalex"
M = Minter(DEFAULT_BASE_IRI)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# (merged id, survivor id, the survivor's name): names in every script, Zoë's id and name decomposed (NFD)
SCRIPTS = [
    ("jürgen-alt", "jürgen", "Jürgen Becker"),
    (nfd("zoë-alt"), nfd("zoë"), nfd("Zoë Márquez")),
    ("γιώργος-παλιός", "γιώργος", "Γεώργιος Παπαδόπουλος"),
    ("сергей-старый", "сергей", "Сергей Иванов"),
    ("王小明-旧", "王小明", "王小明"),
    ("محمد-قديم", "محمد", "محمد الأحمد"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("merges-server")
    store = tmp / "store"
    kg.build([ROWS], store, rejects=tmp / "rows.rejects.jsonl")
    kg.build([OPENALEX], store, add=True, rejects=tmp / "openalex.rejects.jsonl")
    with running(store, log=tmp / "serve.log") as s:
        yield s


def seg(id: str) -> str:
    """An id as its IRI's last path segment (percent-encoded as UTF-8), as kg mints it."""
    return M.author(id).rsplit("/", 1)[1]


def moved(server: Server, path: str, **kw: object) -> str:
    """The Location of the 301 that `path` answers (asserted to be one)."""
    r = server.get(server.url + path, allow_redirects=False, **kw)
    assert r.status_code == 301, (path, r.status_code, r.text[:300])
    location = r.headers["Location"]
    assert location.isascii(), location
    assert r.headers["Cache-Control"] == "no-cache"
    return location


def test_every_linked_data_format_redirects_with_its_suffix_and_query_kept(server: Server) -> None:
    old, new = "/author/j%C3%BCrgen-alt", "/author/j%C3%BCrgen"
    assert moved(server, old) == server.url + new
    for fmt in LINKED:
        assert moved(server, old + fmt.suffix) == server.url + new + fmt.suffix, fmt.name
        assert moved(server, old + fmt.suffix + "?page=2") == server.url + new + fmt.suffix + "?page=2"
        assert moved(server, f"{old}?format={fmt.name}") == f"{server.url}{new}?format={fmt.name}"
        assert moved(server, old, headers={"Accept": fmt.media_type}) == server.url + new
    # the survivor answers in the format asked for: the redirect is followed to it
    for fmt in LINKED:
        r = server.get(server.url + old + fmt.suffix)
        assert r.status_code == 200 and r.url == server.url + new + fmt.suffix, fmt.name
        assert r.headers["Content-Type"].startswith(fmt.media_type), fmt.name
        assert [h.status_code for h in r.history] == [301]


def test_a_head_is_a_301_too(server: Server) -> None:
    for path in ("/author/j%C3%BCrgen-alt", "/author/j%C3%BCrgen-alt.ttl", "/paper/p-old.jsonld"):
        r = server.request("HEAD", server.url + path, allow_redirects=False)
        assert r.status_code == 301 and r.content == b""
        assert r.headers["Location"] == moved(server, path)


def test_papers_and_venues_redirect(server: Server) -> None:
    assert moved(server, "/paper/p-old") == server.url + "/paper/p1"
    assert moved(server, "/paper/p-old.nt") == server.url + "/paper/p1.nt"
    assert moved(server, "/venue/v-old.html") == server.url + "/venue/v1.html"
    assert moved(server, "/paper/openalex%3AW298") == server.url + "/paper/openalex%3AW300"
    assert moved(server, "/venue/openalex%3AS9.ttl") == server.url + "/venue/openalex%3AS10.ttl"
    r = server.get(server.url + "/paper/p-old", headers={"Accept": HTML.media_type})
    assert r.status_code == 200 and "Redirects in every script" in r.text


@pytest.mark.parametrize(("old", "new", "name"), SCRIPTS)
def test_names_in_every_script_survive_the_redirect(server: Server, old: str, new: str, name: str) -> None:
    """The Location is the survivor's path percent-encoded as UTF-8, whether the merged id was sent
    percent-encoded or (requests encodes it) as text; following it lands on the survivor's page."""
    want = f"{server.url}/author/{quote(new, safe='')}"
    assert moved(server, "/author/" + seg(old)) == want
    assert moved(server, "/author/" + old) == want
    r = server.get(server.url + "/author/" + seg(old), headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.url == want
    assert name in r.text or unicodedata.normalize("NFC", name) in r.text
    # the API: by id and by IRI, the survivor in the same form
    assert moved(server, "/api/coauthors/" + quote(old, safe="")) == f"{server.url}/api/coauthors/{quote(new, safe='')}"
    api = server.get(f"{server.url}/api/coauthors/{quote(old, safe='')}")
    assert api.status_code == 200 and api.json()["author"] == {"iri": M.author(new), "name": name}
    by_iri = moved(server, "/api/reach/" + quote(M.author(old), safe=""))
    assert by_iri == f"{server.url}/api/reach/{quote(M.author(new), safe='')}"
    assert server.get(server.url + "/api/reach/" + quote(M.author(old), safe="")).json()["author"]["name"] == name


def test_the_nfc_spelling_of_an_nfd_merged_id_is_another_id(server: Server) -> None:
    """Ids are compared as written (kg mints each spelling its own IRI): no redirect is guessed."""
    r = server.get(server.url + "/author/" + seg("zoë-alt"), allow_redirects=False)
    assert r.status_code == 404


def test_the_api_routes_that_take_an_author_redirect(server: Server) -> None:
    assert moved(server, "/api/coauthors/chain-a?format=csv") == f"{server.url}/api/coauthors/carol?format=csv"
    reach = moved(server, "/api/reach/chain-a?by=cluster&max_hops=2")
    assert reach == f"{server.url}/api/reach/carol?by=cluster&max_hops=2"
    location = moved(server, "/api/paths?from=chain-a&to=alice&max_hops=3")
    assert location == f"{server.url}/api/paths?from=carol&to=alice&max_hops=3"
    both = moved(server, "/api/paths?" + "from=" + quote("сергей-старый") + "&to=" + quote("王小明-旧"))
    assert both == f"{server.url}/api/paths?from={quote('сергей')}&to={quote('王小明')}"
    r = server.get(f"{server.url}/api/paths", params={"from": "сергей-старый", "to": "王小明-旧"})
    assert r.status_code == 200 and r.json()["status"] == "found"
    assert (r.json()["from"]["name"], r.json()["to"]["name"]) == ("Сергей Иванов", "王小明")
    r = server.get(f"{server.url}/api/paths", params={"from": "chain-a", "to": "alice"})
    assert r.status_code == 200 and r.json()["distance"] == 1
    assert server.request("HEAD", server.url + "/api/coauthors/chain-a", allow_redirects=False).status_code == 301
    # an unknown author is still a 404 (what is no IRI too), a described one a 200
    assert server.get(server.url + "/api/coauthors/nobody-at-all").status_code == 404
    assert server.get(server.url + "/api/coauthors/" + quote("http://a b/c", safe="")).status_code == 404
    assert server.get(server.url + "/api/coauthors/%ED%A0%80").status_code in (400, 404)  # a lone surrogate
    assert server.get(server.url + "/api/coauthors/alice", allow_redirects=False).status_code == 200


def test_the_path_page_redirects_an_end_given_by_a_merged_id(server: Server) -> None:
    location = moved(server, "/path?from=" + quote("jürgen-alt") + "&to=alice&max_hops=6")
    assert location == f"{server.url}/path?from={quote('jürgen')}&to=alice&max_hops=6"
    r = server.get(f"{server.url}/path", params={"from": "chain-a", "to": "alice"})
    assert r.status_code == 200 and r.url == f"{server.url}/path?from=carol&to=alice" and "Carol Chain" in r.text


def test_a_chain_resolves_in_one_hop(server: Server) -> None:
    """One build resolves its own chains (chain-a -> carol); the server those across builds:
    rows' via-openalex -> openalex:A50, then OpenAlex's A50 -> A51."""
    assert moved(server, "/author/chain-a") == server.url + "/author/carol"
    assert moved(server, "/author/via-openalex.ttl") == server.url + "/author/openalex%3AA51.ttl"
    r = server.get(server.url + "/author/via-openalex.ttl")
    assert r.status_code == 200 and len(r.history) == 1
    assert moved(server, "/api/coauthors/via-openalex") == server.url + "/api/coauthors/openalex%3AA51"


def test_a_cycle_is_a_404_with_the_reason(server: Server) -> None:
    cycle = (f"<{M.author('openalex:A90')}> is merged in a cycle (<{M.author('openalex:A90')}> -> "
             f"<{M.author('openalex:A91')}> -> <{M.author('openalex:A90')}>): no survivor to redirect to")
    for suffix in (".ttl", ".nt", ".jsonld"):
        r = server.get(server.url + "/author/openalex%3AA90" + suffix, allow_redirects=False)
        assert (r.status_code, r.text.strip()) == (404, cycle)
    page = server.get(server.url + "/author/openalex%3AA90", headers={"Accept": "text/html"}, allow_redirects=False)
    assert page.status_code == 404 and "is merged in a cycle" in page.text
    api = server.get(server.url + "/api/coauthors/openalex:A90", allow_redirects=False)
    assert api.status_code == 404 and api.json()["error"] == "author: " + cycle


def test_described_resources_are_never_redirected(server: Server) -> None:
    """alice's own merge was rejected (she is described); carol is a survivor."""
    for path in ("/author/alice", "/author/carol.ttl", "/author/j%C3%BCrgen", "/paper/p1", "/venue/v1"):
        assert server.get(server.url + path, allow_redirects=False).status_code == 200, path
    assert server.get(server.url + "/author/loop-x", allow_redirects=False).status_code == 404  # rejected at build


def test_the_export_of_a_merged_author_redirects(server: Server) -> None:
    assert moved(server, "/author/chain-a?format=bibtex") == server.url + "/author/carol?format=bibtex"


def test_the_sparql_endpoint_shows_the_same_as_triple_as_data(server: Server) -> None:
    query = f"SELECT ?new WHERE {{ <{M.author('chain-a')}> <{OWL_SAME_AS}> ?new }}"
    r = server.get(server.endpoint, params={"query": query}, headers={"Accept": "application/sparql-results+json"},
                   allow_redirects=False)
    assert r.status_code == 200
    assert [b["new"]["value"] for b in r.json()["results"]["bindings"]] == [M.author("carol")]


def test_requests_lands_on_the_survivors_page(server: Server) -> None:
    r = requests.get(server.url + "/author/chain-a", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200 and r.url == server.url + "/author/carol" and "Carol Chain" in r.text


def test_the_rejects_of_each_build_name_their_file_and_line(tmp_path: Path) -> None:
    """The rows build alone sees its own cycle; the cycle across builds it cannot see is the server's 404."""
    report = kg.build([ROWS], tmp_path / "s", rejects=tmp_path / "r.jsonl")
    reasons = (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    assert report.rows_rejected == 5 and "merges.csv\", \"line\": 12" in reasons and "openalex:A90" not in reasons


def test_the_openapi_description_says_which_routes_redirect(server: Server) -> None:
    spec = server.get(server.url + "/api/openapi.json").json()
    redirecting = {path for path, item in spec["paths"].items() if "301" in item.get("get", {}).get("responses", {})}
    assert redirecting == {"/api/paths", "/api/reach/{author}", "/api/coauthors/{author}"}
