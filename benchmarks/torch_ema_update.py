"""Time of one EMA update on PyTorch: `keras_gan_zoo.gradients`' multi-tensor
update against the generic one (four Keras ops and an `assign` per variable).

Alternates the two `--rounds` times on a DCGAN generator of `--width`, each
round `--calls` updates, and prints milliseconds per update:

    KERAS_BACKEND=torch python benchmarks/torch_ema_update.py --width 4
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=4)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import keras

    import keras_gan_zoo as kgz
    from keras_gan_zoo import gradients

    if keras.backend.backend() != "torch":
        raise SystemExit("the multi-tensor EMA update is PyTorch's: run with KERAS_BACKEND=torch")
    model = kgz.DCGAN(image_size=28, channels=1, width=args.width, seed=0)
    model.compile()
    model.fit(np.zeros((4, 28, 28, 1), "uint8"), batch_size=2, epochs=1, verbose=0)
    print(f"torch device={gradients.device_description()} ema_variables={len(model.ema_pairs())}")
    try:
        for round_ in range(args.rounds):
            for fast in (True, False):
                gradients.set_torch_fast_paths(fast)
                start = time.perf_counter()
                for _ in range(args.calls):
                    model.update_ema()
                milliseconds = (time.perf_counter() - start) / args.calls * 1e3
                print(f"round {round_} {'multi_tensor' if fast else 'generic'}_ms={milliseconds:.3f}")
    finally:
        gradients.set_torch_fast_paths(True)


if __name__ == "__main__":
    main()
