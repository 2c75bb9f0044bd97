"""Auto-encoding BLEU of a UNMT run's weights on training and held-out verses.

    python benchmarks/unmt_train_vs_heldout.py runs/unmt-en-es-bible/warmup.weights.h5

A model that rebuilds its training verses much better than held-out ones has
memorised text rather than learned to copy. The weights file is one the
recipe writes (`warmup.weights.h5`, or a copy of a backup: never open a
running job's backup in place). The network is the recipe's
(`recipes/unmt_en_es_bible.py`, same vocabulary); `--set` as there for a run
with overrides. Samples: 100 training verses per language drawn with
`--seed`, and the probe's 100 held-out verse pairs; greedy decoding.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights")
    parser.add_argument("--num", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "recipes"))
    from unmt_en_es_bible import RECIPE, _overrides, apply_overrides, settings

    from keras_gan_zoo import bible
    from keras_gan_zoo import translation as tr
    from keras_gan_zoo.models.unmt import UNMT

    start = time.time()
    recipe = apply_overrides(RECIPE, _overrides(args.set, settings(RECIPE)))
    parts = bible.split()
    vocabulary = tr.SubwordVocabulary.train(parts["en"] + parts["es"], recipe["vocab_size"])
    model = UNMT(vocabulary=vocabulary, **recipe["model"])
    model.compile()
    model.load_weights(args.weights)
    limit = model.max_length - 1
    fits = lambda text: 0 < len(vocabulary.processor.encode(text)) <= limit
    held_out = [p for p in parts["test"] if fits(p[0]) and fits(p[1])][:args.num]
    rng = np.random.default_rng(args.seed)
    for i, lang in enumerate(("en", "es")):
        pool = (parts[lang][j] for j in rng.permutation(len(parts[lang])))
        samples = {"training": [s for s in pool if fits(s)][:args.num], "held-out": [p[i] for p in held_out]}
        for name, verses in samples.items():
            rebuilt = vocabulary.decode(model.translate_ids(model.encode_text(verses), lang))
            print(f"{lang} {name:9s} auto-encoding BLEU {tr.bleu(rebuilt, verses):6.2f} ({len(verses)} verses)",
                  flush=True)
    print(f"wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
