"""The request path of a `kg serve` worker, counted in its code (issue 25): a request walks front →
pipeline → runner → front, and there are at most two routes to a 200 (docs/architecture.md).

The front (kg.server.wire.Connection._start) hands a request to one of two pipelines: the SPARQL
front (kg.server.sparql_front.SparqlFront.take) or the app (Connection._asgi, Starlette). Either
one answers on the loop from a cache, or queues a job for the worker's evaluation threads through
the one entry point of the runner (kg.server.local.LocalRunner.submit), whose answer comes back to
the loop; the front writes every answer (Connection.respond, or the app's `send` in _asgi). The
functions are found by reading the modules' syntax trees, so a third route (a job evaluated on the
loop, a second way into the threads, a socket written elsewhere) fails here.
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


def test_the_front_hands_each_request_to_one_of_two_pipelines() -> None:
    assert _callers("take", "taker") == {"wire.Connection._start"}  # the SPARQL front
    assert _callers("_asgi") == {"wire.Connection._start"}  # the app


def test_one_entry_point_into_the_evaluation_threads() -> None:
    """Jobs reach the worker's evaluation threads by LocalRunner.submit only: from the SPARQL front's
    pipeline, and from the app's await (LocalRunner.run); a job is evaluated on a thread only."""
    assert _callers("submit", "runner") == {"sparql_front.SparqlFront.sparql"}
    assert _callers("submit", "self") == {"local.LocalRunner.run"}
    assert _callers("evaluated") == {"local.LocalRunner._serve"}  # the thread's loop, never the event loop's


def test_the_app_reaches_the_runner_through_one_function() -> None:
    """Every API call, page, VoID and app-side SPARQL job awaits Endpoint.run (the app's one way to the
    runner; Site.call goes through the host, which is that Endpoint)."""
    assert _callers("run", "self.runner") == {"app.Endpoint.run"}
    assert _callers("run", "host") == {"web.Site.call"}


def test_answers_are_written_by_the_front_only() -> None:
    """The socket is written in kg.server.wire alone: a whole answer by Connection.respond, the app's
    by its `send` in _asgi, and `100 Continue` (on_headers_complete, _next); the SPARQL front's 200s
    come from its answers cache (on the loop) or from the runner's answer (after a thread)."""
    assert _callers("write", "transport") == {"wire.Connection.respond", "wire.Connection._asgi",
                                              "wire.Connection.on_headers_complete", "wire.Connection._next"}
    two_hundreds = set()
    for qualname, function in _functions():
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "respond" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) and node.args[1].value == 200:
                two_hundreds.add(qualname)
    assert two_hundreds == {"sparql_front.SparqlFront.answer_cached", "sparql_front.SparqlFront._reply"}


def test_a_worker_runs_its_app_on_the_in_process_runner() -> None:
    """kg serve's worker gives the app its LocalRunner, so the app's jobs take the same threads."""
    tree = ast.parse((SERVER / "prefork.py").read_text(encoding="utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert [ast.unparse(n) for n in calls if n.func.id == "LocalRunner"]  # type: ignore[attr-defined]
    [app] = [n for n in calls if n.func.id == "create_app"]  # type: ignore[attr-defined]
    assert [k.arg for k in app.keywords if k.arg == "runner" and ast.unparse(k.value) == "runner"] == ["runner"]
