"""Verse-aligned English and Spanish Bible text from the Debian SWORD modules.

- English: King James Version (`sword-text-kjv`, module engKJV2006eb).
- Spanish: Reina-Valera 1909 (`sword-text-sparv`, module spaRV1909eb).

Both are public domain and both use the KJV versification, so a verse key
(book, chapter, verse) names the same verse in each: 31,102 verses, of
which the non-empty pairs are the aligned corpus.

A zText module stores each testament as three files: `.bzz` (zlib blocks,
one per book here), `.bzs` (per block: offset, compressed size, size; three
little-endian uint32) and `.bzv` (per index slot: block, offset, size;
uint32, uint32, uint16). The slots run module heading, testament heading,
then per book a book heading and per chapter a chapter heading followed by
its verses; the headings carry OSIS markers (`<div type="book"
osisID="Gen" sID=...>`, `<chapter osisID="Gen.1" sID=...>`), which is how
this reader knows where books and chapters start without a versification
table. Verse text is the OSIS markup with notes and titles removed and the
remaining tags stripped.

Example:

>>> from keras_gan_zoo import bible
>>> verses = bible.read_module("en")
>>> verses[("Gen", 1, 1)]
'In the beginning God created the heaven and the earth.'
"""

import html
import os
import pathlib
import re
import struct
import zlib

MODULES = {
    "en": ("engKJV2006eb", "sword-text-kjv", "King James Version (1769)"),
    "es": ("spaRV1909eb", "sword-text-sparv", "Reina-Valera 1909"),
}
SWORD_ROOTS = ("/usr/share/sword",)

_TAG = re.compile(r"<[^>]*>")
# Notes and section titles go; psalm superscriptions stay (RV1909 has them in verse 1 too).
_DROP = re.compile(r"<(note|title)\b(?![^>]*type=\"psalm\")[^>]*>.*?</\1>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_OPEN = re.compile(r"<(div|chapter)\b([^>]*)>")


def check_language(language):
    if language not in MODULES:
        raise ValueError(f"unknown language code {language!r}; the Bible corpus has {sorted(MODULES)}")
    return language


def module_dir(language):
    """The folder of the zText module of `language` ("en" or "es")."""
    name, package, _ = MODULES[check_language(language)]
    roots = [os.environ["SWORD_PATH"]] if os.environ.get("SWORD_PATH") else []
    for root in roots + list(SWORD_ROOTS):
        folder = pathlib.Path(root) / "modules" / "texts" / "ztext" / name
        if (folder / "nt.bzv").is_file():
            return folder
    raise FileNotFoundError(f"The SWORD module {name} is not installed. Install it with: "
                            f"sudo apt-get install {package} (or set SWORD_PATH to its library root)")


def _slots(folder, testament):
    """Raw markup of every index slot of one testament, in order."""
    index = (folder / f"{testament}.bzs").read_bytes()
    blocks = [struct.unpack_from("<III", index, i) for i in range(0, len(index), 12)]
    slots = (folder / f"{testament}.bzv").read_bytes()
    data = (folder / f"{testament}.bzz").read_bytes()
    cache = {}
    for i in range(0, len(slots), 10):
        block, offset, size = struct.unpack_from("<IIH", slots, i)
        if not size:
            yield ""
            continue
        if block not in cache:
            start, length, _ = blocks[block]
            cache = {block: zlib.decompress(data[start:start + length])}
        yield cache[block][offset:offset + size].decode("utf-8")


def clean(markup):
    """Plain verse text from OSIS markup: notes and titles dropped, tags
    stripped, entities decoded, whitespace collapsed."""
    text = html.unescape(_TAG.sub(" ", _DROP.sub(" ", markup)))
    text = re.sub(r"\s+", " ", text.replace("\u00b6", " ")).strip()  # KJV's paragraph signs
    text = re.sub(r"([\u00a1\u00bf])\s+", r"\1", text)  # "¡ OH" -> "¡OH"
    return re.sub(r"\s+([,.;:!?])", r"\1", text)


def read_module(language):
    """`{(book, chapter, verse): text}` for every verse slot of a module
    (empty verses included as ""; book names are OSIS ids, e.g. "Gen")."""
    folder = module_dir(language)
    verses = {}
    for testament in ("ot", "nt"):
        book = chapter = None
        verse = 0
        for markup in _slots(folder, testament):
            heading = None
            for tag, attributes in _OPEN.findall(markup):
                attrs = dict(_ATTR.findall(attributes))
                if "sID" not in attrs or "osisID" not in attrs:
                    continue
                if tag == "div" and attrs.get("type") == "book":
                    heading = ("book", attrs["osisID"])
                elif tag == "chapter":
                    heading = ("chapter", attrs["osisID"])
            if heading and heading[0] == "book":
                book, chapter = heading[1], None
            elif heading and heading[0] == "chapter" and not clean(markup):
                book, number = heading[1].rsplit(".", 1)
                chapter, verse = int(number), 0
            elif chapter is not None:
                verse += 1
                verses[(book, chapter, verse)] = clean(markup)
    return verses


def books(verses):
    """Book ids in canonical order."""
    seen = {}
    for book, _, _ in verses:
        seen.setdefault(book, None)
    return list(seen)


# Held out from training in both languages: the aligned test set for BLEU
# (1,295 verses: history, prophecy, gospel, letters).
TEST_BOOKS = ("Ruth", "Esth", "Jonah", "Mark", "Phil", "Jas", "1John")


def split(test_books=TEST_BOOKS):
    """The unsupervised translation split (Lample et al. 2018 style).

    The books not in `test_books` alternate between the languages in
    canonical order (Genesis English, Exodus Spanish, Leviticus English,
    ...): the English and Spanish training text come from *disjoint* books,
    so no translation pair is ever seen. `test_books` are held out in both
    languages and aligned verse by verse.

    Returns a dict of lists:
        "en": English training verses; "es": Spanish training verses;
        "test": `(english, spanish)` pairs of the test books;
        "test_verses": the `(book, chapter, verse)` of each test pair;
        "parallel": `(english, spanish)` pairs of *all* training books (for
        the supervised reference only); and "books": which book went where.
    Verses empty in either language are left out.
    """
    en, es = read_module("en"), read_module("es")
    unknown = set(test_books) - set(books(en))
    if unknown:
        raise ValueError(f"unknown test books {sorted(unknown)}; books are OSIS ids such as {books(en)[:4]}")
    training = [b for b in books(en) if b not in test_books]
    side = {book: ("en", "es")[i % 2] for i, book in enumerate(training)}
    out = {"en": [], "es": [], "test": [], "test_verses": [], "parallel": [],
           "books": {"en": [b for b in training if side[b] == "en"],
                     "es": [b for b in training if side[b] == "es"], "test": list(test_books)}}
    for key, english in en.items():
        spanish = es[key]
        if not english or not spanish:
            continue
        if key[0] in test_books:
            out["test"].append((english, spanish))
            out["test_verses"].append(key)
            continue
        out["parallel"].append((english, spanish))
        out[side[key[0]]].append(english if side[key[0]] == "en" else spanish)
    return out
