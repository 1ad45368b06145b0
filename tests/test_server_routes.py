"""The request path of a `kg serve` worker, counted in its code (issue 25): a request walks front →
pipeline → runner → front, and there are at most two routes to a 200, on the loop or after an
evaluation thread (docs/architecture.md).

The front (kg.server.wire.Connection._start) hands every /sparql request to the SPARQL pipeline
(kg.server.sparql_pipeline.SparqlPipeline.handle), a GET whose answer it keeps to the answers cache
(kg.server.answers_cache.AnswersCache.take), and every other request to the app (Connection._asgi,
Starlette: the API, pages, linked data). A job reaches the worker's evaluation threads through the
one entry point of the runner (kg.server.local.LocalRunner.submit), whose answer comes back to the
loop; the front writes every answer (Connection.respond, or the app's `send` in _asgi). The
functions are found by reading the modules' syntax trees, so a third route (a job evaluated on the
loop, a second way into the threads, a socket written elsewhere, a /sparql route in the app) fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "kg" / "server"


def _functions() -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function of kg.server as (module.Class.function, node), nested functions under their
    outermost function's name (a closure is part of the function that makes it)."""
    for path in sorted(SERVER.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for top in tree.body:
            if isinstance(top, ast.ClassDef):
                for node in top.body:
                    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                        yield f"{path.stem}.{top.name}.{node.name}", node
            elif isinstance(top, ast.FunctionDef | ast.AsyncFunctionDef):
                yield f"{path.stem}.{top.name}", top


def _callers(name: str, receiver: str | None = None) -> set[str]:
    """The functions that call `name` (a plain name, or an attribute of any object; with `receiver`,
    only `<receiver>.name` where the receiver's source text ends so)."""
    found = set()
    for qualname, function in _functions():
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            plain = isinstance(func, ast.Name) and func.id == name and receiver is None
            attribute = isinstance(func, ast.Attribute) and func.attr == name and (
                receiver is None or ast.unparse(func.value).endswith(receiver))
            if plain or attribute:
                found.add(qualname)
    return found


def _references(name: str) -> set[str]:
    """The functions whose code names `name` (called or passed on, as a callback is)."""
    found = set()
    for qualname, function in _functions():
        for node in ast.walk(function):
            named = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if named == name:
                found.add(qualname)
    return found


def test_the_front_hands_each_request_to_the_pipeline_the_answers_cache_or_the_app() -> None:
    assert _callers("handle", "sparql") == {"wire.Connection._start"}  # every /sparql request
    assert _callers("take", "answers") == {"wire.Connection._start"}  # a GET answered from the answers cache
    assert _callers("_asgi") == {"wire.Connection._start"}  # everything else: the app
    assert _callers("is_sparql") == {"wire.Connection._start", "asgi.asgi_app"}  # one rule for which is /sparql


def test_one_entry_point_into_the_evaluation_threads() -> None:
    """Jobs reach the worker's evaluation threads by LocalRunner.submit only: from the SPARQL pipeline,
    and from the app's await (LocalRunner.run); a job is evaluated on a thread only."""
    assert _callers("submit", "runner") == {"sparql_pipeline.SparqlPipeline.handle"}
    assert _callers("submit", "self") == {"local.LocalRunner.run"}
    assert _callers("evaluated") == {"local.LocalRunner._serve"}  # the thread's loop, never the event loop's


def test_the_app_reaches_the_runner_through_one_function() -> None:
    """Every API call, page and VoID job awaits Endpoint.run (the app's one way to the runner; Site.call
    goes through the host, which is that Endpoint)."""
    assert _callers("run", "self.runner") == {"app.Endpoint.run"}
    assert _callers("run", "host") == {"web.Site.call"}


def test_answers_are_written_by_the_front_only() -> None:
    """The socket is written in kg.server.wire alone: a whole answer by Connection.respond, the app's
    by its `send` in _asgi, and `100 Continue` (on_headers_complete, _next)."""
    assert _callers("write", "transport") == {"wire.Connection.respond", "wire.Connection._asgi",
                                              "wire.Connection.on_headers_complete", "wire.Connection._next"}
    assert _callers("respond", "conn") == {"answers_cache.AnswersCache.take"}
    # the front's refusals (_start), the pipeline's answers (_reply), the app's whole answers (_asgi)
    assert _callers("respond", "self") == {"wire.Connection._start", "wire.Connection._reply", "wire.Connection._asgi"}


def test_at_most_two_routes_to_a_200() -> None:
    """A 200 goes out on the loop, in the turn that took the request (the pipeline's answer made without
    a job: the service description, a CORS preflight; a query's answer the results cache keeps; or the
    answers cache's bytes), or once its job came back from an evaluation thread (the pipeline's
    _answered, the runner's callback; the app's awaited jobs). The pipeline replies in one place (_finish;
    `handle` itself only for a 429)."""
    assert _callers("reply") == {"sparql_pipeline.SparqlPipeline.handle", "sparql_pipeline.SparqlPipeline._finish"}
    assert _callers("_finish") == {"sparql_pipeline.SparqlPipeline.handle",  # on the loop
                                   "sparql_pipeline.SparqlPipeline._answered",  # after a thread
                                   "sparql_pipeline.SparqlPipeline._last"}  # after a thread, past the time limit
    # _answered is the callback the pipeline gives the runner, and nothing else; _last is its late branch
    assert _references("_answered") == {"sparql_pipeline.SparqlPipeline.handle"}
    assert _references("_last") == {"sparql_pipeline.SparqlPipeline._answered"}
    # one wait before a late answer, for the pipeline's jobs and the app's
    assert _callers("after_the_others") == {"sparql_pipeline.SparqlPipeline._last",
                                            "local.RetireAfterOverrun.__call__"}
    two_hundreds = set()
    for qualname, function in _functions():
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "respond" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == 200:
                two_hundreds.add(qualname)
    assert two_hundreds == {"answers_cache.AnswersCache.take"}  # the front's own 200: cached bytes, on the loop


def test_the_app_has_no_sparql_route_and_imports_nothing_of_the_front(tmp_path: Path) -> None:
    """Starlette keeps the API, the pages and linked data: no /sparql route, and nothing of the SPARQL
    pipeline, the answers cache or the HTTP front in what the app's modules import."""
    from test_architecture import ROOT, import_graph

    from kg.server import ServerConfig, create_app
    from kg.server.local import LocalRunner
    from kg.server.messages import Job, Result

    graph = import_graph(ROOT)
    seen, todo = set(), ["kg.server.app"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    assert not seen & {"kg.server.sparql_pipeline", "kg.server.answers_cache", "kg.server.wire", "kg.server.asgi"}
    store = tmp_path / "store"
    store.mkdir()
    def never(job: Job) -> Result:
        raise AssertionError("no job runs in this test")

    app = create_app(ServerConfig(store=store), LocalRunner(lambda: never), announce=False)
    paths = {getattr(route, "path", None) for route in app.routes}
    assert "/sparql" not in paths and "/" in paths and "/.well-known/void" in paths


def test_a_worker_runs_its_app_on_the_in_process_runner() -> None:
    """kg serve's worker gives the app its LocalRunner, so the app's jobs take the same threads."""
    tree = ast.parse((SERVER / "prefork.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert [ast.unparse(n) for n in calls if n.func.id == "LocalRunner"]  # type: ignore[attr-defined]
    [app] = [n for n in calls if n.func.id == "create_app"]  # type: ignore[attr-defined]
    assert [k.arg for k in app.keywords if k.arg == "runner" and ast.unparse(k.value) == "runner"] == ["runner"]


def test_the_pipeline_knows_no_web_framework() -> None:
    """The SPARQL pipeline is HTTP-layer neutral: nothing it imports, however deep in kg, imports
    Starlette (kg's front calls it directly; its ASGI adapter is its own few lines)."""
    from test_architecture import ROOT, import_graph, modules

    graph, files = import_graph(ROOT), modules(ROOT)
    seen, todo = set(), ["kg.server.sparql_pipeline"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    assert "kg.server.html" in seen and "kg.server.local" in seen
    starlette = set()
    for module in seen:
        for node in ast.walk(ast.parse(files[module].read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            starlette |= {module for name in names if name.split(".")[0] == "starlette"}
    assert starlette == set()
