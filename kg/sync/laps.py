"""The seconds of a sync's phases, one lap after another (build.json's `synced.seconds`)."""

from __future__ import annotations

import time


class Laps:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        """Ends the phase `name`: its seconds since the last lap (or the start), added to those
        of its earlier laps."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._clock, 3)
        self._clock = now
