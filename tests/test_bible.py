"""The verse-aligned English/Spanish Bible corpus read from the SWORD modules."""

import pytest

from keras_gan_zoo import bible


@pytest.fixture(scope="module")
def corpus():
    try:
        bible.module_dir("en"), bible.module_dir("es")
    except FileNotFoundError as error:
        pytest.skip(str(error))
    return bible.read_module("en"), bible.read_module("es")


def test_verses_are_aligned_and_clean(corpus):
    en, es = corpus
    assert len(en) == len(es) == 31102 and set(en) == set(es)
    assert en[("Gen", 1, 1)] == "In the beginning God created the heaven and the earth."
    assert es[("Gen", 1, 1)] == "EN el principio crió Dios los cielos y la tierra."
    assert es[("John", 3, 16)].startswith("Porque de tal manera amó Dios al mundo")
    assert en[("Rev", 22, 21)] == "The grace of our Lord Jesus Christ be with you all. Amen."
    assert not any("<" in text or "\u00b6" in text for text in en.values())
    assert len(bible.books(en)) == 66


def test_split_keeps_the_sides_disjoint(corpus):
    parts = bible.split()
    books = parts["books"]
    assert not set(books["en"]) & set(books["es"])
    assert not (set(books["en"]) | set(books["es"])) & set(books["test"])
    assert len(parts["test"]) > 1000 and len(parts["en"]) > 10000 and len(parts["es"]) > 10000
    assert parts["test"][0][0].startswith("Now it came to pass in the days when the judges ruled")  # Ruth 1:1


def test_unknown_language_and_books_are_clear_errors():
    with pytest.raises(ValueError, match="unknown language code 'fr'"):
        bible.module_dir("fr")
    with pytest.raises((ValueError, FileNotFoundError)):
        bible.split(test_books=("Genesis",))


def test_the_unsupervised_initialisation_reads_only_monolingual_text(corpus, tmp_path, monkeypatch):
    """The induced dictionaries that start back-translation, and the
    cross-lingual piece vectors that may start the embedding, see each side's
    own training books only: no verse of the other language's training
    books (whose translations the other side holds) and none of the
    held-out books (where the probe and the BLEU figures read)."""
    from conftest import load_recipe
    from keras_gan_zoo import translation as tr

    recipe = load_recipe("unmt_en_es_bible.py")
    parts = bible.split()
    texts = {lang: {text for key, text in verses.items() if key[0] in parts["books"][lang]}
             for lang, verses in zip(("en", "es"), corpus)}
    seen = []
    monkeypatch.setattr(tr, "induce_dictionary", lambda source, target, **options: seen.append((source, target)) or {})
    recipe._dictionaries(parts, tmp_path / "dictionaries.json")
    assert len(seen) == 2
    monkeypatch.setattr(tr, "cross_lingual_piece_vectors",
                        lambda vocabulary, english, spanish, pairs, **options: seen.append((english, spanish)))
    recipe._embedding_table(parts, None, {"en": {}, "es": {}}, 16)
    assert len(seen) == 3
    for (source, target), (src_lang, tgt_lang) in zip(seen, [("en", "es"), ("es", "en"), ("en", "es")]):
        assert source and set(source) <= texts[src_lang]
        assert target and set(target) <= texts[tgt_lang]
