"""Which Adam rate should `latent.project` descend with?

    python benchmarks/projection_rate.py                      # every preset with a latent space
    python benchmarks/projection_rate.py progan-mnist --rates 0.05 0.1 --method hybrid

For each preset: the held-out images that `keras-gan-zoo inversion PRESET`
projects (the first `--num` of its seeded choice of 200 test images, each
class-conditional one with its own class), projected with each rate for the
same 200 steps; prints the mean RMS pixel error (on [0, 1]) per rate and the
seconds each took. Held-out images only: the rate is chosen on images the
generator never trained on, as the iGAN table reports.
"""

import argparse
import time

import keras_gan_zoo as kgz
from keras_gan_zoo import latent, tasks

PRESETS = ("dcgan-mnist", "cgan-fashion-mnist", "dcgan-fashion-mnist", "biggan-fashion-mnist", "progan-mnist",
           "stylegan-fashion-mnist", "stylegan-openmoji")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", default=PRESETS)
    parser.add_argument("--rates", type=float, nargs="+", default=(0.01, 0.05, 0.1, 0.3))
    parser.add_argument("--num", type=int, default=50)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--method", choices=("optimize", "hybrid"), default="optimize")
    args = parser.parse_args(argv)
    for name in args.presets:
        model = kgz.from_pretrained(name, compile=False)
        # The images `keras-gan-zoo inversion` projects (seed 0, 200 images), cut to --num.
        images, labels = latent.held_out_sample(model, 200, seed=0)
        images = images[:args.num]
        conditions = {"labels": labels[:args.num]} if model.task is tasks.CLASS_CONDITIONAL_IMAGE else {}
        cells = []
        for rate in args.rates:
            start = time.time()
            fit = latent.project(model, images, method=args.method, steps=args.steps, learning_rate=rate,
                                 progress=False, **conditions)
            cells.append(f"{rate:g}: {fit.errors.mean():.4f} ({time.time() - start:.0f} s)")
        print(f"{name} ({fit.space}, {args.method}, {args.num} held-out images, {args.steps} steps) | "
              + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
