"""Does a step compiled by torch.compile train the same weights as eager Keras?

Fits the same tiny DCGAN three ways on PyTorch, from the same seed and data:
eager with Keras's own torch code, eager with `keras_gan_zoo.gradients`' fast
paths, and compiled (`model.compile(jit_compile=True)`, i.e. torch.compile of
Keras's step), then prints the largest absolute difference between each pair
over every generator, discriminator and EMA weight, and each run's wall time
(the compiled one includes its compilation).

    KERAS_BACKEND=torch python benchmarks/torch_compile_weights.py --steps 8
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402


def fit_weights(steps, fast_paths, jit_compile, width, batch_size):
    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import gradients

    gradients.set_torch_fast_paths(fast_paths)
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).integers(0, 256, (steps * batch_size, 28, 28, 1), "uint8")
    model = kgz.DCGAN(image_size=28, channels=1, width=width, seed=0)
    model.compile(**({"jit_compile": True} if jit_compile else {}))
    start = time.perf_counter()
    model.fit(images, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    wall = time.perf_counter() - start
    variables = model.generator.variables + model.discriminator.variables + model.ema_generator.variables
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables], wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    import keras

    if keras.backend.backend() != "torch":
        raise SystemExit("torch.compile is PyTorch's: run with KERAS_BACKEND=torch")
    runs = {name: fit_weights(args.steps, fast, jit, args.width, args.batch_size)
            for name, fast, jit in (("keras", False, False), ("fast_paths", True, False),
                                    ("compiled", True, True))}
    for name, (_, wall) in runs.items():
        print(f"{name} fit_s={wall:.1f}")
    names = list(runs)
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            gap = max(float(np.abs(a - b).max()) for a, b in zip(runs[first][0], runs[second][0]))
            print(f"{first} vs {second}: max_abs_difference={gap:.3g} after {args.steps} steps")


if __name__ == "__main__":
    main()
