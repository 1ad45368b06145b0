"""Person names with dblp's skew: name pools of very unequal frequency, case and diacritic
variants, dblp homonym numbers ("Wei Wang 0003")."""

from __future__ import annotations

import random
import unicodedata
from typing import Protocol

from kg.synthetic.params import HOMONYM_SHARE, VARIANT_SHARE
from kg.synthetic.sampling import pick, split_words, zipf_table


class Counts(Protocol):
    """Where `person_names` counts what it did (kg.synthetic.generator.Summary)."""

    variants: int
    homonym_numbered: int


_ASIAN_FAMILY = split_words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng Liang Xie Song "
    "Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du Ye Cheng Wei Su Lu Ding Ren Shen "
    "Yao Jin Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Nguyen Tran Le Pham Hoang Sato Suzuki Takahashi "
    "Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Kumar Singh Sharma Gupta Patel Das Reddy Rao"
)
_ASIAN_GIVEN_PARTS = split_words(
    "Wei Jing Li Yan Hui Jun Xin Ying Hong Lei Jie Ming Hao Tao Bin Yu Fang Ping Qiang Lin Chao Yang Bo Xiao "
    "Hua Min Jian Gang Feng Yi Dong Kai Liang Peng Rui Hai Ning Qing Zhi Xiang Yun Jia Tian Chen Lu Zhen Wen"
)
_INDIAN_GIVEN = split_words("Amit Rahul Anil Sanjay Vijay Ravi Rajesh Deepak Arun Suresh Priya Anjali Neha Pooja Manoj")
_WESTERN_GIVEN = split_words(
    "John Michael David James Robert Thomas Daniel Peter Mark Paul Andreas Stefan Martin Christian Alexander "
    "Maria Anna Laura Sarah Julia Elena Sofia Emma Claire Marie Hans Klaus Jürgen Jörg Günter Søren Łukasz "
    "José María Jesús Ángel Raúl Sébastien François Frédéric Hélène Cécile Zoë André Joël Iñaki Çağrı Ömer "
    "Pierre Jean Luca Marco Giuseppe Francesco Alessandro Carlos Juan Pedro Miguel Antonio Ivan Dmitry Sergey "
    "Olga Natalia Piotr Tomasz Jan Lars Erik Anders Nils Ingrid Karin Eva Lucas Gabriel Rafael Bruno Tiago"
)
_WESTERN_FAMILY = split_words(
    "Smith Müller Schmidt García Martínez López González Rodríguez Fernández Pérez Sánchez Rossi Russo Ferrari "
    "Bianchi Martin Bernard Dubois Lefèvre Moreau Johnson Brown Jones Miller Davis Wilson Anderson Taylor "
    "Meyer Weber Wagner Becker Schulz Hoffmann Koch Schäfer Nowak Kowalski Wiśniewski Ivanov Petrov Novák "
    "Jensen Nielsen Hansen Andersson Johansson Larsson Silva Santos Oliveira Souza Costa Yılmaz Kaya Öztürk"
)
_SYLLABLES = split_words(
    "ba be bi bo bu da de di do ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro ru "
    "sa se si so su ta te ti to tu va ve vi vo wa we ber ger man son sen ton ley field berg stein mann ski"
)
_PARTICLES = ("van der", "de la", "van", "von", "de", "da", "di", "del")


class NameDraw:
    """Draws base names ('Given Family') with dblp-like skew."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        given = sorted({a + b.lower() for a in _ASIAN_GIVEN_PARTS for b in _ASIAN_GIVEN_PARTS if a != b})
        rng.shuffle(given)
        self.asian_given = _ASIAN_GIVEN_PARTS + given
        self.asian_given_cum = zipf_table(len(self.asian_given), 0.6)
        self.asian_family_cum = zipf_table(len(_ASIAN_FAMILY), 0.6)
        self.western_given_cum = zipf_table(len(_WESTERN_GIVEN), 0.7)
        self.western_family_cum = zipf_table(len(_WESTERN_FAMILY), 0.8)
        self.indian_given_cum = zipf_table(len(_INDIAN_GIVEN), 0.6)

    def draw(self) -> str:
        rng = self.rng
        u = rng.random()
        if u < 0.40:
            given = self.asian_given[pick(rng, self.asian_given_cum)]
            return f"{given} {_ASIAN_FAMILY[pick(rng, self.asian_family_cum)]}"
        if u < 0.46:
            family = _ASIAN_FAMILY[len(_ASIAN_FAMILY) - 1 - rng.randrange(10)]
            return f"{_INDIAN_GIVEN[pick(rng, self.indian_given_cum)]} {family}"
        given = _WESTERN_GIVEN[pick(rng, self.western_given_cum)]
        if rng.random() < 0.3:
            given += f" {chr(65 + rng.randrange(26))}."
        if u < 0.62:
            family = _WESTERN_FAMILY[pick(rng, self.western_family_cum)]
        else:
            parts = 2 + (rng.random() < 0.45)
            family = "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()
        if rng.random() < 0.05:
            family = f"{rng.choice(_PARTICLES)} {family}"
        return f"{given} {family}"


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).replace("ł", "l").replace("Ł", "L").replace("ø", "o")
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def name_variant(name: str) -> str | None:
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


def person_names(rng: random.Random, people: int, summary: Counts) -> list[str]:
    """One name per person: base names, then variants, then homonym numbers on shared names."""
    draw = NameDraw(rng)
    names = [draw.draw() for _ in range(people)]
    for i in range(people):
        if rng.random() < VARIANT_SHARE:
            other = names[rng.randrange(people)]
            variant = name_variant(other)
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
