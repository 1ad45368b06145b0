"""Drawing from discrete distributions: cumulative tables and one draw from them."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence


def split_words(text: str) -> list[str]:
    return text.split()


def zipf_table(n: int, exponent: float) -> list[float]:
    weights = [1.0 / (rank + 1) ** exponent for rank in range(n)]
    return cumulative(weights)


def cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_left(cumulative, rng.random())
