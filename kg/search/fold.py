"""Folding: the tokens a name or a title is indexed under, and the alternatives a typed query
token may stand for. Both sides go through the same functions, so what is indexed and what is
looked up agree by construction.

- case (casefold), compatibility forms (NFKC), diacritics (NFKD, combining marks dropped): "González"
  and "GONZALEZ" are both "gonzalez"; Greek accents and Arabic vowel marks are dropped the same way;
- letters that are not a base letter and a mark, so that NFKD keeps them, are spelled with the
  letters they are typed as: "Søren" is "soren", "Łukasz" "lukasz", "Işık" "isik", "Đorđe" "dorde",
  "Guðmundsson" "gudmundsson", "Þór" "thor", "Ærø" "aero", "Cœur" "coeur"; Persian "علی" is
  Arabic "علي", and "محـمد" (a tatweel) "محمد";
- German umlauts and ß, Scandinavian ø and å, and đ are also indexed as they are typed without them:
  "Müller" under "muller" and "mueller", "Strauß" under "strauss", "Søren" under "soren" and
  "soeren", "Ångström" under "angstrom" and "aangstroem", "Đorđe" under "dorde" and "djordje",
  "Məmmədov" under "mammadov" and "memmedov";
- punctuation and hyphens split tokens, and the joined form is indexed too ("Jean-Pierre": "jean",
  "pierre", "jeanpierre"; "O'Brien": "o", "brien", "obrien"); the modifier letters written for an
  apostrophe are one ("Saʿīd": "sa", "id", "said");
- traditional Chinese characters are the simplified ones (kg.search.han, from OpenCC's table of
  single characters): "王偉" is "王伟", so a name typed in either script finds the other;
- CJK (Han, kana, Hangul) runs are indexed by their characters and character bigrams, since they
  are written without spaces: "王小明" under 王, 小, 明, 王小, 小明; so are Thai, Lao, Myanmar and
  Khmer runs, by their units (a letter with the marks written on it, never split) and the units'
  bigrams: "สุดา" under สุ, ด, า, สุด, ดา; and Hangul, as the letters (jamo) of each syllable, a
  syllable one unit, so that the syllable a keyboard shows while it is typed (기 on the way to 김)
  is the start of the one written;
- other scripts (Greek, Cyrillic, Arabic, …) are tokens as written, folded as above.

A query token is then matched as a prefix of an indexed token (kg.search.query), which gives
token order, initials ("L. Liu") and typing prefixes.
"""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY = 200  # characters of a query kept (a longer one is cut: nobody types a longer name)
MAX_TOKENS = 12  # tokens of a query kept

# as typed without them: German umlauts and ß, Scandinavian ø and å, and the South Slavic đ as "dj"
# (Serbian and Croatian names in English text: "Đorđe Đoković" is "Djordje Djokovic")
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ø": "oe", "å": "aa", "đ": "dj",
                              "ə": "e"})  # and Azerbaijani ə as "e" (Memmedov), as Turkish writes it
_SPELLED = "äöüßøåđə"
# letters NFKD does not decompose (no base letter and mark), as they are typed on a plain keyboard;
# the Persian yeh and keheh as the Arabic ones (one letter, two keyboards), alef maksura as yeh (as
# often written for it), and the tatweel (a stretch of the line, no letter) left out
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "ı": "i", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t", "þ": "th",
                          "æ": "ae", "œ": "oe", "ی": "ي", "ى": "ي", "ک": "ك", "ـ": None,
                          # teh marbuta as heh, as Arabic search folds it (فاطمه typed for فاطمة), and
                          # Urdu's heh and yeh forms as the Arabic ones (one letter, other keyboards)
                          "ة": "ه", "ہ": "ه", "ھ": "ه", "ے": "ي",
                          # Azerbaijani ə (Məmmədov is Mammadov in English text), the letters of
                          # Hausa, Yoruba, Akan, Ewe, … that are no Latin letter and a mark
                          "ə": "a", "ǝ": "e", "ɛ": "e", "ɔ": "o", "ɓ": "b", "ɗ": "d", "ɖ": "d", "ƙ": "k",
                          "ƴ": "y", "ŋ": "n", "ƒ": "f", "ʋ": "v", "ɣ": "g", "ɨ": "i", "ʉ": "u",
                          # the modifier letters written for an apostrophe (Hawaiian ʻokina, Uzbek
                          # Oʻ, the ʿayn and ʾalif of romanised Arabic, the soft sign's ʹ) are
                          # letters to \w, which glued "Saʿīd" into one word "saʿid" that "Said"
                          # is not the start of: as an apostrophe, "sa", "id" and "said"
                          **dict.fromkeys("\u02b9\u02ba\u02bb\u02bc\u02bd\u02be\u02bf", "'")})


def _mark_ranges() -> str:
    """The combining marks (Mn, Mc, Me) of the BMP and of the Brahmic scripts' supplementary block, as
    ranges of a character class: the vowel signs of Devanagari, Bengali, Tamil, Thai, … are marks
    that NFKD keeps (their combining class is 0) and that \\w does not match."""
    codes = [c for r in (range(0x300, 0x10000), range(0x11000, 0x12000))
             for c in r if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")]
    spans: list[list[int]] = []
    for c in codes:
        if spans and spans[-1][1] == c - 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in spans)


# a word: letters and digits with the marks that stay in it ("राहुल" is one word, not र ह ल)
_WORD = re.compile(rf"\w[\w{_mark_ranges()}]*")
_HOMONYM = re.compile(r"^\d{4}$")


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                  "\U00020000-\U0002fa1f]")
# the Southeast Asian scripts written without spaces between words: Thai, Lao, Myanmar (and its
# extensions), Khmer (and its symbols); a word is not found inside a title or name unless they
# are cut, as CJK is, into units (a letter with the marks written on it) and bigrams of units
# Hangul is folded to its letters (jamo: a syllable 김 is ᄀ ᅵ ᆷ), so that a syllable being typed
# (기, on its way to 김) is the start of the one written; a unit is then a syllable's letters
_SEGMENTED_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF), (0x19E0, 0x19FF),
                     (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F))
_SEGMENTED = "".join(f"{chr(a)}-{chr(b)}" for a, b in _SEGMENTED_RANGES)
# their letters and marks (not their digits, which stay in a word as any digit)
_SEGMENTED_LETTERS = frozenset(chr(o) for a, b in _SEGMENTED_RANGES for o in range(a, b + 1)
                               if unicodedata.category(chr(o))[0] in "LM")
_HANGUL = re.compile("[\uac00-\ud7a3]+")
_RUN = re.compile(f"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
                  f"\U00020000-\U0002fa1f{_SEGMENTED}]")
# the marks after which the next letter is written under the one before, in one unit (Myanmar's
# virama, Khmer's coeng): "ក្ស" is one unit, not ក្ and ស
_STACKERS = frozenset("\u1039\u17d2")


def _is_cjk(c: str) -> bool:
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7AF
            or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F)


def _is_segmented(c: str) -> bool:
    """A letter or mark of a script written without spaces between words (Thai, Lao, Myanmar,
    Khmer) or a Hangul letter (jamo): not a digit, which stays in a word as any digit."""
    return c in _SEGMENTED_LETTERS  # the ranges of _SEGMENTED, as _RUN finds them (Georgian, between, is not)


def _joins(c: str) -> bool:
    """A mark, or a Hangul vowel or final consonant: written on the unit before it."""
    return unicodedata.category(c)[0] == "M" or 0x1160 <= ord(c) <= 0x11FF


def is_unit(w: str) -> bool:
    """Whether a word of `_words` is a unit of a run written without spaces (a CJK character, a
    Thai, Lao, Myanmar or Khmer letter with its marks, a Hangul syllable's letters), or the bigram
    of two: searched as CJK is."""
    return _is_cjk(w[0]) or _is_segmented(w[0])


def clean(text: str) -> str:
    """The text with lone surrogates and control characters replaced by spaces, cut to MAX_QUERY."""
    text = text.encode("utf-8", "replace").decode("utf-8")[: MAX_QUERY * 4]
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cs", "Cf", "Co", "Cn") else c for c in text)
    return text[:MAX_QUERY]


def strip_marks(text: str, han: bool = True) -> str:
    """Case folded, NFKC, diacritics removed, the letters NFKD keeps spelled as typed (ø o, ł l),
    and (`han`) traditional Chinese characters as the simplified ones (kg.search.han)."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = unicodedata.normalize("NFC", "".join(
        c for c in text if not unicodedata.combining(c) or _spelling_mark(c))).translate(_LETTERS)
    if han and _CJK.search(folded):
        folded = folded.translate(_simplified())
        if max(folded) >= "\uac00" and _HANGUL.search(folded):  # Hangul syllables as their letters
            folded = _HANGUL.sub(lambda m: unicodedata.normalize("NFD", m.group()), folded)
    return folded


_SIMPLIFIED: dict[int, str] = {}


def _simplified() -> dict[int, str]:
    """Traditional character -> simplified (kg.search.han's pairs), made on first use."""
    if not _SIMPLIFIED:
        from kg.search.han import PAIRS

        _SIMPLIFIED.update((ord(a), b) for a, b in zip(PAIRS[0::2], PAIRS[1::2], strict=True))
    return _SIMPLIFIED


def _spelling_mark(c: str) -> bool:
    """A mark of the Brahmic and Southeast Asian scripts (Devanagari to Sinhala, Thai, Lao, Tibetan,
    Myanmar, Khmer, and the supplementary Brahmic block): a vowel sign or virama written as part of
    the word's spelling, kept, where the marks of Latin, Greek, Hebrew or Arabic are left out as one
    types without them ("สุดา" is not "สดา"). Their nukta (the dot that makes ज़ of ज, combining class
    7) is left out as a diacritic is: it is often not typed ("जाकिर" is "ज़ाकिर")."""
    o = ord(c)
    return (0x0900 <= o <= 0x109F or 0x1780 <= o <= 0x17FF or 0x11000 <= o <= 0x11FFF) \
        and unicodedata.combining(c) != 7


def _spelled_out(text: str, han: bool = True) -> str | None:
    """German umlauts and ß, Scandinavian ø and å, South Slavic đ spelled out (ae, oe, ue, ss, oe,
    aa, dj), when the text has any (case folded, then as strip_marks)."""
    if text.isascii():
        return None
    nfc = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())
    if not any(c in nfc for c in _SPELLED):
        return None
    return strip_marks(nfc.translate(_SPELLED_OUT), han)


def _words(folded: str, segmented: bool = True) -> list[str]:
    """Words of folded text, in order; CJK runs split into their characters, and (`segmented`)
    Thai, Lao, Myanmar and Khmer runs into their units: a letter with the marks that follow it
    (vowel signs, tone marks; after a virama or coeng, the letter written under it too), never a
    base without its marks."""
    run_chars = _RUN if segmented else _CJK
    out: list[str] = []
    for w in _WORD.findall(folded.replace("_", " ")):
        if not run_chars.search(w):
            out.append(w)
            continue
        run = unit = ""
        stacked = False
        for c in w:
            if _is_cjk(c):
                out += [x for x in (run, unit) if x]
                run = unit = ""
                out.append(c)
            elif segmented and _is_segmented(c):
                if unit and (stacked or _joins(c)):
                    unit += c
                else:
                    out += [x for x in (run, unit) if x]
                    run, unit = "", c
                stacked = c in _STACKERS
            elif unit and unicodedata.category(c)[0] == "M":
                unit += c
            else:
                if unit:
                    out.append(unit)
                    unit = ""
                run += c
        out += [x for x in (run, unit) if x]
    return out


def _cjk_grams(words: list[str]) -> list[str]:
    """Bigrams of adjacent units (CJK characters; Thai, Lao, Myanmar, Khmer letters with their marks)."""
    return [a + b for a, b in zip(words, words[1:], strict=False) if _unit(a) and _unit(b)]


def _unit(w: str) -> bool:
    """A word of _words that is one unit (of a CJK run: one character)."""
    return (len(w) == 1 and _is_cjk(w)) or _is_segmented(w[0])


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def _ascii_tokens(text: str) -> list[str]:
    """index_tokens of an ASCII text (the same tokens, faster: most names and titles)."""
    low = text.lower()
    seen = dict.fromkeys(_ASCII_WORD.findall(low))
    for chunk in low.split():
        if not chunk.isalnum():
            parts = _ASCII_WORD.findall(chunk)
            if len(parts) > 1:
                seen.setdefault("".join(parts), None)
    return list(seen)


def index_tokens(text: str) -> list[str]:
    """The distinct tokens `text` is indexed under (in first-seen order)."""
    return _ascii_tokens(text) if text.isascii() else _plain_tokens(text)


def title_tokens(text: str) -> list[str]:
    """The tokens a title is indexed under, for phrases: its words in order, a word written twice
    kept twice ("control of an autonomous vehicle with an": the phrase "vehicle with an" is there),
    CJK characters and then their bigrams the same; then index_tokens' others (the spelled-out and
    punctuation-joined forms) once."""
    words = _ascii_words(text) if text.isascii() else _plain_words(text)
    seen = set(words)
    return words + [t for t in index_tokens(text) if t not in seen]


def _ascii_words(text: str) -> list[str]:
    """_plain_words of an ASCII text (the same words, faster)."""
    return _ASCII_WORD.findall(text.lower())


def _plain_words(text: str) -> list[str]:
    """The words of `text` in order, repeats kept, then the bigrams of its CJK runs."""
    words = _words(strip_marks(text))
    return words + _cjk_grams(words)


def _plain_tokens(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for form in (strip_marks(text), _spelled_out(text)):
        if form is None:
            continue
        words = _words(form)
        for w in (*words, *_cjk_grams(words)):
            seen.setdefault(w, None)
        # punctuation-joined forms: "jean-pierre" -> "jeanpierre", "o'brien" -> "obrien"
        for chunk in form.split():
            if chunk.isalnum():
                continue
            parts = _words(chunk)
            joined = "".join(w for w in parts if not is_unit(w))
            if joined and joined not in seen and len(parts) > 1:
                seen.setdefault(joined, None)
    return list(seen)


def query_terms(text: str, current: bool = True) -> list[tuple[str, ...]]:
    """The query as a list of terms, each the tuple of spellings any of which may match (as a
    prefix of an indexed token); every term must match. Empty when nothing searchable is left.
    A run of CJK, Thai, Lao, Myanmar or Khmer is its bigrams (one unit: itself). Not `current`
    (an index of format 3 or before), a run of the latter four is a word and traditional Chinese
    characters are not folded to simplified, as that index has them."""
    text = clean(text)
    segmented = current
    # the words of each whitespace-separated chunk: a run of CJK or Thai is cut into its bigrams
    # chunk by chunk, so that "太郎 山田" (the words of 山田 太郎 in another order) needs no bigram 郎山
    chunks = [_words(chunk, segmented) for chunk in strip_marks(text, current).split()]
    plain = [w for chunk in chunks for w in chunk]
    starts = {sum(len(c) for c in chunks[:k]) for k in range(1, len(chunks))}
    spelled = _words(_spelled_out(text, current) or "", segmented)
    if len(spelled) != len(plain):
        spelled = []
    terms: list[tuple[str, ...]] = []
    cjk_run: list[str] = []

    def flush() -> None:
        if len(cjk_run) == 1:
            terms.append((cjk_run[0],))
        else:
            terms.extend((g,) for g in _cjk_grams(cjk_run))
        cjk_run.clear()

    for k, w in enumerate(plain):
        if cjk_run and k in starts:
            flush()
        if (len(w) == 1 and _is_cjk(w)) or (segmented and _is_segmented(w[0])):
            cjk_run.append(w)
            continue
        if cjk_run:
            flush()
        alts = (w,) if not spelled or spelled[k] == w else (w, spelled[k])
        terms.append(alts)
    if cjk_run:
        flush()
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TOKENS]


def name_key(text: str, han: bool = True) -> str:
    """A name's folded form for exact matches: marks and punctuation gone, words sorted (so
    "Liu Liyuan" is "Liyuan Liu"), a dblp homonym number dropped. A CJK run is one word, not its
    characters: "山田 太郎" is "太郎 山田", but "王小明" is not "明小王"; "王偉" is "王伟" (`han`)."""
    words = [w for w in _WORD.findall(strip_marks(text, han).replace("_", " ")) if not _HOMONYM.match(w)]
    return " ".join(sorted(words))


def name_keys(text: str, current: bool = True) -> list[str]:
    """The name keys `text` may stand for: name_key, and that of its umlauts, ß, ø, å, đ and ə spelled
    out ("Hans Müller": "hans muller", "hans mueller"), when it has any; not `current` (an index of
    format 3 or before), traditional Chinese characters kept."""
    keys = [name_key(text, current)]
    spelled = _spelled_out(text, current)
    if spelled is not None:
        keys.append(name_key(spelled, current))
    return [k for k in dict.fromkeys(keys) if k]


def is_homonym_number(token: str) -> bool:
    return bool(_HOMONYM.match(token))
