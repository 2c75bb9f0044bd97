"""Trains the text-image alignment judge of `keras_gan_zoo.alignment`.

    python recipes/alignment_openmoji.py

A dual encoder trained contrastively on the training split of the captioned
OpenMoji emoji only; writes `keras_gan_zoo/assets/alignment/openmoji-64.*`
with its own R-precision on the real held-out emoji. The StackGAN evaluation
(`benchmarks/stackgan_openmoji_eval.py`) uses it to score generated images.
"""

import argparse

from keras_gan_zoo import alignment

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default=str(alignment.ASSETS))
    args = parser.parse_args()
    _, report = alignment.train_judge(epochs=args.epochs, output_dir=args.out)
    print(report)
