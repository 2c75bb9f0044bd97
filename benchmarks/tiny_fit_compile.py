"""How long the first `fit` of a family's tiny test configuration takes
(building, XLA compile and one epoch of `Family.tiny_data`): what most of
the test suite's time goes to on JAX and TensorFlow.

    KERAS_BACKEND=jax OMP_NUM_THREADS=1 python benchmarks/tiny_fit_compile.py BigGAN StyleGAN
    XLA_FLAGS=--xla_backend_optimization_level=0 KERAS_BACKEND=jax OMP_NUM_THREADS=1 \\
        python benchmarks/tiny_fit_compile.py BigGAN StyleGAN

Each family runs in a fresh process, so no compile is reused between them.
"""

import argparse
import subprocess
import sys
import time


def measure(name):
    import keras
    import numpy as np

    from keras_gan_zoo import registry

    family = registry.families()[name]
    start = time.perf_counter()
    keras.utils.set_random_seed(0)
    model = family(**family.tiny_config, seed=0)
    model.compile()
    x, y = family.tiny_data(model)
    model.fit(x, y, batch_size=None if y is None and not isinstance(x, np.ndarray) else 4, epochs=1, verbose=0)
    print(f"{keras.backend.backend()} {name} first_fit_s={time.perf_counter() - start:.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="+", help="registry names, e.g. BigGAN StyleGAN")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        return measure(args.families[0])
    for name in args.families:
        subprocess.run([sys.executable, __file__, "--one", name], check=True)


if __name__ == "__main__":
    main()
