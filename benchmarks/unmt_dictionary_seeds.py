"""Which seed dictionary gives the better induced dictionary for the unsupervised Bible pair?

    python benchmarks/unmt_dictionary_seeds.py
    python benchmarks/unmt_dictionary_seeds.py --keep-seed both   # also with the seed pairs kept

`translation.induce_dictionary` on the recipe's monolingual sides
(`bible.split()`: English and Spanish from disjoint books), once with the seed
of words spelled the same in both and once with likely cognates added
(`seed_dictionary="orthographic"`), each scored as word-by-word translation
(sacrebleu corpus BLEU) of the held-out verse pairs that `keras-gan-zoo evaluate
unmt-en-es-bible` scores (the `word by word` row of its card). Prints one
line per seed with both directions, the seed's size and the time taken.
`--keep-seed` also (or only) runs the self-learning that keeps the seed pairs
in every iteration (`induce_dictionary(keep_seed=True)`).

    python benchmarks/unmt_dictionary_seeds.py --toy   # seconds: the toy lexicon of the tests

`--toy` instead runs both settings on the tests' toy case (two corpora of one
lexicon, whose identical-spelling seed is the whole answer) for three seeds
of the self-learning and prints the share of words mapped to themselves.
"""

import argparse
import collections
import pathlib
import sys
import time

import keras_gan_zoo as kgz
from keras_gan_zoo import bible, evaluation
from keras_gan_zoo import translation as tr


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-seed", choices=("no", "yes", "both"), default="no")
    parser.add_argument("--toy", action="store_true", help="the tests' toy lexicon instead of the Bible pair")
    args = parser.parse_args()
    if args.toy:
        return toy()
    keep_seeds = {"no": [False], "yes": [True], "both": [False, True]}[args.keep_seed]
    split = bible.split()
    pairs, _ = evaluation.bleu_test_pairs(kgz.from_pretrained("unmt-en-es-bible", compile=False))
    text = {"en": [e for e, _ in pairs], "es": [s for _, s in pairs]}
    frequent = {lang: [w for w, _ in collections.Counter(
        w for s in split[lang] for w in tr.words(s)).most_common(2000)] for lang in ("en", "es")}
    identical = len(set(frequent["en"]) & set(frequent["es"]))
    cognates = len(tr.orthographic_pairs(frequent["en"], frequent["es"]))
    for (seed, size), keep_seed in ((s, k) for s in (("identical", identical), ("orthographic", identical + cognates))
                                    for k in keep_seeds):
        start = time.time()
        row = {}
        for src, tgt in (("en", "es"), ("es", "en")):
            dictionary = tr.induce_dictionary(split[src], split[tgt], seed_dictionary=seed, keep_seed=keep_seed)
            row[f"{src}-{tgt}"] = tr.bleu(tr.word_by_word(text[src], dictionary), text[tgt])
        print(f"seed={seed}, keep_seed={keep_seed} ({size} pairs among the 2,000 most frequent words of each side): "
              f"word-by-word BLEU en-es {row['en-es']:.2f}, es-en {row['es-en']:.2f} "
              f"({len(pairs)} held-out verses, {time.time() - start:.0f} s)", flush=True)


def toy():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
    from test_unmt import _two_languages

    words, _, text, _ = _two_languages()
    for keep_seed in (False, True):
        shares = []
        for seed in (0, 1, 2):
            dictionary = tr.induce_dictionary(text, text[::-1], vocab_size=60, candidates=60,
                                              keep_seed=keep_seed, seed=seed)
            shares.append(sum(dictionary[w] == w for w in words) / len(words))
        print(f"toy lexicon, keep_seed={keep_seed}: words mapped to themselves for seeds 0, 1, 2: "
              + ", ".join(f"{share:.0%}" for share in shares))


if __name__ == "__main__":
    main()
