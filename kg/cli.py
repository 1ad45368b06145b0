"""The `kg` command: each command parses its options, calls one library function, prints."""

from __future__ import annotations

import csv
import json
import shlex
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click
import pyoxigraph as ox

from kg.errors import KgError, ParameterError, QueryError
from kg.formats import EXPORT, GRAPHS, JSON, JSON_LD, RDF_XML, RESULTS, XML, find, names
from kg.version import __version__

STORE = click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path),
    required=True,
    envvar="KG_STORE",
    show_envvar=True,
    help="Store directory (default: the environment variable KG_STORE).",
)
_READ_STORE = click.option(
    "--store", "store", type=click.Path(path_type=Path), envvar="KG_STORE",
    help="Store directory (KG_STORE). Exclusive with --endpoint.",
)
_ENDPOINT = click.option(
    "--endpoint", metavar="URL", envvar="KG_ENDPOINT",
    help="A SPARQL 1.1 endpoint whose default graph is the union of its graphs, instead of a store "
    "(KG_ENDPOINT; KG_ENDPOINT_AUTHORIZATION is sent as its Authorization header).",
)
_INDEX = click.option(
    "--index", "index_dir", type=click.Path(path_type=Path, file_okay=False),
    help="With --endpoint: the co-authorship index `kg index` wrote (DIR); paths are searched locally.",
)


def _data_options(f: Any) -> Any:
    """--store DIR or --endpoint URL: where a reading command reads the graph from."""
    return _READ_STORE(_ENDPOINT(f))


def _open_data(store: Path | None, endpoint: str | None, *, index: Path | None = None,
               timeout: float | None = None) -> Any:
    """The Backend of --store or --endpoint (exactly one; one given on the command line beats the other's
    environment variable)."""
    from kg.backend import open_store
    from kg.backend.remote import RemoteBackend

    ctx = click.get_current_context()
    env = click.core.ParameterSource.ENVIRONMENT
    if store is not None and endpoint is not None:
        from_env = {n for n in ("store", "endpoint") if ctx.get_parameter_source(n) is env}
        if not from_env:
            raise click.UsageError("--store and --endpoint are exclusive: give one")
        if from_env == {"store", "endpoint"}:
            raise click.UsageError("KG_STORE and KG_ENDPOINT are both set: give --store or --endpoint")
        store, endpoint = (None, endpoint) if "store" in from_env else (store, None)
    if endpoint is not None:
        return RemoteBackend(endpoint, index=index, timeout=timeout or 30.0)
    if store is None:
        raise click.UsageError("give --store DIR or --endpoint URL (or set KG_STORE or KG_ENDPOINT)")
    if index is not None:
        raise click.UsageError("--index is for --endpoint (a store has its own index)")
    return open_store(store)


DEFAULT_DEMO_STORE = Path.home() / ".local" / "share" / "kg" / "demo"


class _Command(click.Command):
    """A command whose text values (arguments and options that are not paths) are Unicode: a byte that
    is not UTF-8 (a Latin-1 name as a shell passes it) reaches Python as a lone surrogate, which
    pyoxigraph, the indexes and the JSON writer each refuse with a traceback of their own; here it is
    one usage error naming the parameter."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        for param in self.params:
            if isinstance(param.type, click.types.StringParamType):
                _unicode_value(ctx, param, ctx.params.get(param.name or ""))
        return rest


def _unicode_value(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    for text in value if isinstance(value, tuple) else (value,):
        if not isinstance(text, str) or (param.name == "sparql" and text.startswith("@")):  # @FILE: a path
            continue
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise click.BadParameter("not valid Unicode text (a byte that is not UTF-8)",
                                     ctx=ctx, param=param) from None


class _Group(click.Group):
    """Turns library errors into one clear line on stderr and exit code 1, and usage errors (click's
    own, of every command) into one such line too, with exit code 2."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as e:
            _usage_error(e)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except KeyboardInterrupt:
            click.echo("kg: interrupted", err=True)
            ctx.exit(130)
        except KgError as e:
            click.echo(f"kg: error: {e}", err=True)
            ctx.exit(2 if isinstance(e, ParameterError) else 1)
        except click.UsageError as e:
            _usage_error(e)
        except OSError as e:
            # A file system's refusal the library did not name more precisely (a full disk, a
            # read-only one, permissions): the OS's words and the file, without a traceback.
            click.echo(f"kg: error: {e.filename + ': ' if e.filename else ''}{e.strerror or e}", err=True)
            ctx.exit(1)


_Group.command_class = _Command


def _quiet_broken_pipe() -> NoReturn:
    """The reader of our output went away (`kg export ... | head`): stop without a word, as standard tools
    do, and exit as they do when SIGPIPE ends them (128 + 13). Standard output is pointed at /dev/null first,
    so that the interpreter's last flush does not fail again on the closed pipe."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise click.exceptions.Exit(141)


def _usage_error(e: click.UsageError) -> NoReturn:
    """One line, `kg: error: MESSAGE (see 'kg CMD --help')`, exit code 2; a bare group still shows its help."""
    if isinstance(e, click.exceptions.NoArgsIsHelpError):
        raise e
    where = f" (see '{e.ctx.command_path} --help')" if e.ctx is not None else ""
    click.echo(f"kg: error: {e.format_message().rstrip('.')}{where}", err=True)
    raise click.exceptions.Exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """Scholarly metadata into a linked-data knowledge graph (Oxigraph), with name clusters.

    New here? `kg demo` builds the bundled example and shows its "Liyuan Liu" name cluster; `kg demo
    --serve` then serves it at http://127.0.0.1:7878/. Your own data: `kg build FILE --store DIR`, then
    `kg serve --store DIR`. `kg COMMAND --help` tells the rest."""


def _source_options(f: Any) -> Any:
    from kg.iris import DEFAULT_BASE_IRI
    from kg.sources import KINDS

    dtd_help = "dblp.dtd for raw dblp XML (default: the one beside the file)."
    f = click.option("--dtd", type=click.Path(path_type=Path, dir_okay=False), help=dtd_help)(f)
    f = click.option(
        "--rejects", type=click.Path(path_type=Path), help="Where rejected rows are written as JSON lines."
    )(f)
    f = click.option("--strict", is_flag=True, help="Fail on the first malformed row and change nothing.")(f)
    f = click.option(
        "--base-iri", default=DEFAULT_BASE_IRI, show_default=True, help="Base of the IRIs minted for resources."
    )(f)
    f = click.option(
        "--from", "kind", type=click.Choice(["auto", *KINDS]), default="auto", show_default=True, help="Input kind."
    )(f)
    return click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))(f)


_OPTIMIZE = click.option(
    "--optimize/--no-optimize",
    default=True,
    show_default=True,
    help="Compact the new store before the swap (as `oxigraph optimize`). --no-optimize leaves it as "
    "`oxigraph load` does: a faster build, much slower range queries until it is rebuilt.",
)


@main.command()
@_source_options
@STORE
@click.option("--add", is_flag=True, help="Keep the store's other sources; replace only these inputs' source graphs.")
@click.option(
    "--validate", "check", is_flag=True, help="Validate the new graph with the SHACL shapes; swap only if it conforms."
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="2: map in a worker process while loading (default: large inputs)."
)
@_OPTIMIZE
@click.option("--ledger/--no-ledger", default=True, show_default=True,
              help="Keep the digests `kg sync` compares with (computed while loading); without, the first "
                   "sync reads them from the store.")
@click.option("--search-overlap/--no-search-overlap", default=True, show_default=True,
              help="With a worker: write the search index while the steps after the load run (on the other "
                   "core); without, before the load ends.")
@click.option("--search-start", type=click.Choice(["order", "load"]), default="order", show_default=True,
              help="With --search-overlap: the worker begins writing the search index when the big clusters' "
                   "order begins (order) or as soon as the load is over (load).")
def build(
    inputs: tuple[Path, ...],
    store: Path,
    kind: str,
    base_iri: str,
    strict: bool,
    rejects: Path | None,
    dtd: Path | None,
    add: bool,
    check: bool,
    workers: int | None,
    optimize: bool,
    ledger: bool,
    search_overlap: bool,
    search_start: str,
) -> None:
    """Map INPUTS to RDF and load them into a new store at --store, swapped in only on success."""
    from kg.build import build as run
    from kg.validate import require_valid

    report = run(
        list(inputs),
        store,
        kind=kind,
        base_iri=base_iri,
        strict=strict,
        rejects=rejects,
        progress=True,
        add=add,
        dtd=dtd,
        check=require_valid if check else None,
        workers=workers,
        optimize=optimize,
        ledger=ledger,
        search_overlap=search_overlap,
        search_start=search_start,
    )
    click.echo(f"{report.summary()} -> {store}", err=True)
    _curation_warnings(store)


@main.command()
@_source_options
@click.option("--store", type=click.Path(path_type=Path), envvar="KG_STORE", show_envvar=True,
              help="The store directory to sync (default: the environment variable KG_STORE).")
@click.option("--endpoint", help="Or a remote engine's SPARQL query endpoint (with --update-endpoint and --index).")
@click.option("--update-endpoint", help="The remote engine's SPARQL update endpoint.")
@click.option("--index", "index", type=click.Path(path_type=Path, file_okay=False),
              help="With --endpoint: the local index directory (`kg index -o DIR`), kept current.")
@click.option(
    "--max-change", default="5%", show_default=True,
    help="Refuse the sync (and change nothing) when more than this share of a kind of resource would change.",
)
@click.option("--validate/--no-validate", "check", default=True, show_default=True,
              help="Check the touched resources against the SHACL shapes before the swap (a store only).")
@click.option("--validate-with", "engine", type=click.Choice(["store", "pyshacl"]), default="store",
              show_default=True,
              help="store: the core shapes as SPARQL on the store (pyshacl for a shape it does not understand); "
                   "pyshacl: every shape in pyshacl, on each chunk's neighbourhood.")
@click.option(
    "--workers", type=click.IntRange(min=1), help="2: map in a worker process (default: large inputs)."
)
@click.option("--whole-derived", is_flag=True,
              help="Recompute the derived data for the whole graph, as a build does (default: for the name "
                   "keys the change touches, when it touches fewer than a fifth of them; a store only).")
def sync(
    inputs: tuple[Path, ...],
    store: Path | None,
    endpoint: str | None,
    update_endpoint: str | None,
    index: Path | None,
    kind: str,
    base_iri: str,
    strict: bool,
    rejects: Path | None,
    dtd: Path | None,
    max_change: str,
    check: bool,
    engine: str,
    workers: int | None,
    whole_derived: bool,
) -> None:
    """Bring --store (or a remote engine) to what INPUTS hold now, writing only the records that changed.

    INPUTS are whole: a record they no longer hold is deleted. Only the source graphs of their kinds
    change; the derived data follows; a store is swapped atomically, or left as it was.
    """
    from kg.sync.gate import parse_share

    try:
        share = parse_share(max_change)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--max-change") from None
    if endpoint is not None and store is not None and _from_environment("store"):
        store = None  # KG_STORE set, and an engine named: the engine is what this sync is for
    if (store is None) == (endpoint is None):
        raise click.UsageError("give --store DIR, or --endpoint URL with --update-endpoint URL and --index DIR")
    if endpoint is not None:
        if update_endpoint is None or index is None:
            raise click.UsageError("--endpoint needs --update-endpoint URL and --index DIR")
        from kg.sync.remote import sync_remote

        done = sync_remote(list(inputs), endpoint, update_endpoint, index, kind=kind, base_iri=base_iri,
                           strict=strict, rejects=rejects, dtd=dtd, max_change=share)
        click.echo(f"{done.summary()} -> {endpoint}", err=True)
        return
    assert store is not None
    from functools import partial

    from kg.sync.embedded import sync as run
    from kg.validate import require_valid_subjects

    done = run(
        list(inputs), store, kind=kind, base_iri=base_iri, strict=strict, rejects=rejects, dtd=dtd,
        workers=workers, max_change=share, progress=True,
        validate=partial(require_valid_subjects, engine=engine) if check else None, whole_derived=whole_derived,
    )
    click.echo(f"{done.summary()} -> {store}", err=True)
    if not done.up_to_date:
        _curation_warnings(store)


def _from_environment(param: str) -> bool:
    """True when the current command's `param` came from its environment variable, not the line."""
    ctx = click.get_current_context()
    return ctx.get_parameter_source(param) is click.core.ParameterSource.ENVIRONMENT


def _curation_warnings(store: Path) -> None:
    """The corrections by hand the build could not apply, one warning each (build.json has them)."""
    from kg.identity.curation import CONFLICT, Correction, Outcome, not_applied_lines
    from kg.store import StoreDir

    found = StoreDir(store).meta().get("curations") or {}
    outcomes = [Outcome(Correction.from_json(o), str(o.get("status", CONFLICT)), str(o.get("note", "")))
                for o in found.get("not_applied", [])]
    for line in not_applied_lines(outcomes):
        click.echo(f"kg: warning: {line}", err=True)


@main.command()
@_source_options
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True,
    help="N-Quads file (.nq or .nq.gz), or a directory (DIR/ or with --shards) for shards.",
)
@click.option("--shards", type=click.IntRange(1, 256), help="Write N shards DIR/part-00000.nq.gz ... (DIR/ alone: 1).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Shard-writing processes.")
def etl(
    inputs: tuple[Path, ...],
    output: Path,
    kind: str,
    base_iri: str,
    strict: bool,
    rejects: Path | None,
    dtd: Path | None,
    shards: int | None,
    workers: int,
) -> None:
    """Map INPUTS to N-Quads without loading them: one file, or shards for a distributed engine."""
    if shards is not None or str(output).endswith("/") or output.is_dir():
        from kg.shards import etl_shards

        report = etl_shards(
            list(inputs), output, shards=shards or 1, workers=workers, kind=kind, base_iri=base_iri, strict=strict,
            rejects=rejects, progress=True, dtd=dtd,
        )
    else:
        from kg.streaming import etl as run

        report = run(
            list(inputs), output, kind=kind, base_iri=base_iri, strict=strict, rejects=rejects, progress=True, dtd=dtd
        )
    click.echo(f"{report.summary()} -> {output}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@STORE
@click.option("--add", is_flag=True, help="Add to the store's current content instead of replacing it.")
@_OPTIMIZE
def load(files: tuple[Path, ...], store: Path, add: bool, optimize: bool) -> None:
    """Load RDF FILES (N-Quads, N-Triples, Turtle, TriG, JSON-LD, RDF/XML; .gz allowed) into --store."""
    from kg.build import load as run
    from kg.store import StoreDir

    report = run(list(files), store, add=add, optimize=optimize)
    click.echo(f"{report.triples:,} triples in {report.seconds:.1f} s -> {store}", err=True)
    taken = StoreDir(store).meta().get("curations_taken_in") or []
    if taken:
        click.echo(f"{len(taken)} corrections by hand taken in from the files (kg curate list): "
                   + ", ".join(f"#{i}" for i in taken), err=True)
    _curation_warnings(store)




@main.command()
@click.argument("sparql", required=False)
@_data_options
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind ?NAME (repeatable). VALUE: text, <iri> or an N-Triples literal.",
)
@click.option(
    "--format",
    "fmt",
    metavar="FORMAT",
    help=f"Output format: {names(RESULTS)} for SELECT/ASK (default json); {names(GRAPHS)} for CONSTRUCT/DESCRIBE"
    " (default ttl).",
)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and their parameters.")
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="HOST",
    help="Host that SERVICE and LOAD may reach (repeatable); all others are refused, as by kg serve.",
)
def query(
    sparql: str | None,
    store: Path | None,
    endpoint: str | None,
    params: tuple[str, ...],
    fmt: str | None,
    list_queries: bool,
    allow_service: tuple[str, ...],
) -> None:
    """Run SPARQL (text, @FILE.rq, or the name of a query in queries/) over the union of all graphs.

    The answer is written once it is complete: an error while it is computed leaves no partial output.
    """
    from kg.backend.remote import RemoteBackend
    from kg.queries import NamedQuery, all_named, execute, named, parse, parse_cli_value
    from kg.sparqltext import Refused, check_outbound, check_shape, lex

    if list_queries:
        for q in all_named():
            args = " ".join(f"--param {p}=…" for p in q.params)
            click.echo(f"{q.name:28} {q.title}  {args}")
        return
    if not sparql:
        raise click.UsageError("give SPARQL text, @FILE.rq or a named query (see --list)")
    if fmt is not None and find(fmt, RESULTS) is None and find(fmt, GRAPHS) is None:
        raise click.BadParameter(f"{fmt!r}: one of {names(RESULTS)} (SELECT/ASK) or {names(GRAPHS)}"
                                 " (CONSTRUCT/DESCRIBE)", param_hint="--format")
    bound: dict[str, object] = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--param")
        bound[name.lstrip("?$")] = parse_cli_value(value, name)
    target: Any
    if sparql.startswith("@"):
        path = Path(sparql[1:])
        if not path.is_file():
            raise click.BadParameter(f"{path}: no such file", param_hint="SPARQL")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise click.BadParameter(f"{path}: not UTF-8 text (byte {e.start}: {e.reason})",
                                     param_hint="SPARQL") from None
        target = parse(path.stem, text)
        if not target.params:
            target = target.text
    elif "{" not in sparql and " " not in sparql.strip():
        target = named(sparql)
    else:
        target = sparql
    try:
        text = target.text if isinstance(target, NamedQuery) else target
        check_outbound(lex(text), frozenset(h.lower() for h in allow_service), None, "kg query", "--allow-service")
        check_shape(text, "kg query")
    except Refused as e:
        raise QueryError(f"query: {e}") from None

    def answer() -> None:
        results: Any
        with _open_data(store, endpoint) as backend:
            if isinstance(backend, RemoteBackend):
                results = backend.results(target, bound)  # normalised, read whole
            else:
                results = execute(backend.store, target, bound)
        out = _Answer()
        if isinstance(results, ox.QueryTriples | list):
            rdf = find(fmt or "ttl", GRAPHS)
            if rdf is None or rdf.rdf is None:
                raise click.BadParameter(f"{fmt} is for SELECT/ASK results; use {names(GRAPHS)}", param_hint="--format")
            if isinstance(results, list):  # a remote engine's triples (RemoteBackend.results)
                ox.serialize(results, out, rdf.rdf)
            else:
                _serialize(results, out, rdf.rdf)
            chosen = rdf
        else:
            res = find(fmt or "json", RESULTS)
            if res is None or res.results is None:
                raise click.BadParameter(
                    f"{fmt} is for CONSTRUCT/DESCRIBE results; use {names(RESULTS)}", param_hint="--format"
                )
            _serialize(results, out, res.results)
            chosen = res
        out.write_to(sys.stdout.buffer)
        if chosen in (JSON, XML, RDF_XML, JSON_LD):  # their serialisations end without a newline
            click.echo()

    _on_eval_stack(answer)


def _on_eval_stack(work: Callable[[], None]) -> None:
    """Runs `work` on a thread with the endpoint's evaluation stack (kg.sparqltext.EVAL_STACK): pyoxigraph
    recurses on a query's nesting, and the main thread's 8 MB died of SIGSEGV at 2,100 nested braces."""
    import threading
    import traceback

    from click.globals import pop_context, push_context

    from kg.sparqltext import EVAL_STACK

    failed: list[BaseException] = []
    ctx = click.get_current_context()  # click keeps it per thread

    def run() -> None:
        push_context(ctx)
        try:
            work()
        except BaseException as e:  # noqa: BLE001  # raised again on the caller's thread
            failed.append(e)
            seen: BaseException | None = e
            while seen is not None:  # pyoxigraph's results may be dropped on their own thread only
                traceback.clear_frames(seen.__traceback__)
                seen = seen.__cause__ or seen.__context__
        finally:
            pop_context()

    previous = threading.stack_size(EVAL_STACK)
    try:
        thread = threading.Thread(target=run, name="kg-query")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if failed:
        raise failed[0]


def _serialize(results: Any, out: IO[bytes], fmt: Any) -> None:
    """Serialises (and so evaluates) a query's results; an evaluation error is a QueryError."""
    try:
        results.serialize(out, fmt)
    except OSError as e:  # what pyoxigraph raises for a failed SERVICE request
        raise QueryError(f"query: evaluation failed: {e}") from None


class _Answer(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
    """A query's answer, in memory up to 64 MB and in a temporary file past that, written out only
    once complete: results are computed while they are serialised, so an evaluation error
    (a SERVICE that cannot be reached, a type error in a function) would otherwise leave half a
    document on stdout. Such an error is one `kg: error: query: ...` line."""

    def __init__(self) -> None:
        super().__init__(max_size=64 << 20, mode="w+b")

    def write_to(self, target: IO[bytes]) -> None:
        self.seek(0)
        shutil.copyfileobj(self, target)
        target.flush()
        self.close()


def _export_format(value: str) -> str:
    """--format of `kg export`, checked while the options are parsed: a wrong one is a usage error (exit 2)."""
    if find(value, EXPORT) is None:
        raise click.BadParameter(f"{value!r}: one of {names(EXPORT)}", param_hint="'--format'")
    return value


@main.command()
@_data_options
@click.option(
    "--format",
    "fmt",
    metavar="FORMAT",
    required=True,
    callback=lambda ctx, param, value: _export_format(value),
    help=f"RDF format: {names(EXPORT)}.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output file (.gz compresses); stdout if absent.")
@click.option("--graph", help="Only this named graph (triple formats merge all graphs otherwise).")
def export(store: Path | None, endpoint: str | None, fmt: str, output: Path | None, graph: str | None) -> None:
    """Write the whole store in an RDF format, streaming. JSON-LD is compacted with ontology/context.jsonld.

    With --endpoint the graph is first copied into memory, 5,000 quads a request."""
    from kg.backend.remote import RemoteBackend
    from kg.export import export as run

    with _open_data(store, endpoint) as backend:
        if isinstance(backend, RemoteBackend):
            run(None, fmt, output, graph, db=backend.copy(), label=backend.label)
        else:
            run(store, fmt, output, graph)


@main.command()
@_data_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def stats(store: Path | None, endpoint: str | None, fmt: str) -> None:
    """Counts of papers, author rows, venues, authorships, clusters and triples."""
    from kg.backend.remote import RemoteBackend
    from kg.stats import compute_stats
    from kg.store import StoreDir

    with _open_data(store, endpoint) as backend:
        # a store has them from its build; an endpoint is counted (stats.rq and the quads)
        sources: dict[str, Any] = {}
        if isinstance(backend, RemoteBackend):
            counts = compute_stats(backend)
        else:
            assert isinstance(backend.directory, StoreDir)
            meta = backend.directory.meta()
            counts, sources = meta["counts"], meta.get("sources") or {}
    if fmt == "json":
        click.echo(json.dumps({**counts, **({"sources": sources} if sources else {})}, indent=2, sort_keys=True))
    else:
        for k in ("papers", "authors", "venues", "authorships", "clusters", "triples"):
            click.echo(f"{k:12} {counts.get(k, 0):>12,}")
        for graph, mark in sorted(sources.items()):
            modified = f", records up to {mark['modified']}" if mark.get("modified") else ""
            click.echo(f"source       {graph}: synced {mark.get('synced_at')}{modified}")


@main.command()
@click.argument("name")
@_data_options
@click.option("--loose", is_flag=True, help="Also fold diacritics and punctuation ('José-María' ~ 'Jose Maria').")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default=None,
              help="text, json or csv [default: text; with --all: json, one paper a line].")
@click.option("--page", type=click.IntRange(min=1), default=None,
              help="Show one page of the papers (1-based, newest first); rows and counts stay the whole cluster's.")
@click.option("--page-size", type=click.IntRange(1, 500), default=None, help="Papers per page [default: 50].")
@click.option("--all", "every", is_flag=True,
              help="Stream every paper, fetched a page at a time: JSON lines (--format json) or CSV (--format csv).")
@click.option("--pairs", is_flag=True,
              help="Add the pairwise identity verdicts (text or JSON; clusters of up to 50 rows).")
def cluster(name: str, store: Path | None, endpoint: str | None, loose: bool, fmt: str | None, page: int | None,
            page_size: int | None, every: bool, pairs: bool) -> None:
    """Every paper of the author rows named NAME (case-insensitive exact match, homonym numbers merged)."""
    from kg.cluster import CSV_COLUMNS, csv_rows, render_text
    from kg.cluster import cluster as run

    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    if pairs and fmt == "csv":
        raise click.UsageError("--pairs is shown with --format text or json: CSV has one line a paper")
    if every or page is not None or page_size is not None:
        _cluster_pages(name, store, endpoint, loose, fmt, page, page_size, every, pairs)
        return
    fmt = fmt or "text"
    with _open_data(store, endpoint) as backend:
        result = run(backend, name, loose=loose, pairs=pairs)
        # nothing under the exact name: does the loose one (diacritics, punctuation) find rows? said on stderr
        hint = run(backend, name, loose=True, details=False) if not result.rows and not loose else None
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(result))
    else:
        click.echo(render_text(result), nl=False)
    if hint is not None and hint.rows:
        names = ", ".join(sorted({f"{r.name!r}" for r in hint.rows}))
        click.echo(f"kg: did you mean {names}? `kg cluster --loose` (diacritics, punctuation and case folded) "
                   f"finds {len(hint.rows)} author row{'s' * (len(hint.rows) != 1)}", err=True)


def _cluster_pages(name: str, store: Path | None, endpoint: str | None, loose: bool, fmt: str | None,
                   page: int | None, page_size: int | None, every: bool, pairs: bool = False) -> None:
    """kg cluster --page / --page-size / --all (kg.cluster_page)."""
    from kg.cluster import CSV_COLUMNS, csv_row, csv_rows, render_text
    from kg.cluster_page import PAGE_SIZE, all_papers, cluster_page
    from kg.errors import QueryError

    if every:
        if page is not None or page_size is not None:
            raise click.UsageError("--all streams every paper: give it without --page / --page-size")
        if fmt == "text":
            raise click.BadParameter("--all writes json (one paper a line) or csv", param_hint="--format")
        with _open_data(store, endpoint) as backend:
            writer = csv.writer(sys.stdout, lineterminator="\n")
            if fmt == "csv":
                writer.writerow(CSV_COLUMNS)
            for paper in all_papers(backend, name, loose=loose):
                if fmt == "csv":
                    writer.writerow(csv_row(paper))
                else:
                    sys.stdout.write(json.dumps(asdict(paper), ensure_ascii=False) + "\n")
        return
    with _open_data(store, endpoint) as backend:
        try:
            shown = cluster_page(backend, name, page=page or 1, page_size=page_size or PAGE_SIZE, loose=loose,
                                 pairs=pairs)
        except QueryError as e:
            raise click.BadParameter(str(e).partition(": ")[2], param_hint="--page") from None
    fmt = fmt or "text"
    if fmt == "json":
        click.echo(json.dumps(shown.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(shown.cluster))
    else:
        click.echo(render_text(shown.cluster, paper_count=shown.paper_count), nl=False)
        following = f"; next: --page {shown.next_page}" if shown.next_page is not None else ""
        click.echo(f"\nPage {shown.page} of {shown.pages} ({shown.page_size} papers a page){following}")


@main.command()
@click.argument("name")
@_data_options
@click.option("--loose", is_flag=True, help="Also fold diacritics and punctuation ('José-María' ~ 'Jose Maria').")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def identity(name: str, store: Path | None, endpoint: str | None, loose: bool, fmt: str) -> None:
    """Which author rows named NAME are probably one person, and why (the build's identity evidence)."""
    from kg.cluster import cluster as run
    from kg.identity.render import render_text, to_json

    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    with _open_data(store, endpoint) as backend:
        result = run(backend, name, loose=loose, details=False, pairs=True)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(result), nl=False)


BY = click.option(
    "--by",
    type=click.Choice(["author", "cluster"]),
    default="author",
    show_default=True,
    help="Nodes: author rows, or name clusters (homonym rows merged).",
)
TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0.0, min_open=True),
    default=30.0,
    show_default=True,
    help="Time budget of the search in seconds.",
)
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)


@main.command()
@click.argument("a")
@click.argument("b")
@_data_options
@_INDEX
@BY
@click.option("--max-hops", type=click.IntRange(min=0), default=6, show_default=True, help="Longest chain searched.")
@click.option("--all", "all_paths", is_flag=True, help="Every shortest path, not just the first by IRI order.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most this many paths with --all."
)
@click.option("--avoid", multiple=True, metavar="AUTHOR",
              help="A chain through none of these (repeatable; given as A and B are, a cluster with --by cluster).")
@click.option("--strongest", is_flag=True,
              help="Among the shortest chains, the one whose weakest link has most joint papers (then most in all).")
@click.option("--alternatives", type=click.IntRange(min=1), metavar="K",
              help="The K shortest simple chains, by length then IRI order (longer ones where needed).")
@TIMEOUT
@FORMAT
def path(
    a: str, b: str, store: Path | None, endpoint: str | None, index_dir: Path | None, by: str, max_hops: int,
    all_paths: bool, limit: int, avoid: tuple[str, ...], strongest: bool, alternatives: int | None, timeout: float,
    fmt: str,
) -> None:
    """The shortest co-authorship chain between A and B (author IRI, author id or name), with the joint papers."""
    import kg.paths as paths

    with _open_data(store, endpoint, index=index_dir, timeout=timeout) as backend:
        try:
            result = paths.shortest_paths(
                backend,
                a,
                b,
                by=by,  # type: ignore[arg-type]
                max_hops=max_hops,
                all=all_paths,
                limit=limit,
                timeout=timeout,
                avoid=avoid,
                strongest=strongest,
                alternatives=alternatives,
            )
        except paths.AmbiguousAuthor as e:
            _candidates(e)
    _print(result.to_json(), paths.render_text(result), fmt)


@main.command()
@click.argument("author")
@_data_options
@_INDEX
@BY
@click.option("--max-hops", type=click.IntRange(min=0), metavar="N",
              help="Count up to this distance [default: 4, or --at if farther].")
@click.option("--at", type=click.IntRange(min=1), metavar="D", help="List the authors at distance D (paged).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many with --at.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="List at most this many with --at."
)
@TIMEOUT
@FORMAT
def reach(author: str, store: Path | None, endpoint: str | None, index_dir: Path | None, by: str,
          max_hops: int | None, at: int | None, offset: int, limit: int, timeout: float, fmt: str) -> None:
    """How many authors are at each co-authorship distance from AUTHOR; with --at D, which ones at D."""
    import kg.paths as paths

    with _open_data(store, endpoint, index=index_dir, timeout=timeout) as backend:
        try:
            result = paths.reach(backend, author, by=by, max_hops=max_hops, at=at,  # type: ignore[arg-type]
                                 offset=offset, limit=limit, timeout=timeout)
        except paths.AmbiguousAuthor as e:
            _candidates(e)
    _print(result.to_json(), paths.render_reach(result), fmt)


@main.command()
@click.argument("text")
@_data_options
@_INDEX
@click.option("--kind", type=click.Choice(["name", "paper", "all"]), default="all", show_default=True,
              help="Name clusters, paper titles, or both (names first).")
@click.option("--limit", type=click.IntRange(1, 50), default=10, show_default=True, help="Results a page.")
@click.option("--page", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Which page of results (--limit results each).")
@FORMAT
def search(text: str, store: Path | None, endpoint: str | None, index_dir: Path | None, kind: str, limit: int,
           page: int, fmt: str) -> None:
    """Names and paper titles matching TEXT as typed: any case, accents or not, any word order,
    initials, prefixes of words; then papers by the words of their abstracts (kg.search; docs/search.md)."""
    from kg.search.query import for_backend, search_page

    if not text.strip():
        raise click.BadParameter("must not be empty", param_hint="TEXT")
    with _open_data(store, endpoint, index=index_dir) as backend:
        found = search_page(for_backend(backend), text, kind, page, limit)  # type: ignore[arg-type]
    lines = "".join(f"{s.kind:5}  {s.line()}\n    {s.iri}\n" + (f"    abstract: {s.snippet}\n" if s.snippet else "")
                    for s in found.results) or "no match\n"
    if found.more:
        lines += f"more: --page {page + 1}\n"
    _print(found.to_json(), lines, fmt)


@main.command()
@click.argument("author")
@_data_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def coauthors(author: str, store: Path | None, endpoint: str | None, fmt: str) -> None:
    """The co-authors of AUTHOR (author IRI, author id or name) with their numbers of joint papers."""
    import kg.paths as paths

    with _open_data(store, endpoint) as backend:
        try:
            result = paths.coauthors(backend, author)
        except paths.AmbiguousAuthor as e:
            _candidates(e)
    _print(result.to_json(), paths.render_coauthors(result), fmt)


def _candidates(error: Any) -> NoReturn:
    """A name that picks no single author row: a `kg: error:` line, then its cluster's rows to choose
    from, exit 2 (a usage error)."""
    import kg.paths as paths

    click.echo("kg: error: " + paths.render_candidates(error), err=True, nl=False)
    sys.exit(2)


def _print(data: object, text: str, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(text, nl=False)


def _serve_options(f: Any) -> Any:
    opts = [
        click.option(
            "--host",
            default="127.0.0.1",
            show_default=True,
            help="Address to listen on (0.0.0.0 exposes the endpoint to the network).",
        ),
        click.option("--port", default=7878, show_default=True, type=click.IntRange(0, 65535), help="TCP port."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _check_listen(host: str, port: int) -> int:
    """Binds the address as the workers will (then lets it go), so that a busy port or an address this
    machine does not have is one `kg: error:` line before anything says it is serving; the port bound,
    which is a free one the system chose for --port 0 (then served, and named in the IRIs of the demo
    and in the log line, which said port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            bound: int = sock.getsockname()[1]
    except OSError as e:
        raise KgError(f"--host/--port: cannot listen on {where}: {e.strerror or e}") from None
    return bound


@main.command()
@_data_options
@_INDEX
@click.option("--data-version", metavar="V",
              help="With --endpoint: the data version ETags follow (default: derived from --index's index.json; "
              "with neither, nothing is cacheable).")
@_serve_options
@click.option(
    "--base-iri",
    help="Base IRI: resources under it dereference at the same paths (default: the store's build base), and"
    " relative IRIs in queries and updates resolve against it (default: the endpoint's URL).",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a query or update may run; past that its worker process is killed and the answer is 503.",
)
@click.option(
    "--max-rows",
    default=100_000,
    show_default=True,
    type=click.IntRange(0),
    help="Cap on solutions/triples per response (0: no cap); a capped response says so in X-SPARQL-MaxRows.",
)
@click.option("--cors", is_flag=True, help="Allow cross-origin requests (Access-Control-Allow-Origin: *).")
@click.option(
    "--update-token",
    metavar="TOKEN",
    envvar="KG_UPDATE_TOKEN",
    help="Enable SPARQL Update for requests with 'Authorization: Bearer TOKEN' (env KG_UPDATE_TOKEN).",
)
@click.option(
    "--allow-update", is_flag=True, help="Enable SPARQL Update for everyone (opens the store writable; one worker)."
)
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="HOST",
    help="Host that SERVICE and LOAD may reach (repeatable); all others are refused.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Query worker processes (1 when updates are enabled).",
)
@click.option(
    "--max-body",
    default=1 << 20,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body accepted, in bytes (413 beyond).",
)
@click.option(
    "--request-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a client has to send a request's head once it began, and at most between two reads of its"
    " body (past that 408, and the connection closes); a client that reads none of its answers for as long is cut.",
)
@click.option("--client-budget", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Query seconds per minute each client may use; past it 429 with Retry-After (default: no budget).")
@click.option("--client-budget-loopback", is_flag=True,
              help="Apply --client-budget to loopback clients (127.0.0.1, ::1) too; they are exempt by default.")
@click.option("--cache", type=click.IntRange(min=0), default=2048, show_default=True,
              help="API and page answers kept in memory for the active build (0: none).")
@click.option("--answers-cache", type=click.IntRange(min=0), default=2048, show_default=True,
              help="Of those, answers the HTTP front keeps as bytes and answers again without the app (0: none; "
              "a speed setting).")
@click.option("--results-cache", type=click.IntRange(min=0), default=64, show_default=True, metavar="MB",
              help="Megabytes of /sparql query results each worker keeps for the active build and gives again"
              " without evaluating the query (0: none; off with updates or --endpoint; a speed setting).")
@click.option("--pin-workers/--no-pin-workers", default=False, show_default=True,
              help="Keep each worker process on its own share of the CPUs this process may use (a speed setting).")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="AUTHOR",
    help="An author (IRI, id or exact name) whose co-authorship distance every author page shows, with a link to"
    " the chain (repeatable).",
)
def serve(
    store: Path | None,
    endpoint: str | None,
    index_dir: Path | None,
    data_version: str | None,
    host: str,
    port: int,
    base_iri: str | None,
    timeout: float,
    max_rows: int,
    cors: bool,
    update_token: str | None,
    allow_update: bool,
    allow_service: tuple[str, ...],
    workers: int,
    max_body: int,
    request_timeout: float,
    client_budget: float | None,
    client_budget_loopback: bool,
    cache: int,
    answers_cache: int,
    results_cache: int,
    pin_workers: bool,
    anchors: tuple[str, ...],
) -> None:
    """Serve --store as a SPARQL 1.1 endpoint at /sparql, a search page at /, a query page at /query, VoID at
    /.well-known/void.

    With --endpoint URL the pages, the API, dereferencing and /sparql answer from that engine (read-only,
    after the same checks; the engine's port can stay private); --index DIR searches paths locally.

    Every resource IRI under the base also dereferences (HTML, Turtle, JSON-LD, RDF/XML, N-Triples),
    with the web API at /api/ (OpenAPI at /api/openapi.json), HTML pages (/clusters/NAME, /path) and
    the ontology at /ontology.

    The store is opened read-only unless updates are enabled. The default graph of a query is the
    union of all graphs. SERVICE and LOAD (outbound requests) are refused unless --allow-service
    names the host. Access log lines go to stderr.
    """
    from kg.backend.remote import RemoteBackend, RemoteSpec
    from kg.server import ServerConfig
    from kg.server import serve as run
    from kg.store import StoreDir

    if update_token and allow_update:
        raise click.UsageError("give either --update-token or --allow-update, not both")
    if update_token is not None and not (update_token.isascii() and update_token.isprintable()
                                         and update_token == update_token.strip()):
        # an HTTP header carries ASCII (Latin-1 at most): a client could never send such a token back
        raise click.BadParameter("visible ASCII characters only, no space at either end (a client sends it in "
                                 "an Authorization header)", param_hint="--update-token")
    with _open_data(store, endpoint, index=index_dir, timeout=timeout) as backend:
        remote = None
        if isinstance(backend, RemoteBackend):
            if update_token or allow_update:
                raise click.UsageError("--endpoint is served read-only: no --update-token / --allow-update")
            remote = RemoteSpec(backend.url, str(index_dir) if index_dir else None, timeout, data_version)
            store = None
        elif data_version is not None:
            raise click.UsageError("--data-version is for --endpoint (a store's ETags follow its builds)")
    if base_iri is not None:
        try:
            ox.NamedNode(base_iri)
        except ValueError as e:
            raise click.BadParameter(f"not an absolute IRI: {e}", param_hint="--base-iri") from None
    meta = StoreDir(store).meta() if store is not None else {}  # fail now, with the usual message, if no store
    port = _check_listen(host, port)
    if store is not None and base_iri is None and (
            elsewhere := _served_elsewhere(str(meta.get("base_iri") or ""), host, port)):
        click.echo(f"kg serve: warning: {elsewhere}", err=True)
    resolved = _anchors(store, endpoint if remote is not None else None, anchors)
    run(
        ServerConfig(
            store=store,
            remote=remote,
            host=host,
            port=port,
            base_iri=base_iri,
            timeout=timeout,
            max_rows=max_rows or None,
            cors=cors,
            update_token=update_token,
            allow_update=allow_update,
            allow_service=frozenset(h.lower() for h in allow_service),
            workers=workers,
            max_body=max_body,
            request_timeout=request_timeout,
            client_budget=client_budget,
            client_budget_loopback=client_budget_loopback,
            cache_entries=cache,
            answers_cache=answers_cache,
            results_cache=results_cache,
            pin_workers=pin_workers,
            anchors=resolved,
        )
    )


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"})


def _served_elsewhere(base: str, host: str, port: int) -> str | None:
    """Why the store's IRIs will not dereference here, when it was built for a local address other than the
    one served (the usual slip: built with the default base, served on another port); None when they will,
    or when the base is a public name (a proxy or a redirect may well bring it here)."""
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    try:
        base_port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None
    if parts.hostname is None or parts.hostname not in _LOOPBACK | {host} or base_port == port:
        return None
    served = f"http://{'localhost' if host in _LOOPBACK else host}:{port}/"
    return (f"the store's IRIs are under {base}, but it is served at port {port}: its pages link to {base}, "
            f"and those IRIs do not dereference here. Rebuild it for this address (kg build ... --base-iri "
            f"{served}), serve it at port {base_port}, or give --base-iri if a proxy maps one to the other.")


def _anchors(store: Path | None, endpoint: str | None, given: tuple[str, ...]) -> tuple[str, ...]:
    """Each --anchor as the IRI of its author row (in the store or at the endpoint), or a usage error naming it."""
    if not given:
        return ()
    import kg.paths as paths
    from kg.backend import open_store
    from kg.backend.remote import RemoteBackend

    out: list[str] = []
    with (open_store(store) if store is not None else RemoteBackend(endpoint or "")) as backend:
        for text in given:
            try:
                iri = paths.resolve(backend, text, param="--anchor").iri
            except (paths.UnknownAuthor, paths.AmbiguousAuthor) as e:
                raise click.BadParameter(str(e).removeprefix("--anchor: "), param_hint="--anchor") from None
            if iri not in out:
                out.append(iri)
    return tuple(out)


@main.command()
@click.option(
    "--store",
    type=click.Path(path_type=Path),
    default=DEFAULT_DEMO_STORE,
    show_default=True,
    help="Where the example store is kept.",
)
@click.option(
    "--serve/--no-serve",
    "serve_it",
    default=False,
    show_default=True,
    help="Then serve the example graph as a SPARQL endpoint (kg serve).",
)
@_serve_options
def demo(store: Path, serve_it: bool, host: str, port: int) -> None:
    """Build the bundled example graph (if missing) and show its stats and the 'Liyuan Liu' cluster.

    With --serve the graph's IRIs are those of the address it is served at (http://localhost:PORT/):
    the example is rebuilt with that base when it was built for another port.
    """
    from kg.backend import open_store
    from kg.build import build as run
    from kg.cluster import cluster as clusters
    from kg.cluster import render_text
    from kg.iris import DEFAULT_BASE_IRI
    from kg.ontology import examples_dir
    from kg.store import StoreDir

    target = StoreDir(store)
    base = DEFAULT_BASE_IRI
    if serve_it:
        port = _check_listen(host, port)
        local = host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1")
        base = f"http://{'localhost' if local else (f'[{host}]' if ':' in host else host)}:{port}/"
    if not target.exists() or (serve_it and target.meta().get("base_iri") != base):
        report = run([examples_dir() / "arrow-liyuan-liu"], store, base_iri=base)
        click.echo(f"built the example graph under {base}: {report.summary()} -> {store}", err=True)
    counts = target.meta()["counts"]
    click.echo("  ".join(f"{k}: {counts[k]:,}" for k in ("papers", "authors", "venues", "authorships", "triples")))
    click.echo()
    with open_store(store) as backend:
        click.echo(render_text(clusters(backend, "Liyuan Liu")), nl=False)
    click.echo(f"\nfor the other commands (kg cluster, kg path, ...): export KG_STORE={shlex.quote(str(store))}")
    if serve_it:
        from kg.server import ServerConfig
        from kg.server import serve as run_server

        click.echo(f"\nserving the example graph at http://{host}:{port}/, its IRIs under {base} (Ctrl-C stops)",
                   err=True)
        run_server(ServerConfig(store=store, host=host, port=port))


@main.command()
@click.option("--papers", type=click.IntRange(min=1), required=True, help="How many papers.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed gives the same rows.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Directory for the rows tables.")
@click.option("--gzip", "compress", is_flag=True, help="Write .csv.gz tables.")
@click.option("--abstracts", type=click.IntRange(min=0), default=0, show_default=True, metavar="WORDS",
              help="Give every paper an abstract of about WORDS words (0: none).")
def generate(papers: int, seed: int, output: Path, compress: bool, abstracts: int) -> None:
    """Write a synthetic graph with dblp's shapes as rows tables (see docs/generator.md)."""
    from kg.synthetic import generate as run

    summary = run(papers, seed, output, compress=compress, abstracts=abstracts)
    click.echo(
        f"{summary.papers:,} papers, {summary.people:,} people, {summary.authorships:,} authorships, "
        f"{summary.venues:,} venues -> {output}",
        err=True,
    )


_F = TypeVar("_F", bound=Callable[..., Any])


@main.group(cls=_Group)
def fetch() -> None:
    """Download records over HTTP into a directory that `kg build` reads (resumable: rerun to go on)."""


def _client_options(default_base: str) -> Callable[[_F], _F]:
    def wrap(f: Any) -> Any:
        f = click.option("--retries", type=click.IntRange(min=0), default=5, show_default=True,
                         help="Retries per request.")(f)
        f = click.option("--timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
                         help="Seconds.")(f)
        f = click.option("--mailto", help="Your e-mail, sent to the API (OpenAlex/Crossref polite pool).")(f)
        f = click.option("--base-url", default=default_base, show_default=True, help="API base URL (a mirror).")(f)
        return click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
                            help="Directory to write to.")(f)
    return wrap


def _client(base_url: str, mailto: str | None, timeout: float, retries: int) -> Any:
    from urllib.parse import urlsplit

    from kg.fetch.http import Client

    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as e:
        raise click.BadParameter(f"{base_url!r}: not a URL ({e})", param_hint="--base-url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in parts.netloc:
        raise click.BadParameter(f"{base_url!r}: not an http(s) URL", param_hint="--base-url")
    return Client(base_url, mailto=mailto, timeout=timeout, retries=retries)


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from kg.fetch.since import SinceError, parse_since

    try:
        return parse_since(value) if value is not None else None
    except SinceError as e:
        raise click.UsageError(str(e), ctx) from None


def _done(got: Any, output: Path) -> None:
    from kg.fetch.watermark import read_watermark

    state = "complete" if got.done else "incomplete (rerun to go on)"
    mark = read_watermark(output)
    after = f"; next --since {mark.next_since.isoformat()}" if mark and mark.next_since else ""
    click.echo(f"{got.works:,} works in {got.pages:,} pages -> {output} ({state}{after})", err=True)


@fetch.command("openalex")
@click.option("--filter", "filter_", help="OpenAlex filter, e.g. author.id:A5023888391,publication_year:>2019.")
@click.option("--search", help="OpenAlex full-text search.")
@click.option("--since", callback=_since, metavar="DATE",
              help="Only works updated since DATE (ISO date or UTC timestamp): OpenAlex's from_updated_date, "
                   "which needs an API key.")
@click.option("--api-key", envvar="OPENALEX_API_KEY", show_envvar=True,
              help="OpenAlex API key, sent as api_key (never written to the directory).")
@click.option("--per-page", type=click.IntRange(1, 200), default=200, show_default=True, help="Works per page.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages (rerun to go on).")
@_client_options("https://api.openalex.org")
def fetch_openalex(filter_: str | None, search: str | None, since: Any, api_key: str | None, per_page: int,
                   max_pages: int | None, output: Path, base_url: str, mailto: str | None, timeout: float,
                   retries: int) -> None:
    """OpenAlex works matching --filter/--search (and --since), by cursor paging, one API page per file."""
    from kg.fetch.openalex import fetch_works

    if not filter_ and not search and since is None:
        raise click.UsageError("give --filter or --search (or --since alone: every work updated since)")
    got = fetch_works(_client(base_url, mailto, timeout, retries), output, filter=filter_, search=search,
                      since=since, api_key=(api_key or "").strip() or None, per_page=per_page, max_pages=max_pages)
    _done(got, output)


@fetch.command("dblp")
@click.option("--person", "pids", multiple=True, metavar="PID", help="A dblp person id such as 143/6275 (repeatable).")
@click.option("--search", help="Fetch the people dblp's author search finds for this name.")
@click.option("--max-people", type=click.IntRange(min=1), default=30, show_default=True,
              help="With --search: fetch at most this many of the people it finds.")
@_client_options("https://dblp.org")
def fetch_dblp(pids: tuple[str, ...], search: str | None, max_people: int, output: Path, base_url: str,
               mailto: str | None, timeout: float, retries: int) -> None:
    """dblp person pages (all their publications, in the dump's XML format), one file per person."""
    from kg.fetch.dblp import fetch_people, search_people

    if not pids and not search:
        raise click.UsageError("give --person PID or --search NAME")
    client = _client(base_url, mailto, timeout, retries)
    wanted = list(pids) + (search_people(client, search, max_people) if search else [])
    got = fetch_people(client, output, wanted)
    click.echo(f"{len(got.people):,} people fetched, {got.skipped:,} already there -> {output}", err=True)


@fetch.command("crossref")
@click.option("--doi", "dois", multiple=True, metavar="DOI", help="A DOI (repeatable).")
@click.option("--filter", "filter_", help="Crossref filter, e.g. member:311,type:journal-article (cursor paging).")
@click.option("--query", help="Crossref bibliographic query (cursor paging).")
@click.option("--since", callback=_since, metavar="DATE",
              help="Only works indexed since DATE (Crossref's from-index-date; a timestamp's day is sent).")
@click.option("--rows", type=click.IntRange(1, 1000), default=1000, show_default=True, help="Works per page.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages (rerun to go on).")
@_client_options("https://api.crossref.org")
def fetch_crossref(dois: tuple[str, ...], filter_: str | None, query: str | None, since: Any, rows: int,
                   max_pages: int | None, output: Path, base_url: str, mailto: str | None, timeout: float,
                   retries: int) -> None:
    """Crossref works by DOI (one `work` message per file), or by --filter/--query/--since (one page per file)."""
    from kg.fetch import crossref

    client = _client(base_url, mailto, timeout, retries)
    if filter_ or query or since is not None:
        got = crossref.fetch_works(client, output, filter=filter_, query=query, dois=list(dois), since=since,
                                   rows=rows, max_pages=max_pages)
        _done(got, output)
        return
    if not dois:
        raise click.UsageError("give --doi, --filter, --query or --since")
    fetched = crossref.fetch_dois(client, output, list(dois))
    click.echo(f"{fetched.works:,} works fetched, {fetched.skipped:,} already there -> {output}", err=True)


@main.command()
@_data_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ttl"]), default="text", show_default=True)
@click.option("--sample", type=click.IntRange(min=1), help="Check this many nodes per class, evenly spaced.")
@click.option("--all", "every", is_flag=True, help="Check every node even when the store is too large for memory.")
def validate(store: Path | None, endpoint: str | None, fmt: str, sample: int | None, every: bool) -> None:
    """Check the store against ontology/shapes.ttl (SHACL); exit code 1 when there is a violation.

    A store of up to a million data triples is checked whole in memory; a larger one per class in
    chunks, on a sample of 2,000 nodes per class unless --all or --sample is given. The output says
    which. With --endpoint the graph is first copied into memory, 5,000 quads a request.
    """
    from kg.backend.remote import RemoteBackend
    from kg.validate import default_sample, render_text
    from kg.validate import validate as run

    if sample is not None and every:
        raise click.UsageError("give --sample N or --all, not both")
    with _open_data(store, endpoint) as backend:
        db = backend.copy() if isinstance(backend, RemoteBackend) else backend.store
    report = run(db, sample=sample if sample is not None or every else default_sample(db))
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "ttl":
        click.echo(report.graph.serialize(format="turtle"), nl=False)
    else:
        click.echo(render_text(report), nl=False)
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("docs/ontology.md"), show_default=True,
              help="The page to write (relative to the current directory).")
def docs(output: Path) -> None:
    """Regenerate the ontology's Markdown documentation from ontology/kg.ttl."""
    from kg.ontodoc import write_markdown

    write_markdown(output)
    click.echo(f"wrote {output}", err=True)


@main.command("index")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--endpoint", envvar="KG_ENDPOINT", help="A SPARQL 1.1 endpoint to read the graph from (KG_ENDPOINT).")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Directory to write the indexes into (DIR/paths-index, DIR/search.sqlite; give it as --index DIR).")
@click.option("--page-size", type=click.IntRange(min=1), default=5_000, show_default=True,
              help="Rows per request to the endpoint (below the engine's answer cap: Virtuoso's is 10,000).")
@click.option("--timeout", type=click.FloatRange(min=0.0, min_open=True), default=300.0, show_default=True,
              help="Seconds per request to the endpoint.")
def index_command(files: tuple[Path, ...], endpoint: str | None, output: Path, page_size: int, timeout: float) -> None:
    """The co-authorship index and the search index of a graph without a store: from FILES (N-Quads,
    .nq.gz shards of `kg etl --shards`) or from --endpoint in pages, in the format `kg build` writes
    beside a store."""
    import kg.indexing as indexing
    from kg.backend.remote import RemoteBackend

    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("endpoint") is not click.core.ParameterSource.ENVIRONMENT
    if files and endpoint and explicit:
        raise click.UsageError("give either N-Quads FILES or --endpoint, not both")
    if files:
        report = indexing.build(output, files=files)
    elif endpoint:
        with RemoteBackend(endpoint, timeout=timeout) as backend:
            report = indexing.build(output, backend=backend, page=page_size)
    else:
        raise click.UsageError("give N-Quads FILES or --endpoint URL (or set KG_ENDPOINT)")
    click.echo(
        f"{report['authors']:,} author rows, {report['papers']:,} papers with co-authors, "
        f"{report['coauthor_links']:,} co-author links, {report['clusters']:,} clusters "
        f"-> {report['index']} ({report['seconds']} s)"
    )
    found: Any = report["search"]
    click.echo(f"search index: {found['names']:,} names, {found['papers']:,} titles -> {output / 'search.sqlite'}")
    order: Any = report["cluster_order"]
    click.echo(f"big clusters' order: {order['strict_keys']:,} name keys, {order['loose_keys']:,} loose keys, "
               f"{order['papers']:,} papers")


@main.group(cls=_Group)
def curate() -> None:
    """Corrections by hand: two author rows are one person, or are not; kept beside the store and
    applied by every build. A and B: a row's IRI, or its id as the pages show it."""


def _curator() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _curate_command(verdict: str, doc: str) -> None:
    @curate.command(verdict, help=doc)
    @click.argument("a")
    @click.argument("b")
    @STORE
    @click.option("--why", help="Why (required): the evidence, in words, kept with the correction.")
    @click.option("--by", "by", help="Who makes it [default: the login name].")
    @click.option("--no-apply", is_flag=True, help="Only record it; the next build (or `kg curate apply`) applies it.")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
    def command(a: str, b: str, store: Path, why: str | None, by: str | None, no_apply: bool, fmt: str) -> None:
        from kg.curate import add

        if why is None or not why.strip():
            raise click.BadParameter("required: say why, in words (it is kept with the correction)", param_hint="--why")
        done = add(store, verdict, a, b, why, by or _curator(), apply_now=not no_apply)
        _print_applied(done, fmt)


_curate_command("same", "Say that rows A and B are one person (wins over the computed verdict).")
_curate_command("distinct", "Say that rows A and B are two people (never in one probable person).")


def _print_applied(done: Any, fmt: str) -> None:
    from kg.identity.curation import not_applied_lines

    if fmt == "json":
        click.echo(json.dumps(done.to_json(), indent=2, ensure_ascii=False))
        return
    from kg.identity.facts import row_label

    shown, c = done.to_json(), done.correction
    click.echo(f"#{c.id} {c.verdict} {row_label(c.rows[0])} {row_label(c.rows[1])}: "  # the ids as the pages show them
               f"{shown['status']}{': ' + shown['note'] if shown['note'] else ''}\n     <{c.rows[0]}> <{c.rows[1]}>")
    for line in not_applied_lines(done.outcomes or []):
        click.echo(f"kg: warning: {line}", err=True)


@curate.command("list")
@STORE
@click.option("--all", "every", is_flag=True, help="Undone and superseded corrections too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def curate_list(store: Path, every: bool, fmt: str) -> None:
    """The corrections and what the active store did with each (a row no longer there: VANISHED)."""
    from kg.curate import listing
    from kg.identity.facts import row_label

    found = listing(store, every)
    if fmt == "json":
        click.echo(json.dumps([x.to_json() for x in found], indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("no corrections")
    for x in found:
        c = x.correction
        mark = x.status.upper() if x.status not in ("applied",) else x.status
        why = c.why.replace("\n", "\n       ")  # a why in lines stays under its correction
        click.echo(f"#{c.id}  {c.verdict:8} {mark}  {row_label(c.rows[0])}  {row_label(c.rows[1])}\n"
                   f"     <{c.rows[0]}> <{c.rows[1]}>\n"
                   f"     by {c.by}, {c.at}: {why}{'  [' + x.note + ']' if x.note else ''}")


@curate.command("undo")
@click.argument("ident", metavar="ID")
@STORE
@click.option("--by", "by", help="Who undoes it [default: the login name].")
@click.option("--no-apply", is_flag=True, help="Only record it; the next build (or `kg curate apply`) applies it.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def curate_undo(ident: str, store: Path, by: str | None, no_apply: bool, fmt: str) -> None:
    """Undo correction ID (it stays in the log, marked undone)."""
    from kg.curate import undo

    _print_applied(undo(store, ident, by or _curator(), apply_now=not no_apply), fmt)


@curate.command("apply")
@STORE
def curate_apply(store: Path) -> None:
    """Apply the recorded corrections now (a new generation; a build applies them too)."""
    from kg.curate import apply
    from kg.identity.curation import not_applied_lines

    outcomes = apply(store)
    for line in not_applied_lines(outcomes):
        click.echo(f"kg: warning: {line}", err=True)
    click.echo(f"{sum(o.status == 'applied' for o in outcomes)} of {len(outcomes)} corrections applied -> {store}")


@curate.command("export")
@STORE
@click.option("--format", "fmt", type=click.Choice(["turtle", "ntriples", "jsonld", "rdfxml"]), default="turtle",
              show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Output file; stdout if absent.")
def curate_export(store: Path, fmt: str, output: Path | None) -> None:
    """Every correction (undone ones too) as RDF: who, when and why (PROV-O, DCTerms)."""
    import pyoxigraph as ox

    from kg.curate import export

    formats = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}
    data = export(store, formats[fmt])
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        output.write_bytes(data)
