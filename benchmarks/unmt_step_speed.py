"""Training-step speed of the UNMT translator per backend and model size:
which configuration learns most per CPU-hour (issue: the step is compute-bound).

    python benchmarks/unmt_step_speed.py                       # every backend, the recipe's sizes
    python benchmarks/unmt_step_speed.py --backends torch --set dim=256 --set ff_dim=1024
    python benchmarks/unmt_step_speed.py --phase back-translation --backends tensorflow

Times `--steps` denoising steps (the warm-up phase: two sequence losses per
step, no discriminator) after `--warmup` untimed ones and one untimed step
per batch width (each width is traced or compiled once), on batches of the
recipe's batch size drawn from the real Bible split with the recipe's
vocabulary, so the sentence lengths (and padding) are those of training.
Each backend runs in its own process. Prints steps/s and sentences/s.

`--phase back-translation` times what an epoch of the unsupervised phase
spends instead, with the shipped `unmt-en-es-bible` weights (so the decoded
lengths are a trained model's): the full step (the discriminator's step and
the translator's four sequence losses plus the adversarial one) and the
refresh that back-translates the next epoch's sentences (greedy, cached
decoder), and from both the share of an epoch that goes to decoding.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def measure(steps, warmup, overrides, phase="denoising"):
    import keras

    from keras_gan_zoo import bible
    from keras_gan_zoo import translation as tr
    from keras_gan_zoo.models.unmt import UNMT, BackTranslationBatches

    sys.path.insert(0, str(ROOT / "recipes"))
    from unmt_en_es_bible import RECIPE, _ids

    keras.utils.set_random_seed(0)
    parts = bible.split()
    if phase == "back-translation":
        return measure_back_translation(steps, warmup, parts)
    vocabulary = tr.SubwordVocabulary.train(parts["en"] + parts["es"], RECIPE["vocab_size"])
    config = {**RECIPE["model"], **overrides, "back_translation_weight": 0.0, "adversarial_weight": 0.0}
    model = UNMT(vocabulary=vocabulary, seed=0, **config)
    model.compile()
    limit = model.max_length - 1
    batches = BackTranslationBatches(model, _ids(vocabulary, parts["en"], limit),
                                     _ids(vocabulary, parts["es"], limit),
                                     batch_size=RECIPE["batch_size"], steps=warmup + steps,
                                     back_translate=False)
    seconds = timed_fit(model, batches, steps, warmup)
    return {"backend": keras.backend.backend(), "config": config, "steps": steps,
            "steps_per_s": steps / seconds,
            "sentences_per_s": steps * 2 * RECIPE["batch_size"] / seconds,
            "parameters": int(model.count_params())}


def timed_fit(model, batches, steps, warmup):
    """Seconds `fit` takes for the first `steps` batches, after `warmup`
    untimed steps and an untimed step on one batch of each width. Batches
    are cut to a few widths (`trim_batch`), each a graph of its own to trace
    or compile; a long run does that in its first epoch only, so a short
    timing must not include it."""
    widths = {}
    for index in range(len(batches)):
        batch = batches[index]
        widths.setdefault(next(iter(batch.values())).shape[1], batch)
    for batch in widths.values():
        model.train_on_batch(batch)
    if warmup:
        model.fit(batches, epochs=1, steps_per_epoch=warmup, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
    return time.perf_counter() - start


def measure_back_translation(steps, warmup, parts):
    """Seconds of a full unsupervised step and of decoding one sentence."""
    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo.models.unmt import BackTranslationBatches

    from unmt_en_es_bible import RECIPE, _ids

    model = kgz.from_pretrained("unmt-en-es-bible")
    limit = model.max_length - 1
    en_ids = _ids(model.vocabulary, parts["en"], limit)
    es_ids = _ids(model.vocabulary, parts["es"], limit)
    reuse = RECIPE["back_translation_reuse"]
    start = time.perf_counter()
    batches = BackTranslationBatches(model, en_ids, es_ids, batch_size=RECIPE["batch_size"],
                                     steps=warmup + steps, noise=dict(RECIPE["noise"]), reuse=reuse)
    decode_seconds = time.perf_counter() - start  # (the first refresh: back-translates both sides)
    decoded = 2 * (warmup + steps) * RECIPE["batch_size"] // reuse
    step_seconds = timed_fit(model, batches, steps, warmup) / steps
    per_epoch = RECIPE["steps_per_epoch"]
    decode_per_epoch = 2 * per_epoch * RECIPE["batch_size"] // reuse * decode_seconds / decoded
    return {"backend": keras.backend.backend(), "phase": "back-translation", "steps": steps,
            "step_s": step_seconds, "decoded_sentences_per_s": decoded / decode_seconds,
            "epoch_s": per_epoch * step_seconds + decode_per_epoch,
            "decoding_share": decode_per_epoch / (per_epoch * step_seconds + decode_per_epoch),
            "parameters": int(model.count_params())}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="torch,jax,tensorflow")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps first (tracing, compilation)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a model setting of the recipe, e.g. --set dim=256")
    parser.add_argument("--phase", choices=("denoising", "back-translation"), default="denoising",
                        help="the warm-up's denoising step, or an epoch of back-translation "
                             "(step and refresh, with the shipped preset's weights)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.set and args.phase == "back-translation":
        parser.error("--set changes the network of the denoising phase; the back-translation phase "
                     "times the shipped preset's network")
    sys.path.insert(0, str(ROOT / "recipes"))
    from unmt_en_es_bible import RECIPE, _overrides

    overrides = _overrides(args.set, RECIPE["model"])  # the recipe's own KEY=VALUE parsing and checks
    if args.child:
        print(json.dumps(measure(args.steps, args.warmup, overrides, args.phase)))
        return
    for backend in args.backends.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend}
        command = [sys.executable, __file__, "--child", "--steps", str(args.steps),
                   "--warmup", str(args.warmup), "--phase", args.phase] + [f"--set={p}" for p in args.set]
        out = subprocess.run(command, env=env, capture_output=True, text=True)
        if out.returncode:
            print(f"{backend}: failed\n{out.stderr[-2000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        if args.phase == "back-translation":
            print(f"{backend:10s} {result['step_s']:.2f} s a step, {result['decoded_sentences_per_s']:.1f} "
                  f"sentences/s decoded; an epoch of {RECIPE['steps_per_epoch']} steps: "
                  f"{result['epoch_s']:.0f} s, {100 * result['decoding_share']:.0f}% decoding", flush=True)
            continue
        print(f"{backend:10s} {result['steps_per_s']:.2f} steps/s, {result['sentences_per_s']:.0f} sentences/s "
              f"({result['parameters']:,} parameters; {overrides or 'recipe sizes'})", flush=True)


if __name__ == "__main__":
    main()
