"""The synthetic dblp-shaped graph (`kg generate`, docs/generator.md) and the measure of a rows
directory's shape, apart from the product: the benchmarks and the tests use it.

generator.py writes the rows tables; model.py is the graph's structure, names.py and text.py the
names, titles and venues, params.py every tuned figure, sampling.py the draws; shape.py measures.
"""

from __future__ import annotations

from kg.synthetic.generator import Summary, generate
from kg.synthetic.model import expected_authors_per_paper, venue_count
from kg.synthetic.shape import Shape, measure

__all__ = ["Shape", "Summary", "expected_authors_per_paper", "generate", "measure", "venue_count"]
