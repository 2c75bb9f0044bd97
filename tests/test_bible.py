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
