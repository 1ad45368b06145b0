"""The generator's parameters: dblp's documented shapes and the free parameters tuned to hit them
(docs/generator.md says where each comes from)."""

from __future__ import annotations

import math

# Authors per paper (dblp 2025: 14 % one, 24 % two, 55 % three to six, 6 % seven or more).
AUTHOR_COUNTS: tuple[tuple[int, float], ...] = (
    (1, 0.145), (2, 0.245), (3, 0.250), (4, 0.160), (5, 0.085), (6, 0.055),
    (7, 0.020), (8, 0.012), (9, 0.008), (10, 0.006), (11, 0.004), (12, 0.003), (13, 0.002),
    (14, 0.0015), (15, 0.001), (16, 0.0008), (18, 0.0007), (20, 0.0005),
)
# The rare tail: this share of papers has a log-uniform author count in HUGE_RANGE.
HUGE_SHARE = 0.0001
HUGE_RANGE = (21, 600)
PEOPLE_PER_PAPER = 0.48
# Authorships per person: 1 + floor(lognormal(mu, sigma)), rescaled to the slot count.
PRODUCTIVITY_SIGMA = 1.55
PRODUCTIVITY_MU = 0.62
MAX_PAPERS_PER_PERSON = 2500
# Communities: people per community 1 + lognormal; isolated communities are small and never bridged.
COMMUNITY_MU = math.log(18.0)
COMMUNITY_SIGMA = 1.0
ISOLATED_SHARE = 0.10  # of the people, in small isolated communities of the least productive
ISOLATED_SIZES = (1, 2, 2, 3, 3, 4, 5)
BRIDGE_SHARE = 0.08  # of a person's slots, written with another community
BRIDGE_LOCAL = 0.97  # of the bridges, to a community near on the ring (the rest: anywhere)
BRIDGE_REACH = 3.0  # mean ring distance of a local bridge
HOME_VENUE_SHARE = 0.8
CORR_SHARE = 0.12  # informal publications (arXiv/CoRR)
HOMONYM_SHARE = 0.016  # of the people carry a dblp homonym number
VARIANT_SHARE = 0.012  # of the people write a case or diacritic variant of a common name
FIRST_YEAR, LAST_YEAR = 1960, 2025
