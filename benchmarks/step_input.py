"""How the stepped (resumable) training loop feeds `fit`: an array, the
`checkpoint.StepBatches` PyDataset as is, or `gradients.fit_input` of it.

    python benchmarks/step_input.py                       # TensorFlow, dcgan-mnist's recipe
    KERAS_BACKEND=torch python benchmarks/step_input.py --steps 200

`keras-gan-zoo train RECIPE --steps N --checkpoint-every K` feeds `fit` a
`StepBatches` (batch `s` a pure function of the seed and `s`, for exact
resume). Each way of feeding it trains `dcgan-mnist`'s network on MNIST for
`--steps` steps in its own process (so one way's threads and caches cannot
slow the next); the seconds per step after `--warmup` steps are printed, one
line per way:

    <backend> <way> s_per_step=<x>
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


def _one(way, steps, warmup):
    import keras

    from keras_gan_zoo import checkpoint, datasets, gradients
    from keras_gan_zoo.training import build_model

    sys.path.insert(0, os.path.join(HERE, "..", "recipes"))
    from dcgan_mnist import RECIPE

    (x, _), _ = datasets.load("mnist")
    model = build_model(RECIPE)
    batch = RECIPE["batch_size"]
    times = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, index, logs=None):
            if index + 1 in (warmup, steps):
                times.append(time.perf_counter())

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
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.warmup < args.steps:
        parser.error("need 0 < --warmup < --steps")
    if args.one:
        print(json.dumps(_one(args.one, args.steps, args.warmup)))
        return
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for way in args.ways.split(","):
        if way not in WAYS:
            parser.error(f"unknown way {way!r}; choose from {WAYS}")
        out = subprocess.run([sys.executable, __file__, "--one", way, "--steps", str(args.steps),
                              "--warmup", str(args.warmup)], env={**os.environ, "KERAS_BACKEND": backend},
                             capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{way} failed:\n{out.stderr[-3000:]}")
        print(f"{backend} {way} s_per_step={json.loads(out.stdout.strip().splitlines()[-1]):.4f}", flush=True)


if __name__ == "__main__":
    main()
