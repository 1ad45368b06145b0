"""Which queries a worker evaluates on its event loop's own thread: those of a shape known to be fast.

Handing a query to an evaluation thread and its answer back to the loop (kg.server.local) costs two
thread hops, the GIL handed over each time, about a quarter of what a small lookup costs in all. A
query whose shape was answered quickly RUNS times in a row is evaluated on the loop instead, where
the hop is not. A shape is the query's text with its IRIs and string literals blanked: the papers of
one name key and of the next are one shape, so a site's lookups (a few shapes, endless keys) go to
the loop after their first answers, while a new kind of query, or one that was slow, goes to a
thread, where it cannot hold up this worker's other connections.

A shape is a guess: the same shape with another key can be slower (a common name, a large paper).
Two evaluations slower than FAST in a row on the loop (one alone is as often the worker losing its
core for a while as the query's own cost), or one in a thread, send the shape back to the threads
until it has been fast RUNS + PENALTY times in a row; one that runs past the time limit on the loop
is answered 503 by the watchdog and takes its worker down (kg.server.local.LocalRunner.inline), as
a runaway query in a thread does.
While a query runs on the loop, this worker's other connections wait (at most FAST, as a rule; the
time limit for such a runaway one); new connections go to the other workers, whose loops are free.
"""

from __future__ import annotations

import re

FAST = 0.02  # seconds an evaluation took: this quick or quicker counts for its shape
RUNS = 2  # quick answers in a row before a shape is evaluated on the loop
PENALTY = 8  # more quick answers needed after a slow one
KEPT = 4096  # shapes remembered (the table is emptied when full)

_TERMS = re.compile(r"""<[^<>"{}|^`\\\x00-\x20]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'""")


def shape(text: str) -> str:
    """The text with each IRI and each string literal replaced by one NUL character."""
    return _TERMS.sub("\x00", text)


class Shapes:
    """Per shape seen: below `runs`, the quick evaluations in a row in the threads (negative after a
    slow one); `runs + 1`, on the loop; `runs`, on the loop after one slow evaluation there."""

    def __init__(self, fast: float = FAST, runs: int = RUNS, penalty: int = PENALTY) -> None:
        self.fast = fast
        self.runs = runs
        self.penalty = penalty
        self.counts: dict[str, int] = {}

    def inline(self, key: str) -> bool:
        """Whether a query of this shape is evaluated on the loop."""
        return self.counts.get(key, 0) >= self.runs

    def record(self, key: str, seconds: float) -> None:
        """One evaluation of this shape that took `seconds`."""
        n = self.counts.get(key, 0)
        runs = self.runs
        if seconds > self.fast:
            n = runs if n == runs + 1 else -self.penalty  # a first strike on the loop, else back to the threads
        elif n == runs + 1:
            return
        else:
            n = runs + 1 if n + 1 >= runs else n + 1
        if key not in self.counts and len(self.counts) >= KEPT:
            self.counts.clear()
        self.counts[key] = n
