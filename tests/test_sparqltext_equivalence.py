"""kg.sparqltext's regex lexer and kg.server.protocol's form decoder against the implementations they
replaced (tests/reference_sparqltext.py, kept verbatim as the reference): the same tokens (kind,
text, start, depth), the same answers of every check and the same refusals, the same pairs and the
same 400 messages, on the named queries, the SPARQL texts of the tests, and a few thousand generated
texts (fixed seed) mixing SPARQL with what a lexer gets wrong: quotes, backslashes, `#`, `<`,
braces, escapes, non-ASCII, `%`, `+`, `&`.
"""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest
from conftest import ROOT, shared
from reference_sparqltext import OldAnalysis, old_add_using, old_check_outbound, old_lex, old_pairs, old_parse

from kg.server import protocol
from kg.server.protocol import ProtocolError
from kg.sparqltext import Analysis, Refused, add_using, check_outbound, lex

# ---- the inputs ----

SPARQL_BITS = [
    "SELECT", "select", "Select", "ASK", "ask", "CONSTRUCT", "DESCRIBE", "FROM", "from", "NAMED", "WHERE", "where",
    "SERVICE", "service", "LOAD", "load", "SILENT", "PREFIX", "prefix", "BASE", "USING", "using", "WITH", "with",
    "DELETE", "INSERT", "DATA", "GRAPH", "OPTIONAL", "FILTER", "LIMIT", "VALUES", "kg:", "kg:name", "kg:nameKey",
    "ex:", ":", ":a", "ex:a\\.b", "ex:a\\", "ex:\\~x", "a", ".", ";", ",", "*", "(", ")", "=", "!=", "^^", "@en",
    "|", "`", "^", "?x", "$y", "?", "$", "?é", "?1", "$a:b", "{", "}", "{{", "}}}", "{ }",
    "<http://ex.org/a>", "<https://kg.example.org/paper/123>", "<http://allowed.example/sparql>", "<sparql>",
    "<>", "<a b>", "<a\"b>", "<", ">", "<=", "<<", '"', "'", '"""', "'''", '""', "''", '"a\\"b"', "'x'", '"x"',
    '"liu|liyuan"', "'it''s'", '"""a "quoted" b"""', "'''x '' y'''", '"unterminated', '\\', '\\\\', '\\"',
    "\\u0053ERVICE", "\\u0053", "\\U00000041", "\\u00", "\\uD800", "\\UFFFFFFFF", "\\U0010FFFF", "\\u007B",
    "\\u0022", "\\u003C", "#", "# comment\n", "#x", "\n", "\r\n", " ", "  ", "\t", "\u3000", "\xa0", "\x85",
    "\u2028", "é", "名前", "ſervice", "ﬆ", "ß", "🙂", "\U000F0000", "\x00", "%", "%41", "-", "_", "\\#", "\\~",
    "1.5e3", "-2", "http://a/b", "+", "&", "=",
]
FORM_BITS = [
    "query", "update", "default-graph-uri", "named-graph-uri", "using-graph-uri", "format", "=", "==", "&", "&&",
    ";", "+", "++", "%", "%2", "%20", "%41", "%zz", "%g1", "%%", "%7B", "%7b", "%3D", "%26", "%2B", "%C3%A9",
    "%c3%a9", "%e2%82%ac", "%F0%9F%99%82", "%00", "%7F", "%5C", "\\", "\\x41", "\\\\", "a", "b", "SELECT",
    "\x7f", " ", "\n",
]
RARE_BITS = ["%C3", "%FF", "%E2%82", "%ED%A0%80", "%A9", "é", "\x80", "\xff", "名"]  # invalid escapes, raw non-ASCII
QUERIES = sorted((ROOT / "queries").glob("*.rq"))


def generated_sparql(count: int, seed: int = 15) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(SPARQL_BITS) + rng.choice(["", " ", " ", "\n"]) for _ in range(rng.randint(1, 40)))
        for _ in range(count)
    ]


def sparql_of_the_tests() -> list[str]:
    """The string constants of the tests' own files that look like SPARQL."""
    looks = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|PREFIX|SERVICE|LOAD|CLEAR)\b", re.IGNORECASE)
    found = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and looks.search(node.value):
                found.add(node.value)
    return sorted(found)


def real_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in QUERIES] + sparql_of_the_tests()


# ---- the comparisons ----

def outcome(f: object, *args: object) -> object:
    """What calling f gives: its value, or the refusal's type and message."""
    try:
        return ("ok", f(*args))  # type: ignore[operator]
    except (Refused, ProtocolError) as e:
        return (type(e).__name__, str(e), getattr(e, "status", None))


def rows(tokens: list[object]) -> list[tuple[str, str, int, int]]:
    return [(t.kind, t.text, t.start, t.depth) for t in tokens]  # type: ignore[attr-defined]


def keyword_rows(a: Analysis | OldAnalysis) -> list[tuple[int, str, str, int, int]]:
    return [(i, t.kind, t.text, t.start, t.depth) for i, t in a.keywords()]


OUTBOUND = [  # allowed hosts, the request's base IRI
    (frozenset(), None),
    (frozenset(), "http://kg.example.org/sparql"),
    (frozenset({"allowed.example", "ex.org"}), "http://allowed.example/base/"),
]
GRAPHS = ([ox.NamedNode("http://ex.org/g")], [ox.NamedNode("http://ex.org/n")])


def assert_same_analysis(text: str) -> None:
    old = outcome(old_lex, text)
    if old[0] != "ok":
        assert outcome(lex, text) == old, text
        return
    ref = old[1]
    assert isinstance(ref, OldAnalysis)
    # checks first, the tokens not yet made: the words from the regex alone
    a = lex(text)
    assert a.text == ref.text
    assert a.form() == ref.form(), text
    assert a.has_dataset_clause() == ref.has_dataset_clause(), text
    for hosts, base in OUTBOUND:
        new_out = outcome(check_outbound, a, hosts, base, "kg query", "--allow-service")
        assert new_out == outcome(old_check_outbound, ref, hosts, base, "kg query", "--allow-service"), text
    assert a.has_using_or_with() == ref.has_using_or_with(), text
    assert rows(a.tokens) == rows(ref.tokens), text  # type: ignore[arg-type]
    assert outcome(add_using, a, *GRAPHS) == outcome(old_add_using, ref, *GRAPHS), text
    # the tokens first, then the checks from them
    b = lex(text)
    assert keyword_rows(b) == keyword_rows(ref)
    assert b.words() == lex(text).words() == [t.text.upper() for t in ref.tokens if t.kind == "word"]
    assert (b.form(), b.has_dataset_clause(), b.has_using_or_with()) == (
        ref.form(), ref.has_dataset_clause(), ref.has_using_or_with())
    assert outcome(check_outbound, b, *OUTBOUND[2]) == outcome(old_check_outbound, ref, *OUTBOUND[2])


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_named_queries_lex_as_before(path: Path) -> None:
    assert_same_analysis(path.read_text(encoding="utf-8"))


def test_the_tests_sparql_lexes_as_before() -> None:
    texts = sparql_of_the_tests()
    assert len(texts) > 50
    for text in texts:
        assert_same_analysis(text)


def test_generated_texts_lex_as_before() -> None:
    texts = generated_sparql(3000)
    refused = sum(outcome(old_lex, t)[0] != "ok" for t in texts)
    outbound = sum(outcome(old_check_outbound, old_lex(t), frozenset(), None)[0] != "ok"
                   for t in texts if outcome(old_lex, t)[0] == "ok")
    assert 0 < refused < len(texts) // 2 and outbound > 100  # the mix reaches every branch
    for text in texts:
        assert_same_analysis(text)


def test_odd_texts_lex_as_before() -> None:
    for text in ["", " ", "#", "# only a comment", "x # c\n y", "\\", '"\\', "'''\\", '"""a""""', '""""', "''''",
                 "?", "$", "??x", "<", "<a", "<>", "}}}{", "{{{", "} SERVICE <http://x/> {", "ſervice <http://x/>",
                 "\\u0053ERVICE <http://x/>", "\\uD800", "\\UFFFFFFFF", "SERVICE", "LOAD SILENT", "SELECT \u3000x",
                 "a\u3000b", "\U000F0000", "x\n" * 3 + "   \n\t", "PREFIX : <http://x/> SERVICE :s {}",
                 "BASE <http://ex.org/> SERVICE <s> {}", "DELETE WHERE { ?s ?p ?o } ; INSERT {} WHERE {}"]:
        assert_same_analysis(text)


def test_analysis_alone_has_no_tokens() -> None:
    a = Analysis("SELECT * FROM <http://x/> WHERE {}")  # as the endpoint keeps a refused text
    assert a.tokens == [] and a.form() is None and not a.has_dataset_clause() and a.keywords() == []
    b = lex("SELECT * WHERE {}")
    assert b == lex("SELECT * WHERE {}") and b != lex("ASK {}") and "SELECT" in repr(b)
    b.tokens = lex("ASK {}").tokens
    assert b.form() == "ASK"


def assert_same_pairs(raw: bytes | str, codec: str) -> None:
    new = outcome(protocol._pairs, raw, "the form body", codec)
    assert new == outcome(old_pairs, raw, "the form body", codec), (raw, codec)


def generated_forms(count: int, seed: int = 15) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(RARE_BITS if rng.random() < 0.03 else FORM_BITS) for _ in range(rng.randint(0, 25)))
        out.append(text.encode("utf-8") if rng.random() < 0.8 else text.encode("latin-1", "replace"))
    return out


def test_generated_forms_decode_as_before() -> None:
    forms = generated_forms(4000)
    failing = {codec: sum(outcome(old_pairs, f, "x", codec)[0] != "ok" for f in forms)
               for codec in ("utf-8", "latin-1")}
    assert all(0 < n < len(forms) // 2 for n in failing.values()), failing
    for raw in forms:
        for codec in ("utf-8", "latin-1"):
            assert_same_pairs(raw, codec)
            assert_same_pairs(raw.decode("latin-1"), codec)  # a str, as parse_qsl also takes


def test_encoded_queries_decode_as_before() -> None:
    for text in real_texts() + generated_sparql(500, seed=16):
        for body in (urlencode({"query": text}), urlencode({"update": text, "using-graph-uri": "http://ex.org/g"}),
                     "query=" + quote(text, safe=""), "query=" + quote(text, safe="/:<>?") + "&format=json"):
            for codec in ("utf-8", "latin-1"):
                assert_same_pairs(body.encode("ascii"), codec)
        assert_same_pairs(("query=" + text.replace("&", "%26")).encode("utf-8"), "utf-8")  # raw, not encoded


def test_protocol_manifest_bodies_decode_as_before() -> None:
    manifest = shared("conformance", "w3c-sparql11", "protocol", "manifest.ttl").read_text(encoding="utf-8")
    found = re.findall(r'(?:cnt:chars|ht:absolutePath) "(?:[^"?]*\?)?([^"]*)"', manifest)
    assert len(found) > 20
    for body in found:
        for codec in ("utf-8", "latin-1"):
            assert_same_pairs(body.encode("utf-8"), codec)


def test_odd_forms_decode_as_before() -> None:
    for raw in [b"", b"&", b"&&", b"=", b"query", b"query=", b"query=a;b=c", b"a=1&a=2&a=", b"%", b"query=%",
                b"query=%2", b"query=%zz", b"query=%%41", b"q%75ery=x", b"+=+", b"query=a+b%2Bc", b"query=%FF",
                b"query=%C3", b"query=%C3%A9", b"\xff", b"query=\xc3\xa9%C3", b"query=\xc3\xa9%FF"]:
        for codec in ("utf-8", "latin-1"):
            assert_same_pairs(raw, codec)


CONTENT_TYPES = [None, "", protocol.FORM, f"{protocol.FORM}; charset=utf-8", f" {protocol.FORM.upper()} ",
                 "Application/X-WWW-Form-Urlencoded ;charset=ISO-8859-1", f'{protocol.FORM}; charset="latin1"',
                 f"{protocol.FORM}; charset=koi8-r", f"{protocol.FORM};", protocol.QUERY, protocol.UPDATE,
                 f"{protocol.QUERY}; charset=iso-8859-1", "text/plain", "text/plain; charset=utf-8"]


def parsed(f: object, *args: object) -> object:
    try:
        op = f(*args)  # type: ignore[operator]
        return ("ok", op.kind, op.text, op.params)
    except ProtocolError as e:
        return ("error", e.status, e.message, e.headers)


def test_requests_parse_as_before() -> None:
    rng = random.Random(15)
    forms = generated_forms(600, seed=17) + [b"query=ASK+%7B%7D", b"update=CLEAR+ALL", b"format=json"]
    for body in forms:
        for method in ("GET", "POST", "POST", "HEAD", "PUT"):
            query_string = rng.choice([b"", b"", b"format=json", b"default-graph-uri=http%3A%2F%2Fex.org%2Fg",
                                       b"query=ASK+%7B%7D", rng.choice(forms)])
            content_type = rng.choice(CONTENT_TYPES)
            args = (method, query_string, content_type, body)
            assert parsed(protocol.parse, *args) == parsed(old_parse, *args), args
