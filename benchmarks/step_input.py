"""How the stepped (resumable) training loop feeds `fit`: an array, the
`checkpoint.StepBatches` PyDataset as is, or `gradients.fit_input` of it;
with `--recipe cyclegan_openmoji_noto`, how `CycleGAN.fit` feeds it: the
reshuffling `UnpairedBatches` PyDataset as is (before) or
`gradients.fit_input` of its `schedule` (now).

    python benchmarks/step_input.py                       # TensorFlow, dcgan-mnist's recipe
    KERAS_BACKEND=torch python benchmarks/step_input.py --steps 200
    python benchmarks/step_input.py --recipe cyclegan_openmoji_noto --steps 120 --warmup 20 \
        --ways pydataset,fit_input

`keras-gan-zoo train RECIPE --steps N --checkpoint-every K` feeds `fit` a
`StepBatches` (batch `s` a pure function of the seed and `s`, for exact
resume). Each way of feeding it trains `dcgan-mnist`'s network on MNIST for
`--steps` steps in its own process (so one way's threads and caches cannot
slow the next); the seconds per step after `--warmup` steps are printed, one
line per way:

    <backend> <recipe> <way> s_per_step=<x>
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WAYS = ("array", "pydataset", "fit_input")


def _one(way, steps, warmup, recipe_name):
    import importlib

    import keras

    from keras_gan_zoo import checkpoint, datasets, gradients, training

    sys.path.insert(0, os.path.join(HERE, "..", "recipes"))
    recipe = importlib.import_module(recipe_name).RECIPE
    x, y = training._training_data(recipe)
    model = training.build_model(recipe)  # (compiled as the recipe compiles it)
    batch = recipe["batch_size"]
    times = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, index, logs=None):
            if index + 1 in (warmup, steps):
                times.append(time.perf_counter())

    if recipe["model_class"] == "CycleGAN":
        if way == "array":
            raise SystemExit("CycleGAN.fit draws unpaired batches; there is no array way")
        unpaired = datasets.UnpairedBatches(x, y, batch_size=batch, seed=0)
        epochs = -(-steps // len(unpaired))
        if way == "pydataset":  # CycleGAN.fit before: Keras reads the reshuffling PyDataset
            model.fit(unpaired, epochs=epochs, steps_per_epoch=min(steps, len(unpaired)),
                      verbose=0, callbacks=[Clock()])
        else:
            model.fit(gradients.fit_input(unpaired.schedule(epochs)), epochs=epochs,
                      steps_per_epoch=min(steps, len(unpaired)), shuffle=False, verbose=0, callbacks=[Clock()])
        return (times[1] - times[0]) / (steps - warmup)
    stream = checkpoint.StepBatches(x, None, batch, seed=0, steps=steps)
    if way == "array":
        rows = np.concatenate([stream.rows(index) for index in range(steps)])
        model.fit(x[rows], batch_size=batch, epochs=1,
                  shuffle=False, verbose=0, callbacks=[Clock()])
    else:
        data = stream if way == "pydataset" else gradients.fit_input(stream)
        model.fit(data, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0, callbacks=[Clock()])
    return (times[1] - times[0]) / (steps - warmup)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--ways", default=",".join(WAYS), help=f"comma-separated, from {WAYS}")
    parser.add_argument("--recipe", default="dcgan_mnist",
                        help="dcgan_mnist (StepBatches) or cyclegan_openmoji_noto (UnpairedBatches)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.warmup < args.steps:
        parser.error("need 0 < --warmup < --steps")
    if args.one:
        print(json.dumps(_one(args.one, args.steps, args.warmup, args.recipe)))
        return
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for way in args.ways.split(","):
        if way not in WAYS:
            parser.error(f"unknown way {way!r}; choose from {WAYS}")
        out = subprocess.run([sys.executable, __file__, "--one", way, "--steps", str(args.steps),
                              "--warmup", str(args.warmup), "--recipe", args.recipe],
                             env={**os.environ, "KERAS_BACKEND": backend},
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{way} failed:\n{out.stderr[-3000:]}")
        print(f"{backend} {args.recipe} {way} s_per_step={json.loads(out.stdout.strip().splitlines()[-1]):.4f}", flush=True)


if __name__ == "__main__":
    main()
