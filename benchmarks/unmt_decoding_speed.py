"""Greedy decoding speed of the UNMT translator: incremental (cached) decoding
against re-running the decoder on the whole prefix at every step.

    python benchmarks/unmt_decoding_speed.py --sentences 128

Uses the network sizes of `recipes/unmt_en_es_bible.py` with random weights
and no end token allowed, so every sentence is decoded for all
`max_length - 1` steps (the worst case, and the same work for both paths).
Back-translation refreshes in the unsupervised recipe decode thousands of
sentences per epoch, so this is the cost that bounds its training speed.
Prints sentences/s for each path, their ratio, and whether they chose the
same tokens.
"""

import argparse
import pathlib
import sys
import time

import keras
import numpy as np

from keras_gan_zoo import gradients
from keras_gan_zoo import translation as tr
from keras_gan_zoo.models.unmt import UNMT, _CachedDecoder, _FullDecoder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=128)
    parser.add_argument("--vocab-size", type=int, default=8000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "recipes"))
    from unmt_en_es_bible import RECIPE

    model = UNMT(vocab_size=args.vocab_size, seed=0, **RECIPE["model"])
    rng = np.random.default_rng(0)
    source = tr.pad([list(rng.integers(5, args.vocab_size, rng.integers(10, 40)))
                     for _ in range(args.sentences)], model.max_length)
    with gradients.no_grad():
        memory = np.asarray(keras.ops.convert_to_numpy(model.encoder.predict_on_batch(source)))
        results = {}
        for name, stepper_class in (("cached", _CachedDecoder), ("full", _FullDecoder)):
            stepper = stepper_class(model, memory, source)
            stepper.next_logits(np.full(len(source), 3), 0)  # compile / warm up
            stepper = stepper_class(model, memory, source)
            tokens = np.full(len(source), 3)
            chosen = []
            start = time.time()
            for t in range(model.max_length - 1):
                logits = stepper.next_logits(tokens, t)
                logits[:, tr.EOS] = logits[:, tr.PAD] = -np.inf
                tokens = logits.argmax(-1)
                chosen.append(tokens)
            seconds = time.time() - start
            results[name] = (len(source) / seconds, np.stack(chosen, 1))
            print(f"{keras.backend.backend()} {name}: {results[name][0]:.1f} sentences/s "
                  f"({model.max_length - 1} steps, {gradients.device_description()})")
    agree = float(np.mean(results["cached"][1] == results["full"][1]))
    print(f"{keras.backend.backend()} speed-up {results['cached'][0] / results['full'][0]:.2f}x, "
          f"same tokens at {agree:.1%} of the steps")


if __name__ == "__main__":
    main()
