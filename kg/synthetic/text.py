"""Titles, abstracts and venues: words drawn from small fixed vocabularies."""

from __future__ import annotations

import random

from kg.synthetic.sampling import split_words

TOPICS = split_words(
    "learning neural networks graph data databases query optimization distributed systems verification "
    "security privacy cryptography compilers programming languages logic reasoning knowledge representation "
    "semantic web retrieval recommendation vision robotics control wireless networks cloud scheduling "
    "algorithms complexity combinatorics geometry visualization interaction software testing energy hardware "
    "embedded sensors language models speech translation bioinformatics healthcare education blockchain"
)
_TITLE_WORDS = split_words(
    "a an the towards on of for with via using under efficient scalable robust adaptive learned optimal "
    "approximate fast secure private federated hierarchical dynamic incremental streaming probabilistic "
    "framework approach method analysis model models study benchmark evaluation design system algorithm "
    "representation inference estimation detection generation search index caching partitioning "
    "consistency transactions clustering embedding attention transformer reinforcement contrastive sparse "
    "low-rank multi-agent large-scale real-time fine-grained end-to-end zero-shot self-supervised"
)
PAPER_TYPES = {"conference": "Conference Paper", "journal": "Journal Article"}
_VENUE_WORDS = ("International", "European", "Asian", "ACM", "IEEE", "Annual", "Symposium", "Workshop")


def draw_title(rng: random.Random, topic: str) -> str:
    n = 4 + rng.randrange(9)
    words = [rng.choice(_TITLE_WORDS) for _ in range(n)]
    words.insert(rng.randrange(n), topic)
    text = " ".join(words)
    return text[0].upper() + text[1:]


def draw_abstract(rng: random.Random, topic: str, words: int) -> str:
    """About `words` words (half to one and a half times as many) of the titles' and topics'
    vocabulary, the paper's community topic among them, as sentences."""
    n = max(1, words // 2 + rng.randrange(words + 1))
    drawn = [rng.choice(_TITLE_WORDS) if rng.random() < 0.7 else rng.choice(TOPICS) for _ in range(n)]
    drawn[rng.randrange(n)] = topic
    sentences, start = [], 0
    while start < n:
        end = min(n, start + 8 + rng.randrange(17))
        sentence = " ".join(drawn[start:end])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        start = end
    return " ".join(sentences)


def draw_venues(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(id, name, kind, full name); venue 0 is CoRR."""
    out = [("corr", "CoRR", "repository", "Computing Research Repository")]
    for i in range(1, count):
        kind = "conference" if rng.random() < 0.6 else "journal"
        a, b = rng.choice(TOPICS), rng.choice(TOPICS)
        if kind == "conference":
            full = f"{rng.choice(_VENUE_WORDS)} Conference on {a.capitalize()} and {b.capitalize()}"
        else:
            full = f"{rng.choice(('Journal of', 'Transactions on', 'Letters on'))} {a.capitalize()} {b.capitalize()}"
        short = "".join(w[0] for w in full.split() if w[0].isupper()) + str(i)
        out.append((f"v{i}", short, kind, full))
    return out
