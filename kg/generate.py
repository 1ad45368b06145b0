"""A synthetic scholarly graph with the shapes of dblp, written as rows tables. Deterministic per seed.

The model (distributions and where their parameters come from: docs/generator.md):

1. Every paper draws its number of authors from `AUTHOR_COUNTS` (mean about 3.3, a rare tail into
   the hundreds). Their sum is the number of author slots.
2. There are `PEOPLE_PER_PAPER` people per paper. Each draws a productivity from a discretised
   log-normal, rescaled so that the productivities sum to the number of slots exactly (mean about
   6.9 authorships per person, heavy-tailed).
3. People are grouped into communities (research groups) of log-normal size, arranged on a ring.
   Each person's slots go to their own community, except a fraction that goes to a nearby community
   on the ring (or, rarely, anywhere): the bridges of the co-authorship graph. A share of the
   communities is isolated (no bridges): the people outside the giant component.
4. Each community's slots are shuffled and cut into papers in order, so people mostly write with the
   same group; a community prefers a few venues and a period of years.
5. Names: a mix of name pools with very skewed frequencies ("Wei Wang" is shared by hundreds of rows
   at 1M papers), dblp homonym numbers ("Wei Wang 0003") on about 1.6 % of people, and case and
   diacritic variants of the same name.

Nothing is held per paper: papers and authorships are written as they are cut; memory is the
per-person and per-slot arrays (a few bytes each).
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import math
import random
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.sources.rows import COLUMNS

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


@dataclass
class Summary:
    papers: int = 0
    people: int = 0
    authorships: int = 0
    venues: int = 0
    communities: int = 0
    homonym_numbered: int = 0
    variants: int = 0
    files: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- names


def _words(text: str) -> list[str]:
    return text.split()


_ASIAN_FAMILY = _words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Song "
    "Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen "
    "Yao Jin Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Nguyen Tran Le Pham Hoang Sato Suzuki Takahashi "
    "Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Kumar Singh Sharma Gupta Patel Das Reddy Rao"
)
_ASIAN_GIVEN_PARTS = _words(
    "Wei Jing Li Yan Hui Jun Xin Ying Hong Lei Jie Ming Hao Tao Bin Yu Fang Ping Qiang Lin Chao Yang Bo Xiao "
    "Hua Min Jian Gang Feng Yi Dong Kai Liang Peng Rui Hai Ning Qing Zhi Xiang Yun Jia Tian Chen Lu Zhen Wen"
)
_INDIAN_GIVEN = _words("Amit Rahul Anil Sanjay Vijay Ravi Rajesh Deepak Arun Suresh Priya Anjali Neha Pooja Manoj")
_WESTERN_GIVEN = _words(
    "John Michael David James Robert Thomas Daniel Peter Mark Paul Andreas Stefan Martin Christian Alexander "
    "Maria Anna Laura Sarah Julia Elena Sofia Emma Claire Marie Hans Klaus Jürgen Jörg Günter Søren Łukasz "
    "José María Jesús Ángel Raúl Sébastien François Frédéric Hélène Cécile Zoë André Joël Iñaki Çağrı Ömer "
    "Pierre Jean Luca Marco Giuseppe Francesco Alessandro Carlos Juan Pedro Miguel Antonio Ivan Dmitry Sergey "
    "Olga Natalia Piotr Tomasz Jan Lars Erik Anders Nils Ingrid Karin Eva Lucas Gabriel Rafael Bruno Tiago"
)
_WESTERN_FAMILY = _words(
    "Smith Müller Schmidt García Martínez López González Rodríguez Fernández Pérez Sánchez Rossi Russo Ferrari "
    "Bianchi Martin Bernard Dubois Lefèvre Moreau Johnson Brown Jones Miller Davis Wilson Anderson Taylor "
    "Meyer Weber Wagner Becker Schulz Hoffmann Koch Schäfer Nowak Kowalski Wiśniewski Ivanov Petrov Novák "
    "Jensen Nielsen Hansen Andersson Johansson Larsson Silva Santos Oliveira Souza Costa Yılmaz Kaya Öztürk"
)
_SYLLABLES = _words(
    "ba be bi bo bu da de di do ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru "
    "sa se si so su ta te ti to tu va ve vi vo wa we ber ger man son sen ton ley field berg stein mann ski"
)
_PARTICLES = ("van der", "de la", "van", "von", "de", "da", "di", "del")


def _zipf_table(n: int, exponent: float) -> list[float]:
    weights = [1.0 / (rank + 1) ** exponent for rank in range(n)]
    return _cumulative(weights)


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = sum(weights)
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return out


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_left(cumulative, rng.random())


class _Names:
    """Draws base names ('Given Family') with dblp-like skew."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        given = sorted({a + b.lower() for a in _ASIAN_GIVEN_PARTS for b in _ASIAN_GIVEN_PARTS if a != b})
        rng.shuffle(given)
        self.asian_given = _ASIAN_GIVEN_PARTS + given
        self.asian_given_cum = _zipf_table(len(self.asian_given), 0.6)
        self.asian_family_cum = _zipf_table(len(_ASIAN_FAMILY), 0.6)
        self.western_given_cum = _zipf_table(len(_WESTERN_GIVEN), 0.7)
        self.western_family_cum = _zipf_table(len(_WESTERN_FAMILY), 0.8)
        self.indian_given_cum = _zipf_table(len(_INDIAN_GIVEN), 0.6)

    def draw(self) -> str:
        rng = self.rng
        u = rng.random()
        if u < 0.40:
            given = self.asian_given[_pick(rng, self.asian_given_cum)]
            return f"{given} {_ASIAN_FAMILY[_pick(rng, self.asian_family_cum)]}"
        if u < 0.46:
            family = _ASIAN_FAMILY[len(_ASIAN_FAMILY) - 1 - rng.randrange(10)]
            return f"{_INDIAN_GIVEN[_pick(rng, self.indian_given_cum)]} {family}"
        given = _WESTERN_GIVEN[_pick(rng, self.western_given_cum)]
        if rng.random() < 0.3:
            given += f" {chr(65 + rng.randrange(26))}."
        if u < 0.62:
            family = _WESTERN_FAMILY[_pick(rng, self.western_family_cum)]
        else:
            parts = 2 + (rng.random() < 0.45)
            family = "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        if rng.random() < 0.05:
            family = f"{rng.choice(_PARTICLES)} {family}"
        return f"{given} {family}"


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).replace("ł", "l").replace("Ł", "L").replace("ø", "o")
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _variant(name: str) -> str | None:
    """A case or diacritic variant of `name` as dblp holds them for distinct people, or None."""
    plain = _strip_diacritics(name)
    if plain != name:
        return plain
    words = name.split()
    particles = ("van", "der", "de", "la", "von", "da", "di", "del")
    if any(w in particles for w in words):
        return " ".join(w.capitalize() if w in particles else w for w in words)
    if len(words) >= 2 and len(words[-1]) > 3:
        return " ".join([*words[:-1], words[-1].upper()])
    return None


# ---------------------------------------------------------------- words for titles and venues

_TOPICS = _words(
    "learning neural networks graph data databases query optimization distributed systems verification "
    "security privacy cryptography compilers programming languages logic reasoning knowledge representation "
    "semantic web retrieval recommendation vision robotics control wireless networks cloud scheduling "
    "algorithms complexity combinatorics geometry visualization interaction software testing energy hardware "
    "embedded sensors language models speech translation bioinformatics healthcare education blockchain"
)
_TITLE_WORDS = _words(
    "a an the towards on of for with via using under efficient scalable robust adaptive learned optimal "
    "approximate fast secure private federated hierarchical dynamic incremental streaming probabilistic "
    "framework approach method analysis model models study benchmark evaluation design system algorithm "
    "representation inference estimation detection generation search index caching partitioning "
    "consistency transactions clustering embedding attention transformer reinforcement contrastive sparse "
    "low-rank multi-agent large-scale real-time fine-grained end-to-end zero-shot self-supervised"
)
_PAPER_TYPES = {"conference": "Conference Paper", "journal": "Journal Article"}
_VENUE_WORDS = ("International", "European", "Asian", "ACM", "IEEE", "Annual", "Symposium", "Workshop")


def _title(rng: random.Random, topic: str) -> str:
    n = 4 + rng.randrange(9)
    words = [rng.choice(_TITLE_WORDS) for _ in range(n)]
    words.insert(rng.randrange(n), topic)
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _venues(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(id, name, kind, full name); venue 0 is CoRR."""
    out = [("corr", "CoRR", "repository", "Computing Research Repository")]
    for i in range(1, count):
        kind = "conference" if rng.random() < 0.6 else "journal"
        a, b = rng.choice(_TOPICS), rng.choice(_TOPICS)
        if kind == "conference":
            full = f"{rng.choice(_VENUE_WORDS)} Conference on {a.capitalize()} and {b.capitalize()}"
        else:
            full = f"{rng.choice(('Journal of', 'Transactions on', 'Letters on'))} {a.capitalize()} {b.capitalize()}"
        short = "".join(w[0] for w in full.split() if w[0].isupper()) + str(i)
        out.append((f"v{i}", short, kind, full))
    return out


# ---------------------------------------------------------------- the model


def venue_count(papers: int) -> int:
    """A few thousand at dblp scale: 4·sqrt(papers), between 20 and 6000."""
    return max(20, min(6000, round(4 * math.sqrt(papers))))


def _author_count_table() -> tuple[list[int], list[float]]:
    values = [k for k, _ in AUTHOR_COUNTS]
    weights = [p for _, p in AUTHOR_COUNTS]
    return values, _cumulative(weights)


def expected_authors_per_paper() -> float:
    total = sum(p for _, p in AUTHOR_COUNTS)
    lo, hi = HUGE_RANGE
    huge_mean = (hi - lo) / math.log(hi / lo)
    return (1 - HUGE_SHARE) * sum(k * p for k, p in AUTHOR_COUNTS) / total + HUGE_SHARE * huge_mean


def _paper_sizes(rng: random.Random, n: int) -> array[int]:
    values, cum = _author_count_table()
    lo, hi = HUGE_RANGE
    sizes = array("i", bytes(4 * n))
    for i in range(n):
        if rng.random() < HUGE_SHARE:
            sizes[i] = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        else:
            sizes[i] = values[bisect.bisect_left(cum, rng.random())]
    return sizes


def _productivity(rng: random.Random, people: int, slots: int) -> array[int]:
    """Authorships per person: heavy-tailed, at least 1 each, summing to `slots` exactly."""
    cap = max(1, min(MAX_PAPERS_PER_PERSON, slots - people + 1))
    raw = [min(cap, 1 + int(rng.lognormvariate(PRODUCTIVITY_MU, PRODUCTIVITY_SIGMA))) for _ in range(people)]
    total = sum(raw)
    scale = (slots - people) / max(1, total - people)
    degrees = array("i", bytes(4 * people))
    for i, d in enumerate(raw):
        extra = (d - 1) * scale
        whole = int(extra)
        degrees[i] = min(cap, 1 + whole + (rng.random() < extra - whole))
    diff = slots - sum(degrees)
    while diff != 0:
        i = rng.randrange(people)
        if diff > 0 and degrees[i] < cap:
            degrees[i] += 1
            diff -= 1
        elif diff < 0 and degrees[i] > 1:
            degrees[i] -= 1
            diff += 1
    return degrees


@dataclass
class _Community:
    first: int  # first person
    size: int
    isolated: bool
    venues: tuple[int, ...]
    start_year: int
    span: int
    topic: str


def _communities(rng: random.Random, people: int, venues: int) -> list[_Community]:
    venue_cum = _zipf_table(max(1, venues - 1), 0.9)
    year_weights = [1.09 ** (y - FIRST_YEAR) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    year_cum = _cumulative(year_weights)
    out: list[_Community] = []
    small = sum(ISOLATED_SIZES) / len(ISOLATED_SIZES)
    large = 1 + math.exp(COMMUNITY_MU + COMMUNITY_SIGMA**2 / 2)
    # the share of communities that are isolated so that they hold ISOLATED_SHARE of the people
    isolated_share = ISOLATED_SHARE * large / (small + ISOLATED_SHARE * (large - small))
    first = 0
    while first < people:
        isolated = rng.random() < isolated_share
        size = rng.choice(ISOLATED_SIZES) if isolated else 1 + int(rng.lognormvariate(COMMUNITY_MU, COMMUNITY_SIGMA))
        size = min(size, people - first)
        home = tuple(1 + _pick(rng, venue_cum) for _ in range(1 + rng.randrange(4)))
        span = 3 + int(rng.expovariate(1 / 12))
        start = FIRST_YEAR + _pick(rng, year_cum)
        start = max(FIRST_YEAR, min(start, LAST_YEAR) - span // 2)
        out.append(_Community(first, size, isolated, home, start, span, rng.choice(_TOPICS)))
        first += size
    return out


def _assign_slots(
    rng: random.Random, degrees: array[int], communities: list[_Community]
) -> list[array[int]]:
    """Each community's pool of author slots (person indexes), bridges included, shuffled."""
    pools = [array("i") for _ in communities]
    open_ = [i for i, c in enumerate(communities) if not c.isolated]
    position = {c: i for i, c in enumerate(open_)}
    n_open = len(open_)
    for ci, c in enumerate(communities):
        pool = pools[ci]
        ring = position.get(ci)
        for person in range(c.first, c.first + c.size):
            for _ in range(degrees[person]):
                if ring is None or n_open < 2 or rng.random() >= BRIDGE_SHARE:
                    pool.append(person)
                    continue
                if rng.random() < BRIDGE_LOCAL:
                    step = 1 + int(rng.expovariate(1 / BRIDGE_REACH))
                    target = open_[(ring + (step if rng.random() < 0.5 else -step)) % n_open]
                else:
                    target = open_[rng.randrange(n_open)]
                pools[target].append(person)
    for pool in pools:
        rng.shuffle(pool)
    return pools


def _names(rng: random.Random, people: int, summary: Summary) -> list[str]:
    """One name per person: base names, then variants, then homonym numbers on shared names."""
    draw = _Names(rng)
    names = [draw.draw() for _ in range(people)]
    for i in range(people):
        if rng.random() < VARIANT_SHARE:
            other = names[rng.randrange(people)]
            variant = _variant(other)
            if variant is not None:
                names[i] = variant
                summary.variants += 1
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    shared = sum(1 for name in names if counts[name] > 1)
    share = min(1.0, HOMONYM_SHARE * people / shared) if shared else 0.0
    numbers: dict[str, int] = {}
    for i, name in enumerate(names):
        if counts[name] > 1 and rng.random() < share:
            n = numbers[name] = numbers.get(name, 0) + 1
            names[i] = f"{name} {n:04d}"
            summary.homonym_numbered += 1
    return names


def _writer(path: Path, header: Sequence[str]) -> tuple[IO[str], Any]:
    raw: Any = gzip.open(path, "wb", compresslevel=1) if path.name.endswith(".gz") else open(path, "wb")  # noqa: SIM115
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=False)
    w = csv.writer(text, lineterminator="\n")
    w.writerow(header)
    return text, w


def _papers(
    rng: random.Random, sizes: array[int], pools: list[array[int]], communities: list[_Community], people: int
) -> Iterator[tuple[int, int, list[int]]]:
    """The papers of `_cut`, the last one also given anyone left without a paper."""
    seen = bytearray(people)
    held: tuple[int, int, list[int]] | None = None
    for paper in _cut(rng, sizes, pools, communities):
        for person in paper[2]:
            seen[person] = 1
        if held is not None:
            yield held
        held = paper
    if held is not None:
        held[2].extend(p for p in range(people) if not seen[p])
        yield held


def _cut(
    rng: random.Random, sizes: array[int], pools: list[array[int]], communities: list[_Community]
) -> Iterator[tuple[int, int, list[int]]]:
    """(paper index, community, people in author order): pools cut into papers of the drawn sizes.

    A person met twice in one paper waits for the next paper (deferred). A paper that outgrows an
    open community is finished with the next one's slots; one that outgrows an isolated community
    is cut short, so isolated communities stay isolated.
    """
    paper = 0
    n = len(sizes)
    carried: list[int] = []  # deferred people of the open communities, carried to the next one
    surplus = 0  # slots left unused by papers cut short in isolated communities
    order = [ci for ci, c in enumerate(communities) if c.isolated]
    order += [ci for ci, c in enumerate(communities) if not c.isolated]
    for ci in order:  # isolated first: what they leave unused is known before the open ones are cut
        pool = pools[ci]
        isolated = communities[ci].isolated
        deferred = [] if isolated else carried
        i = 0
        while paper < n and (i < len(pool) or deferred):
            want = sizes[paper]
            if surplus and not isolated and want >= 3:
                want += 1
                surplus -= 1
            authors: list[int] = []
            seen: set[int] = set()
            keep: list[int] = []
            for person in deferred:
                if len(authors) < want and person not in seen:
                    authors.append(person)
                    seen.add(person)
                else:
                    keep.append(person)
            deferred = keep
            while len(authors) < want and i < len(pool):
                person = pool[i]
                i += 1
                if person in seen:
                    deferred.append(person)
                else:
                    authors.append(person)
                    seen.add(person)
            if len(authors) < want and not isolated and ci != order[-1]:
                deferred = authors + deferred  # finish this paper with the next community's slots
                break
            if isolated:
                surplus += want - len(authors)
            yield paper, ci, authors
            paper += 1
        if not isolated:
            carried = deferred
    open_ = [ci for ci, c in enumerate(communities) if not c.isolated] or [len(communities) - 1]
    while paper < n:  # slots lost to short and de-duplicated papers: papers of random open communities
        ci = open_[rng.randrange(len(open_))]
        c = communities[ci]
        authors = rng.sample(range(c.first, c.first + c.size), min(c.size, sizes[paper]))
        yield paper, ci, authors
        paper += 1


def _place_degrees(rng: random.Random, degrees: array[int], communities: list[_Community]) -> None:
    """Give the people of isolated communities the smallest productivities (as outside dblp's giant)."""
    ordered = sorted(degrees)
    isolated = [p for c in communities if c.isolated for p in range(c.first, c.first + c.size)]
    low = ordered[: len(isolated)]
    rest = ordered[len(isolated):]
    rng.shuffle(low)
    rng.shuffle(rest)
    flags = bytearray(len(degrees))
    for p in isolated:
        flags[p] = 1
    li = ri = 0
    for p in range(len(degrees)):
        if flags[p]:
            degrees[p] = low[li]
            li += 1
        else:
            degrees[p] = rest[ri]
            ri += 1


def generate(papers: int, seed: int, out: Path, *, compress: bool = False) -> Summary:
    """Write venues, authors, papers and authorships tables for `papers` synthetic papers into `out`."""
    if papers < 1:
        raise ValueError("papers: must be at least 1")
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if compress else ".csv"
    for table in ("venues", "authors", "papers", "authorships"):
        for other in (".csv", ".csv.gz", ".jsonl", ".jsonl.gz"):
            (out / f"{table}{other}").unlink(missing_ok=True)
    summary = Summary(papers=papers)

    sizes = _paper_sizes(rng, papers)
    slots = sum(sizes)
    people = max(1, min(slots, round(PEOPLE_PER_PAPER * papers)))
    degrees = _productivity(rng, people, slots)
    venue_rows = _venues(rng, venue_count(papers))
    communities = _communities(rng, people, len(venue_rows))
    _place_degrees(rng, degrees, communities)
    pools = _assign_slots(rng, degrees, communities)
    del degrees
    names = _names(rng, people, summary)
    summary.people, summary.venues, summary.communities = people, len(venue_rows), len(communities)

    path = out / f"venues{suffix}"
    f, w = _writer(path, COLUMNS["venues"])
    with f:
        w.writerows(venue_rows)
    summary.files.append(path.name)

    path = out / f"authors{suffix}"
    f, w = _writer(path, COLUMNS["authors"])
    with f:
        w.writerows((f"a{i}", name, "", "", "") for i, name in enumerate(names))
    summary.files.append(path.name)

    printed = [name[:-5] if name[-5:-4] == " " and name[-4:].isdigit() else name for name in names]
    paper_path, ship_path = out / f"papers{suffix}", out / f"authorships{suffix}"
    pf, pw = _writer(paper_path, COLUMNS["papers"])
    sf, sw = _writer(ship_path, COLUMNS["authorships"])
    doi_prefixes = [f"10.{1000 + rng.randrange(9000)}" for _ in range(64)]
    with pf, sf:
        for index, ci, authors in _papers(rng, sizes, pools, communities, people):
            c = communities[ci]
            pid = f"p{index}"
            u = rng.random()
            if u < CORR_SHARE:
                venue = 0
            elif u < CORR_SHARE + (1 - CORR_SHARE) * HOME_VENUE_SHARE:
                venue = c.venues[rng.randrange(len(c.venues))]
            else:
                venue = 1 + rng.randrange(len(venue_rows) - 1) if len(venue_rows) > 1 else 0
            vid, _, kind, _ = venue_rows[venue]
            kind_label = _PAPER_TYPES.get(kind, "Informal Publication")
            year = min(LAST_YEAR, c.start_year + rng.randrange(c.span))
            doi = f"{doi_prefixes[venue % 64]}/{vid}.{year}.{index}" if venue and rng.random() < 0.7 else ""
            pw.writerow((pid, _title(rng, c.topic), year, vid, kind_label, "", doi, "", ""))
            sw.writerows((pid, f"a{person}", pos, printed[person]) for pos, person in enumerate(authors, 1))
            summary.authorships += len(authors)
    summary.files += [paper_path.name, ship_path.name]
    return summary
