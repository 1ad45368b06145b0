"""Search on a real `kg serve`, as a checker who did not write it would try it: letters NFKD keeps
whole (ø ł ı đ þ æ œ) typed as on a plain keyboard, the vowel signs of Devanagari and Thai kept in
their word, the pages of a many-word name query that matches more names than are reordered, what
a suggestion says of a cluster whose two people wrote a paper together, a title's phrase after
one of its words came earlier in the title, and a paper without a title found by its abstract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from csv import DictReader
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from server_fixtures import Server, running

import kg

LETTERS = Path(__file__).parent / "data" / "search" / "letters.xml"
HOMONYMS = Path(__file__).parent / "data" / "search" / "homonyms.xml"
PHRASES = Path(__file__).parent / "data" / "search" / "phrases.xml"
UNTITLED = Path(__file__).parent / "data" / "search" / "untitled-openalex.json"  # OpenAlex works, two without a title
FIRSTS = ("Jian", "Jun", "Jie", "Jing", "Jia", "Juan", "Jose", "Jan", "Jens", "Jonas", "Julia", "Jakob")
SURNAMES = ("Wang", "Wangsa", "Wangler", "Ward")  # "J. Wang" matches the first three
MIDDLES = ("", " A.", " B.", " C.")


def many_j_wangs(path: Path) -> Path:
    """144 names "J. Wang" matches (more than the 110 reordered by fit) and 48 it does not; the 12
    that fit it best ("Jian Wang": no middle initial, the whole surname) have one paper, the others
    two to four, so that those 12 come last by rank (papers) and first by fit."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<dblp>"]
    k = 0
    for first in FIRSTS:
        for surname in SURNAMES:
            for middle in MIDDLES:
                k += 1
                for p in range(1 if not middle and surname == "Wang" else 2 + k % 3):
                    lines += [f'<article mdate="2024-01-01" key="journals/pg/p{k}x{p}">',
                              f"<author>{escape(first + middle + ' ' + surname)}</author>",
                              f"<title>Paper {k} {p}.</title><year>{2000 + k % 20}</year><journal>PG</journal>",
                              "</article>"]
    path.write_text("\n".join([*lines, "</dblp>", ""]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("search-spellings")
    kg.build([LETTERS, HOMONYMS, PHRASES, UNTITLED, many_j_wangs(tmp / "wangs.xml")], tmp / "store")
    return tmp / "store"


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[Server]:
    with running(store, "--workers", "1", log=store.parent / "serve.log") as s:
        yield s


def results(server: Server, path: str, q: str, **params: Any) -> Any:
    r = server.get(server.url + path, params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


def labels(server: Server, q: str, kind: str = "name") -> list[str]:
    return [unicodedata.normalize("NFC", s["label"]) for s in results(server, "/api/suggest", q, kind=kind)["results"]]


@pytest.mark.parametrize(("typed", "wanted"), [
    ("Soren", "Søren Kierkegaard"), ("soeren kierkegaard", "Søren Kierkegaard"),  # Danish ø as o and as oe
    ("Lukasz Kaiser", "Łukasz Kaiser"),                                         # Polish ł
    ("isik ozdemir", "Işık Özdemir"), ("Ilker Yildiz", "İlker Yıldız"),         # Turkish dotless ı, dotted İ
    ("Dorde Dokovic", "Đorđe Đoković"),                                         # đ
    ("Djordje Djokovic", "Đorđe Đoković"), ("djok", "Đorđe Đoković"),           # đ as "dj", as in English text
    ("Thor Gudmundsson", "Þór Guðmundsson"),                                    # Icelandic þ and ð
    ("Aesa Loewe", "Æsa Lœwe"),                                                 # ligatures æ and œ
    ("Aasa", "Åsa Ångström"), ("angstrom", "Åsa Ångström"),                     # å as a and as aa
    ("Ali Mammadov", "Əli Məmmədov"), ("memmedov", "Əli Məmmədov"),             # Azerbaijani ə as a and as e
    ("Danjuma Kasim", "Ɗanjuma Ƙasim"), ("Kofi Osei", "Kɔfi Osɛi"),            # Hausa's hooked letters, Akan's ɔ ɛ
    ("Søren", "Søren Kierkegaard"), ("ŁUKASZ", "Łukasz Kaiser"),                # and as written
    ("علي رضايي", "علی رضایی"),                  # Persian yeh typed on an Arabic keyboard
    ("محمود كريمي", "محـمود کریمی"),             # a tatweel in the name, Persian keheh
    ("كريمي", "محـمود کریمی"),
    ("فاطمه", "فاطمة الزهراء"), ("فاطمة", "فاطمة الزهراء"),   # teh marbuta typed as heh
])
def test_a_letter_nfkd_keeps_whole_is_found_as_typed_on_a_plain_keyboard(server: Server, typed: str,
                                                                        wanted: str) -> None:
    assert labels(server, typed)[:1] == [wanted]


def test_kg_search_finds_such_letters_as_typed(store: Path) -> None:
    """The same through a `kg search` process: đ typed as "dj", and the name in NFD."""
    for q in ("Djordje Djokovic", unicodedata.normalize("NFD", "đorđe Đoković")):
        out = subprocess.run([sys.executable, "-m", "kg", "search", q, "--store", str(store), "--kind", "name",
                              "--format", "json"], capture_output=True, text=True, check=True).stdout
        assert [r["label"] for r in json.loads(out)["results"]] == ["Đorđe Đoković"], q


@pytest.mark.parametrize(("typed", "wanted"), [
    ("Said Nuri", "Saʿīd Nūrī"), ("sa'id", "Saʿīd Nūrī"), ("Saʿīd", "Saʿīd Nūrī"),  # romanised Arabic's ʿayn
    ("Liliuokalani", "Liliʻuokalani Kealoha"), ("lili'u", "Liliʻuokalani Kealoha"),  # the Hawaiian ʻokina
])
def test_a_modifier_letter_apostrophe_is_an_apostrophe(server: Server, typed: str, wanted: str) -> None:
    assert labels(server, typed) == [wanted]


def test_a_title_with_such_letters_is_found_as_typed(server: Server) -> None:
    assert labels(server, "orsted lodz", "paper") == ["Ørsted and Łódź: a Study."]
    assert labels(server, "aero coeur", "paper") == ["Ærø and Cœur."]
    assert labels(server, "ozbekiston quran", "paper") == ["Oʻzbekiston and the Qurʾān."]


@pytest.mark.parametrize(("typed", "wanted"), [
    ("रा", ["राहुल शर्मा"]),      # "ra": not Ramesh, whose first letter is र without the vowel sign
    ("राहुल", ["राहुल शर्मा"]),
    ("शर्मा", ["राहुल शर्मा"]),
    ("र", ["रमेश हलवाई", "राहुल शर्मा"]),  # the bare letter begins both
    ("जाकिर", ["ज़ाकिर हुसैन"]),    # a nukta (ज़) not typed is a diacritic left out
    ("ज़ाकिर", ["ज़ाकिर हुसैन"]),
    ("สุ", ["สุดา ใจดี"]),        # Thai "su": not Somchai
    ("ใจดี", ["สมชาย ใจดี", "สุดา ใจดี"]),
    ("தமிழ்", ["தமிழ் செல்வன்"]),
])
def test_a_vowel_sign_is_part_of_its_word(server: Server, typed: str, wanted: list[str]) -> None:
    assert sorted(labels(server, typed)) == sorted(wanted)


THAI = "การเรียนรู้ของเครื่องสำหรับกราฟความรู้"  # "machine learning for knowledge graphs", no spaces
THREE = "ການຮຽນຮູ້ຂອງເຄື່ອງ / ការរៀនម៉ាស៊ីន / စက်သင်ယူမှု"  # the same in Lao, Khmer and Myanmar


@pytest.mark.parametrize(("typed", "wanted"), [
    ("เรียนรู้", [THAI]), ("ความรู้", [THAI]), ("กราฟ", [THAI]),   # words inside the title: learn, knowledge, graph
    ("เรียนร", [THAI]), ("กราฟ เครื่อง", [THAI]),                # a word being typed; two words, in any order
    ("ເຄື່ອງ", [THREE]), ("ម៉ាស៊ីន", [THREE]), ("သင်ယူ", [THREE]),  # Lao "machine", Khmer "machine", Myanmar "learn"
    ("เครื่อง", [THAI]), ("สุดา", []), ("ครื", [THAI]),           # a unit's marks are its own: not ค + ร + ื
    ("คร", [THAI]), ("ครู", []),
])
def test_a_word_inside_a_title_written_without_spaces_is_found(server: Server, typed: str,
                                                                 wanted: list[str]) -> None:
    assert labels(server, typed, "paper") == wanted


@pytest.mark.parametrize(("typed", "wanted"), [
    ("ใจดี สมชาย", ["สมชาย ใจดี"]), ("ใจดี สม", ["สมชาย ใจดี"]),  # Thai surname first, the given name being typed
    ("ดี", ["สมชาย ใจดี", "สุดา ใจดี"]),      # a part of a word: Thai writes none apart
    ("ວົງ", ["ສົມພອນ ວົງສາ"]), ("ງສາ", ["ສົມພອນ ວົງສາ"]), ("ចាន់", ["សុខ ចាន់"]), ("ကျော်", ["အောင် ကျော်"]),
])
def test_a_name_written_without_spaces_is_found_by_its_parts(server: Server, typed: str, wanted: list[str]) -> None:
    assert sorted(labels(server, typed)) == sorted(wanted)


@pytest.mark.parametrize(("typed", "kind", "wanted"), [
    ("陈国强", "name", ["陳國強"]), ("陈国", "name", ["陳國強"]),  # simplified finds traditional
    ("陳國強", "name", ["陳國強"]),
    ("張學友", "name", ["张学友"]), ("学友", "name", ["张学友"]),  # and the other way round
    ("知识图谱", "paper", ["知識圖譜的構建"]), ("图谱 构建", "paper", ["知識圖譜的構建"]),
    ("陈学", "name", []),  # no such pair
])
def test_traditional_and_simplified_chinese_find_each_other(server: Server, typed: str, kind: str,
                                                            wanted: list[str]) -> None:
    assert labels(server, typed, kind) == wanted


@pytest.mark.parametrize(("typed", "wanted"), [
    ("기", ["김민수", "김민호"]), ("김미", ["김민수", "김민호"]),  # a syllable being typed (기 on its way to 김)
    ("ㄱ", ["김민수", "김민호"]),                                # a letter alone, as a Korean keyboard first gives it
    ("김민ㅅ", ["김민수"]), ("김민수", ["김민수"]), ("민호", ["김민호"]), ("수", ["김민수"]),
])
def test_a_korean_name_is_found_while_its_syllables_are_typed(server: Server, typed: str, wanted: list[str]) -> None:
    assert sorted(labels(server, typed)) == wanted


def test_a_name_typed_in_the_other_chinese_script_links_its_cluster(server: Server) -> None:
    assert ">陳國強</a>" in exact_clusters(server, "陈国强") and ">张学友</a>" in exact_clusters(server, "張學友")


def pages(server: Server, q: str, limit: int) -> list[str]:
    url: str | None = server.url + "/api/search"
    params: dict[str, Any] | None = {"q": q, "kind": "name", "limit": limit}
    seen: list[str] = []
    while url:
        r = server.get(url, params=params)
        assert r.status_code == 200, r.text
        seen += [s["label"] for s in r.json()["results"]]
        url, params = r.json()["next"], None
    return seen


def test_the_pages_of_a_many_word_query_neither_repeat_nor_skip_a_name(server: Server) -> None:
    wanted = {f + m + " " + s for f in FIRSTS for s in SURNAMES[:3] for m in MIDDLES}
    by_seven = pages(server, "J. Wang", 7)
    assert len(by_seven) == len(set(by_seven)) == len(wanted) and set(by_seven) == wanted
    assert pages(server, "J. Wang", 50) == by_seven  # the order is the text's, whatever the page size
    assert labels(server, "J. Wang") == by_seven[:10]  # and a suggestion is the first page


def test_a_paper_two_rows_of_a_cluster_wrote_counts_once_as_on_the_cluster_page(server: Server) -> None:
    got = results(server, "/api/suggest", "Li Huang", kind="name")["results"]
    shown = [(s["label"], s["rows"], s["papers"], s["first"], s["last"]) for s in got]
    assert shown == [("Li Huang", 2, 3, 2019, 2021)]
    assert got[0]["venue"] == "Beta J."  # two of its three papers, not Alpha J. counted once a row
    cluster = server.get(server.url + "/api/clusters/li%20huang").json()
    assert cluster["paper_count"] == got[0]["papers"]


@pytest.mark.parametrize(("typed", "phrase", "words"), [
    ("vehicle with an", "Control of an Autonomous Vehicle with an Approximate Model.",
     "Electric Vehicles Within and Around a Microgrid."),
    ("графы и обзор", "Знания и графы и обзор.", "Обзор: графы и знания."),
])
def test_a_title_holding_the_phrase_comes_first_though_a_word_of_it_came_before(server: Server, typed: str,
                                                                                 phrase: str, words: str) -> None:
    assert labels(server, typed, "paper") == [phrase, words]  # the phrase first, then the newer with the words


def test_a_paper_without_a_title_is_found_by_its_abstract_as_the_pages_show_it(server: Server) -> None:
    iri = "http://localhost:7878/paper/openalex%3AW900001"  # the default base
    got = results(server, "/api/search", "mosquito wetl", kind="paper")["results"]
    assert [(p["iri"], p["label"], p["matched"], p["snippet"]) for p in got] == [
        (iri, f"[no title] {iri}", "abstract", "Mosquito surveillance across wetlands")]
    titled = results(server, "/api/search", "wetlands", kind="paper")["results"]
    assert [p["matched"] for p in titled] == ["title", "abstract"]  # the title's match first
    page = server.get(server.url + "/search", params={"q": "mosquito"})
    assert page.status_code == 200 and f"[no title] {iri}" in page.text
    csv = server.get(server.url + "/api/search", params={"q": "wetlands", "kind": "paper", "format": "csv"})
    rows = list(DictReader(io.StringIO(csv.text)))  # says, as the JSON, which paper its abstract found
    assert [(r["label"], r["matched"], r["snippet"]) for r in rows] == [
        ("Wetlands and Birds", "title", ""), (f"[no title] {iri}", "abstract", "Mosquito surveillance across wetlands")]
    # one without a title or an abstract is not in the index: nothing of it can be typed
    assert results(server, "/api/search", "nobody abstract", kind="all")["results"][0]["kind"] == "name"


def test_a_cjk_name_typed_whole_is_that_name_not_its_characters_in_another_order(server: Server) -> None:
    assert labels(server, "王小明") == ["王小明"]  # 明小王 (more papers) has neither bigram 王小 nor 小明
    page = server.get(server.url + "/search", params={"q": "王小明"})
    exact = page.text.split('id="exact"')[1].split("</p>")[0]
    assert page.status_code == 200 and ">王小明</a>" in exact and "明小王" not in exact


def exact_clusters(server: Server, q: str) -> str:
    """The results page's links to the clusters `q` names (empty when it names none)."""
    page = server.get(server.url + "/search", params={"q": q})
    assert page.status_code == 200, page.text
    return page.text.split('id="exact"')[1].split("</p>")[0] if 'id="exact"' in page.text else ""


@pytest.mark.parametrize(("typed", "wanted"), [
    ("Hans Mueller", "Hans Müller"), ("mueller hans", "Hans Müller"), ("Hans Muller", "Hans Müller"),
    ("Soeren Kierkegaard", "Søren Kierkegaard"), ("Aasa Aangstroem", "Åsa Ångström"),
    ("Djordje Djokovic", "Đorđe Đoković"), ("Dorde Dokovic", "Đorđe Đoković"),
    ("Eli Memmedov", "Əli Məmmədov"), ("Ali Mammadov", "Əli Məmmədov"),
])
def test_a_name_typed_with_its_umlauts_spelled_out_links_its_cluster(server: Server, typed: str, wanted: str) -> None:
    assert f">{wanted}</a>" in exact_clusters(server, typed)
    assert labels(server, typed)[0] == wanted


def test_a_spelled_out_name_is_no_exact_match_of_another_name(server: Server) -> None:
    assert exact_clusters(server, "Hans Mueller Kaiser") == "" and exact_clusters(server, "Mueller") == ""
