"""Training-step speed of the UNMT translator per backend and model size:
which configuration learns most per CPU-hour (issue: the step is compute-bound).

    python benchmarks/unmt_step_speed.py                       # every backend, the recipe's sizes
    python benchmarks/unmt_step_speed.py --backends torch --set dim=256 --set ff_dim=1024

Times `--steps` denoising steps (the warm-up phase: two sequence losses per
step, no discriminator) after `--warmup` untimed ones, on batches of the
recipe's batch size drawn from the real Bible split with the recipe's
vocabulary, so the sentence lengths (and padding) are those of training.
Each backend runs in its own process. Prints steps/s and sentences/s.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def measure(steps, warmup, overrides):
    import keras

    from keras_gan_zoo import bible
    from keras_gan_zoo import translation as tr
    from keras_gan_zoo.models.unmt import UNMT, BackTranslationBatches

    sys.path.insert(0, str(ROOT / "recipes"))
    from unmt_en_es_bible import RECIPE, _ids

    keras.utils.set_random_seed(0)
    parts = bible.split()
    vocabulary = tr.SubwordVocabulary.train(parts["en"] + parts["es"], RECIPE["vocab_size"])
    config = {**RECIPE["model"], **overrides, "back_translation_weight": 0.0, "adversarial_weight": 0.0}
    model = UNMT(vocabulary=vocabulary, seed=0, **config)
    model.compile()
    limit = model.max_length - 1
    batches = BackTranslationBatches(model, _ids(vocabulary, parts["en"], limit),
                                     _ids(vocabulary, parts["es"], limit),
                                     batch_size=RECIPE["batch_size"], steps=warmup + steps,
                                     back_translate=False)
    model.fit(batches, epochs=1, steps_per_epoch=warmup, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
    seconds = time.perf_counter() - start
    return {"backend": keras.backend.backend(), "config": config, "steps": steps,
            "steps_per_s": steps / seconds,
            "sentences_per_s": steps * 2 * RECIPE["batch_size"] / seconds,
            "parameters": int(model.count_params())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="torch,jax,tensorflow")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (tracing, compilation)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a model setting of the recipe, e.g. --set dim=256")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "recipes"))
    from unmt_en_es_bible import RECIPE, _overrides

    overrides = _overrides(args.set, RECIPE["model"])  # the recipe's own KEY=VALUE parsing and checks
    if args.child:
        print(json.dumps(measure(args.steps, args.warmup, overrides)))
        return
    for backend in args.backends.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend}
        command = [sys.executable, __file__, "--child", "--steps", str(args.steps),
                   "--warmup", str(args.warmup)] + [f"--set={p}" for p in args.set]
        out = subprocess.run(command, env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"{backend}: failed\n{out.stderr[-2000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{backend:10s} {result['steps_per_s']:.2f} steps/s, {result['sentences_per_s']:.0f} sentences/s "
              f"({result['parameters']:,} parameters; {overrides or 'recipe sizes'})", flush=True)


if __name__ == "__main__":
    main()
