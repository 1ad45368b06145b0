"""Every command the README shows in a code block is run, and must work as shown.

Lines starting with `kg` run as they are written, with only their placeholders and paths swapped for
real ones (`DIR` and `~/kg/...` are stores in a temporary directory, `dblp.xml.gz` the raw dblp
fixture, `rows/` the example) and `kg fetch` pointed at a local server replaying recorded answers
(`--base-url`; no test touches the internet). `kg serve` runs until it answers, then the `curl` lines
after it run against it. A few lines are run by another test or by CI itself: ELSEWHERE names it.
A README line this test does not know fails it, with what to add.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DATA, EXAMPLE, ROOT
from pytest_httpserver import HTTPServer
from server_fixtures import free_port
from werkzeug import Request, Response

README = ROOT / "README.md"

# Lines the README shows that another test, or CI itself, runs (prefix -> who runs it).
ELSEWHERE = {
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/kg demo": "CI: .ci/run installs the same way;"
    " `kg demo` is run below and by tests/test_cli.py",
    "bash .ci/run": "CI itself",
    "node node_modules/rdf-test-suite/bin/Runner.js": "tests/test_server_w3c.py (the same runner and manifests)",
    # A remote engine's section (issue 14): these need a SPARQL engine loaded with the shards
    # (KG_ENDPOINT); tests/test_remote_*.py run them over oxigraph server and Virtuoso.
    "kg index shards/": "tests/test_remote_index.py",
    "kg cluster Liyuan Liu --format json": "tests/test_remote_cli.py (over an endpoint, KG_ENDPOINT)",
    "kg path Yiping Wang Hong Chen 0004 --by cluster --index": "tests/test_remote_cli.py",
    "kg serve --index": "tests/test_remote_server.py",
}

# What the README's placeholders stand for, in the example graph.
PLACEHOLDERS = {"A": "Yiping Wang", "B": "Hong Chen 0004", "AUTHOR": "Yiping Wang", "NAME": "Liyuan Liu"}


@dataclass
class Shown:
    line: str  # as the README has it (comment removed, continuations joined)
    words: list[str]


def shown_commands() -> list[Shown]:
    """Every shell line of the README's code blocks (```sh or plain), continuations joined."""
    text = README.read_text(encoding="utf-8")
    found: list[Shown] = []
    for lang, block in re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S):
        if lang not in ("", "sh", "bash", "shell"):
            continue
        joined = re.sub(r"\\\n\s*", " ", block)
        for raw in joined.splitlines():
            line = raw.strip()
            words = _split(line)
            if words and (words[0] in ("kg", "curl") or any(line.startswith(p) for p in ELSEWHERE)):
                found.append(Shown(" ".join(words), words))
    return found


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return []  # prose in a plain block (an apostrophe), not a command


def test_the_readme_shows_commands() -> None:
    lines = [s.line for s in shown_commands()]
    assert sum(1 for x in lines if x.startswith("kg ")) >= 15, lines


class Place:
    """The temporary world the README's commands run in."""

    def __init__(self, root: Path, server: HTTPServer) -> None:
        self.root = root
        self.server = server
        self.home = root / "home"
        self.example_store = root / "home" / "example-store"
        self.cwd = root / "cwd"
        self.cwd.mkdir(parents=True)
        raw = DATA / "dblp" / "raw"
        shutil.copy(raw / "dblp.dtd", self.cwd / "dblp.dtd")
        import gzip

        with gzip.open(self.cwd / "dblp.xml.gz", "wb") as f:
            f.write((raw / "dblp_raw.xml").read_bytes())
        (root / "elsewhere").mkdir()
        shutil.copy(raw / "dblp.dtd", root / "elsewhere" / "dblp.dtd")
        shutil.copytree(EXAMPLE, self.cwd / "rows")
        self.serve: subprocess.Popen[bytes] | None = None
        self.port = 0

    def stop(self) -> None:
        if self.serve is not None:
            self.serve.terminate()
            self.serve.wait(10)
            self.serve = None

    def words(self, words: list[str]) -> list[str]:
        out = []
        for w in words:
            w = w.replace("~/", f"{self.home}/").replace("/srv/kg", str(self.root / "srv-kg"))
            w = w.replace("/elsewhere/", f"{self.root}/elsewhere/")
            if w == "DIR":
                w = str(self.example_store)
            w = PLACEHOLDERS.get(w, w) if out[:1] == ["kg"] else w
            if self.port:
                for host in ("127.0.0.1", "localhost"):
                    w = w.replace(f"{host}:7878", f"{host}:{self.port}")
            out.append(w)
        return out


def _run(place: Place, words: list[str], line: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(place.home), "PYTHONUNBUFFERED": "1"}
    env.pop("KG_STORE", None)
    env.pop("KG_ENDPOINT", None)
    expanded: list[str] = []
    for w in words:  # the shell's globs (`shards/part-*.nq.gz`)
        matches = sorted(str(p.relative_to(place.cwd)) for p in place.cwd.glob(w)) if "*" in w else []
        expanded += matches or [w]
    result = subprocess.run(expanded, capture_output=True, text=True, cwd=place.cwd, env=env, timeout=300)
    assert result.returncode == 0, (
        f"README line failed: {line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}\n"
        "(if another test runs this line, add its start to ELSEWHERE in tests/test_readme_commands.py)"
    )
    return result


def _kg(words: list[str]) -> list[str]:
    return [sys.executable, "-m", "kg", *words[1:]]


def _start_serve(place: Place, words: list[str], line: str) -> None:
    place.stop()
    place.port = free_port()
    args = [*words, "--port", str(place.port)]
    log = place.root / f"serve-{place.port}.log"
    with open(log, "wb") as out:
        place.serve = subprocess.Popen(_kg(args), stdout=out, stderr=subprocess.STDOUT, cwd=place.cwd)
    for _ in range(300):
        assert place.serve.poll() is None, f"README line failed: {line}\n" + log.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{place.port}/sparql?query=ASK%7B%7D", timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail(f"README line did not start serving: {line}")


def _replay(server: HTTPServer) -> None:
    """The recorded answers the README's `kg fetch` lines get from the local server."""
    fetch = DATA / "fetch"
    server.expect_request("/search/author/api").respond_with_data(
        (fetch / "dblp_search_author.json").read_bytes(), content_type="application/json")
    for pid in ("143/6275", "36/2727"):
        body = (fetch / f"dblp_person_{pid.replace('/', '-')}.xml").read_bytes()
        server.expect_request(f"/pid/{pid}.xml").respond_with_data(body, content_type="application/xml")
    page = json.loads((DATA / "openalex" / "page.json").read_text(encoding="utf-8"))
    page["meta"]["next_cursor"] = None

    def works(request: Request) -> Response:
        return Response(json.dumps(page if request.args.get("cursor") == "*" else {**page, "results": []}),
                        content_type="application/json")

    server.expect_request("/works").respond_with_handler(works)
    work = json.loads((DATA / "crossref" / "work.json").read_text(encoding="utf-8"))

    def crossref(request: Request) -> Response:
        doi = request.path.removeprefix("/works/")
        return Response(json.dumps({**work, "message": {**work["message"], "DOI": doi, "URL": f"https://doi.org/{doi}"}}),
                        content_type="application/json")

    server.expect_request(re.compile(r"/works/10\..+")).respond_with_handler(crossref)


@pytest.fixture
def place(tmp_path: Path, httpserver: HTTPServer) -> Iterator[Place]:
    _replay(httpserver)
    p = Place(tmp_path, httpserver)
    # the store the README calls DIR: the example, as `kg demo` builds it
    _run(p, [sys.executable, "-m", "kg", "build", str(EXAMPLE), "--store", str(p.example_store)], "kg build (DIR)")
    try:
        yield p
    finally:
        p.stop()


def test_every_command_the_readme_shows_runs(place: Place) -> None:
    ran: list[str] = []
    for shown in shown_commands():
        if any(shown.line.startswith(p) for p in ELSEWHERE):
            continue
        words = place.words(shown.words)
        if words[0] == "curl":
            assert place.serve is not None, f"a curl line before any `kg serve` line: {shown.line}"
            result = _run(place, [*words[:1], "-sS", "--fail", *words[1:]], shown.line)
            assert result.stdout.strip(), shown.line
        elif words[:2] == ["kg", "serve"]:
            _start_serve(place, words, shown.line)
        else:
            if words[:2] == ["kg", "fetch"]:
                words = [*words, "--base-url", place.server.url_for("/").rstrip("/")]
            for variant in _optional_variants(words):
                _run(place, _kg(variant), shown.line)
        ran.append(shown.line)
    assert len(ran) >= 15


def _optional_variants(words: list[str]) -> list[list[str]]:
    """`kg coauthors X --store DIR [--format json]`: run without and with the bracketed words."""
    without: list[str] = []
    with_: list[str] = []
    depth = 0
    for w in words:
        opens = w.startswith("[")
        depth += opens
        inside = depth > 0
        depth -= w.endswith("]")
        plain = w.lstrip("[").rstrip("]")
        with_.append(plain)
        if not inside:
            without.append(plain)
    return [without] if without == with_ else [without, with_]
