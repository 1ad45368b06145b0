"""Every command has help, is documented in the README, and `python -m kg` and `kg demo` work."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kg.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_has_help_and_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    runner = CliRunner()
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help, f"kg {name} has no help text"
        assert f"kg {name}" in readme, f"kg {name} is not documented in README.md"


def _rows_of(table: str, command: str) -> str:
    """The rows of docs/commands.md's table whose first cell shows `command` (`kg curate undo` is
    shown as `kg curate list|undo ID|...`), joined."""
    *group, leaf = command.split()
    shown = re.compile(re.escape(" ".join(group)) + r" (?:[\w-]+(?: [A-Z]+)?\\?\|)*" + re.escape(leaf) + r"(?![\w-])")
    return "\n".join(row for row in table.splitlines() if row.startswith("| `kg") and shown.search(row.split(" | ")[0]))


def _options(command: click.Command) -> list[tuple[str, ...]]:
    """Each option's spellings (`-o`, `--output`; `--optimize`, `--no-optimize`), --help left out."""
    return [(*p.opts, *p.secondary_opts) for p in command.params
            if isinstance(p, click.Option) and p.name != "help"]


def test_every_option_of_every_command_is_in_the_commands_page() -> None:
    """The README sends a reader to docs/commands.md for "every option": each one --help lists is in
    its command's row (a flag pair by either spelling or `--[no-]NAME`; --endpoint and --index by the
    paragraph under the table), and each option a row's synopsis shows is one of its commands'."""
    page = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    table = page.split("\n\n| command |")[1].split("\n\n")[0]
    remote = page.split("Every command that reads a store (")[1].split("\n\n")[0]
    missing = []
    for name, command in _commands(main):
        rows = _rows_of(table, name)
        assert rows, f"{name} has no row in docs/commands.md"
        reads_remote = f"`{name.split()[1]}`" in remote.split(")")[0]
        for spellings in _options(command):
            said = [o for o in spellings if re.search(re.escape(o) + r"(?![\w-])", rows)]
            said += [o for o in spellings if o.startswith("--") and f"--[no-]{o[2:]}" in rows]
            if not said and not (reads_remote and spellings[0] in ("--endpoint", "--index")):
                missing.append(f"{name} {'/'.join(spellings)}")
        for row in rows.splitlines():
            synopsis = " ".join(re.findall(r"`([^`]*)`", row.split(" | ")[0]))
            for shown in re.findall(r"(?<![\w-])(--(?:\[no-\])?[a-z][\w-]*|-[a-z])(?![\w-])", synopsis):
                owners = [c for n, c in _commands(main) if n.split()[1] == name.split()[1]]
                spelt = shown.replace("[no-]", "")
                assert any(spelt in {o for s in _options(c) for o in s} for c in owners), (name, shown)
    assert not missing, "options --help lists that docs/commands.md does not: " + ", ".join(missing)


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "kg", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("kg, version")


def test_demo_builds_and_shows_the_example(tmp_path: Path) -> None:
    store = tmp_path / "demo"
    result = CliRunner().invoke(
        main, ["demo", "--store", str(store), "--no-serve"] if _has_serve_flag() else ["demo", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    assert "papers: 21" in result.output
    assert "Liyuan Liu — 21 papers, 2 author rows" in result.output


def _has_serve_flag() -> bool:
    demo = main.commands["demo"]
    return any("--no-serve" in getattr(p, "secondary_opts", []) or "--no-serve" in p.opts for p in demo.params)


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    """Usage errors, click's own included, are one `kg: error:` line on stderr with exit code 2, as the README says."""
    runner = CliRunner()
    cases = [
        ["build"],  # a missing argument
        ["--bogus"],  # an unknown option of the group
        ["nosuch"],  # an unknown command
        ["fetch", "nosuch"],  # an unknown subcommand
        ["fetch", "openalex", "-o", str(tmp_path / "f")],  # the command's own UsageError
        ["query", "ASK {}", "--store", str(tmp_path), "--param", "bad"],  # a BadParameter
        ["cluster", "x", "--store", str(tmp_path), "--format", "yaml"],  # a bad choice
    ]
    for args in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "", args
        [line] = result.stderr.splitlines()
        assert line.startswith("kg: error: ") and "--help')" in line, (args, line)
    missing = runner.invoke(main, ["build"], prog_name="kg").stderr
    assert missing == "kg: error: Missing argument 'INPUTS...' (see 'kg build --help')\n"
    # a bare group still shows its help
    assert "Commands:" in runner.invoke(main, ["fetch"]).output
    real = subprocess.run([sys.executable, "-m", "kg", "stats"], capture_output=True, text=True)
    assert real.returncode == 2 and real.stderr.count("\n") == 1 and real.stderr.startswith("kg: error: ")


def _commands(group: click.Group, prefix: str = "kg") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append((f"{prefix} {name}", command))
    return found


def test_every_store_option_defaults_to_kg_store(tmp_path: Path) -> None:
    """After `kg demo` (which prints the line to set it), KG_STORE stands for --store in every command."""
    with_store = [name for name, cmd in _commands(main) if any(p.name == "store" for p in cmd.params)]
    assert len(with_store) >= 10
    for name, cmd in _commands(main):
        for p in cmd.params:
            if p.name == "store" and name != "kg demo":  # the demo keeps its own store
                assert p.envvar == "KG_STORE", name
    store = tmp_path / "demo"
    runner = CliRunner()
    demo = runner.invoke(main, ["demo", "--store", str(store)])
    assert demo.exit_code == 0, demo.output
    assert f"export KG_STORE={store}" in demo.stdout
    result = runner.invoke(main, ["cluster", "liyuan liu"], env={"KG_STORE": str(store)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Liyuan Liu — 21 papers, 2 author rows")
    stats = runner.invoke(main, ["stats", "--format", "json"], env={"KG_STORE": str(store)})
    assert '"papers": 21' in stats.stdout
    missing = runner.invoke(main, ["stats"], env={"KG_STORE": ""}, prog_name="kg")
    assert missing.exit_code == 2 and "KG_STORE" in missing.stderr


def test_a_busy_port_is_one_line(example_store: Path, tmp_path: Path) -> None:
    """`kg serve` and `kg demo --serve` on a port in use: one `kg: error:` line naming the address, exit
    code 1, before anything says it is serving."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for args in (
            ["serve", "--store", str(example_store), "--port", str(port)],
            ["demo", "--store", str(tmp_path / "demo"), "--serve", "--port", str(port)],
        ):
            result = subprocess.run(
                [sys.executable, "-m", "kg", *args], capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 1, result.stderr
            assert result.stderr.splitlines()[-1] == (
                f"kg: error: --host/--port: cannot listen on 127.0.0.1:{port}: Address already in use"
            )
            assert "serving" not in result.stderr and "Traceback" not in result.stderr
        unknown = subprocess.run(
            [sys.executable, "-m", "kg", "serve", "--store", str(example_store), "--host", "192.0.2.1"],
            capture_output=True, text=True, timeout=60,
        )  # TEST-NET-1: not an address of this machine
        assert unknown.returncode == 1 and unknown.stderr.startswith("kg: error: --host/--port: cannot listen on")
        assert len(unknown.stderr.splitlines()) == 1


@pytest.mark.parametrize("any_port", [False, True], ids=["port", "port-0"])
def test_demo_serves_its_iris_at_the_port_it_listens_on(tmp_path: Path, any_port: bool) -> None:
    """`kg demo --serve --port P` shows (and dereferences) IRIs under http://localhost:P/, not :7878;
    with --port 0, the free port the system chose, in the IRIs and the lines that say where it serves
    (they said port 0: IRIs under http://localhost:0/ and no way to know where it listened)."""
    import requests
    from server_fixtures import free_port

    store = tmp_path / "demo"
    CliRunner().invoke(main, ["demo", "--store", str(store)])  # built for the default port first
    port = 0 if any_port else free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "kg", "demo", "--store", str(store), "--serve", "--port",
                                 str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if port or (said := re.search(r"serving the example graph at http://127\.0\.0\.1:(\d+)/", log.read_text())):
                port = port or int(said.group(1))
                break
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        assert port, log.read_text()
        base = f"http://localhost:{port}/"
        page = None
        for _ in range(300):
            try:
                # a worker's first page (its store opened, its templates compiled) on 2 shared cores: seconds
                page = requests.get(f"http://127.0.0.1:{port}/clusters/Liyuan%20Liu", timeout=30)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.1)
        assert page is not None and page.status_code == 200, log.read_text()
        assert f"{base}author/liyuan-liu-a" in page.text and "localhost:7878" not in page.text
        iri = requests.get(f"{base}author/liyuan-liu-a", headers={"Accept": "text/turtle"}, timeout=10)
        assert iri.status_code == 200 and f"<{base}author/liyuan-liu-a>" in iri.text
        assert f"its IRIs under {base}" in log.read_text()
        for _ in range(100):  # the supervisor's line, once its workers are started
            if f"on http://127.0.0.1:{port}/sparql" in log.read_text():
                break
            time.sleep(0.1)
        assert f"on http://127.0.0.1:{port}/sparql" in log.read_text(), log.read_text()
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_reader_that_goes_away_ends_the_command_quietly(example_store: Path) -> None:
    """`kg export ... | head -1`: the pipe closes under kg's feet; no "Broken pipe" line, the exit of a tool
    that SIGPIPE ended (141), as `seq 1 1000000 | head -1` does."""
    proc = subprocess.Popen([sys.executable, "-m", "kg", "export", "--store", str(example_store), "--format", "nt"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes; the export has more than a pipe's buffer still to write
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert first.startswith(b"<") and err == ""


def test_ctrl_c_is_one_line_and_exit_130(example_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.stats

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(kg.stats, "compute_stats", interrupted)
    result = CliRunner().invoke(main, ["stats", "--endpoint", "http://127.0.0.1:9/sparql"])
    assert result.exit_code == 130
    assert result.output.strip() == "kg: interrupted"


def test_export_format_and_output_errors(example_store: Path, tmp_path: Path) -> None:
    """A wrong --format is a usage error (exit 2, with the help pointer); a file that cannot be written is
    named as the user gave it, not as the hidden file written first."""
    bad = CliRunner().invoke(main, ["export", "--store", str(example_store), "--format", "foo"])
    assert bad.exit_code == 2
    assert "'foo'" in bad.output and "ttl" in bad.output and "export --help'" in bad.output
    missing = tmp_path / "no-such-dir" / "x.ttl"
    unwritable = CliRunner().invoke(main, ["export", "--store", str(example_store), "--format", "ttl",
                                           "-o", str(missing)])
    assert unwritable.exit_code == 1
    assert f"-o {missing}:" in unwritable.output and ".part-" not in unwritable.output


def test_an_input_of_no_known_kind_says_which_kinds_are(tmp_path: Path) -> None:
    stray = tmp_path / "things.json"
    stray.write_text('{"a": 1}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(stray), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "things.json: not a dblp XML, OpenAlex, Crossref or rows (CSV tables) input" in result.output


def test_serving_a_store_at_a_port_its_iris_do_not_name_warns(example_store: Path, tmp_path: Path) -> None:
    """The example is built under http://localhost:7878/; served on another port its pages' links lead
    elsewhere: `kg serve` says so at start, naming the base and the rebuild, and still serves."""
    from server_fixtures import running

    with running(example_store, log=tmp_path / "serve.log") as server:
        port = server.url.rsplit(":", 1)[1]
        text = server.log_text()
    assert "kg serve: warning: the store's IRIs are under http://localhost:7878/" in text
    assert f"--base-iri http://localhost:{port}/" in text
    with running(example_store, "--base-iri", "http://localhost:7878/", log=tmp_path / "given.log") as server:
        assert "warning" not in server.log_text()


@pytest.mark.parametrize(("base", "host", "port", "warned"), [
    ("http://localhost:7878/", "127.0.0.1", 7878, False),
    ("http://localhost:7878/", "127.0.0.1", 8000, True),
    ("http://127.0.0.1/", "127.0.0.1", 8080, True),
    ("http://[::1]:7878/", "::1", 7878, False),
    ("https://w3id.org/scholarly-kg/", "127.0.0.1", 8000, False),  # a public name: a proxy may bring it here
    ("http://example.org:8000/", "example.org", 8001, True),
    ("not an iri at all", "127.0.0.1", 8000, False),
])
def test_served_elsewhere(base: str, host: str, port: int, warned: bool) -> None:
    from kg.cli import _served_elsewhere

    assert (_served_elsewhere(base, host, port) is not None) == warned


def test_cluster_text_shows_the_probable_persons_and_the_pairs(example_store: Path) -> None:
    """`kg cluster` in text shows the probable persons its table promises, and --pairs is shown with text
    (and refused with CSV, which has one line a paper)."""
    text = CliRunner().invoke(main, ["cluster", "Liyuan Liu", "--store", str(example_store)])
    assert text.exit_code == 0, text.output
    assert "Author rows, as 2 probable persons:" in text.output and "Person 2: 1 row, 2 papers" in text.output
    assert "\n  - " in text.output and "Pairs:" not in text.output  # each person's evidence, in words
    pairs = CliRunner().invoke(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--pairs"])
    assert "Pairs:" in pairs.output and "liyuan-liu-a / liyuan-liu-b" in pairs.output
    one = CliRunner().invoke(main, ["cluster", "Adam Atkinson", "--store", str(example_store), "--pairs"])
    assert one.exit_code == 0 and "Pairs: none (1 author row; a pair needs two)" in one.output, one.output
    assert not one.output.rstrip().endswith("Pairs:")
    csv = CliRunner().invoke(main, ["cluster", "Liyuan Liu", "--store", str(example_store), "--pairs", "--format",
                                     "csv"])
    assert csv.exit_code == 2 and "--pairs is shown with --format text or json" in csv.output


SCRIPTS = {"greek": ("Γιώργος Παπαδόπουλος", "Γιωργος Παπαδοπουλος"),
           "cyrillic": ("Пётр Чайковский", "Петр Чайковский"),
           "arabic": ("مُحَمَّد العلي", "محمد العلي"),
           "latin": ("José-María García", "jose maria garcia"),
           "nfd": (unicodedata.normalize("NFD", "Zoë Müller"), "Zoe Muller")}


@pytest.fixture(scope="module")
def scripts_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = tmp_path_factory.mktemp("scripts")
    names = [written for written, _ in SCRIPTS.values()] + ["王小明"]
    lines = {"venues": [{"id": "v", "name": "Venue"}],
             "authors": [{"id": f"a{i}", "name": n} for i, n in enumerate(names)],
             "papers": [{"id": f"p{i}", "title": f"Paper {i}", "year": 2020, "venue_id": "v"}
                        for i in range(len(names))],
             "authorships": [{"paper_id": f"p{i}", "author_id": f"a{i}", "position": 1} for i in range(len(names))]}
    for table, records in lines.items():
        (rows / f"{table}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                             encoding="utf-8")
    store = tmp_path_factory.mktemp("scripts-store") / "store"
    assert CliRunner().invoke(main, ["build", str(rows), "--store", str(store)]).exit_code == 0
    return store


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_a_name_that_matches_nothing_points_to_its_loose_match(scripts_store: Path, script: str) -> None:
    """No row under the exact name, but the loose key (diacritics, punctuation and case folded) finds one:
    `kg cluster` says so, with the name as written, on stderr (standard output stays the answer)."""
    written, typed = SCRIPTS[script]
    result = subprocess.run([sys.executable, "-m", "kg", "cluster", typed, "--store", str(scripts_store)],
                            capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0
    assert "0 author rows" in result.stdout
    assert f"kg: did you mean {written!r}? `kg cluster --loose`" in result.stderr
    assert "1 author row" in result.stderr
    exact = CliRunner().invoke(main, ["cluster", written, "--store", str(scripts_store)])
    assert "1 paper, 1 author row" in exact.output and "did you mean" not in exact.output


def test_a_name_with_no_near_match_gets_no_hint(scripts_store: Path) -> None:
    result = CliRunner().invoke(main, ["cluster", "王小", "--store", str(scripts_store)])
    assert "No author row is named '王小'" in result.output and "did you mean" not in result.output
    assert "1 paper" in CliRunner().invoke(main, ["cluster", "王小明", "--store", str(scripts_store)]).output


def test_kg_query_evaluates_deep_texts_and_refuses_deeper_ones(example_store: Path, tmp_path: Path) -> None:
    """pyoxigraph recurses on a query's nesting: 3,000 nested braces killed `kg query` with SIGSEGV
    (the main thread's 8 MB stack), no message. It runs on a thread with the endpoint's evaluation
    stack now, and a text past kg.sparqltext's limits is one error line, as on the endpoint."""
    deep = tmp_path / "deep.rq"
    deep.write_text("ASK " + "{" * 3000 + "}" * 3000, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kg", "query", f"@{deep}", "--store", str(example_store)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, (run.returncode, run.stderr[-300:])
    assert json.loads(run.stdout)["boolean"] is True
    deep.write_text("ASK " + "{" * 20_000 + "}" * 20_000, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kg", "query", f"@{deep}", "--store", str(example_store)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == ("kg: error: query: the text nests 20000 levels of brackets, more than kg query evaluates"
                          " (1000)\n")
