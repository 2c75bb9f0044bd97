"""Training and sampling throughput of BigGAN and StyleGAN at their preset sizes.

    python benchmarks/large_gan_throughput.py                       # all three backends
    python benchmarks/large_gan_throughput.py --backends jax torch --steps 50

For each backend (one subprocess each: Keras picks its backend at import) and
each model, builds the network of its shipped recipe
(`recipes/biggan_fashion_mnist.py`, `recipes/stylegan_fashion_mnist.py`),
compiles with the recipe's optimizers, warms up (tracing/compilation), then
times `fit` over `--steps` steps on Fashion-MNIST padded to 32x32 and
`generate` on `--generate-images` images. Prints one line per backend and model:

    <backend> <model> train_images_per_s=<x> generate_images_per_s=<y> device=<...>

Training images/s counts real images consumed (steps x batch); BigGAN's two
D steps per G step reuse each batch. Run it on an otherwise idle machine.
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPES = os.path.join(os.path.dirname(HERE), "recipes")


def run_backend(args):
    import keras

    sys.path.insert(0, RECIPES)
    from biggan_fashion_mnist import RECIPE as BIGGAN
    from stylegan_fashion_mnist import RECIPE as STYLEGAN

    from keras_gan_zoo import datasets, gradients, training

    (x, y), _ = datasets.load("fashion_mnist", image_size=32)
    for recipe in (BIGGAN, STYLEGAN):
        batch = recipe["batch_size"]
        need = (args.steps + args.warmup) * batch
        images, labels = x[:need], y[:need]
        model = training.build_model(recipe)
        targets = labels if recipe.get("fit_targets") else None
        warm = args.warmup * batch
        model.fit(images[:warm], None if targets is None else targets[:warm], batch_size=batch,
                  epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(images[warm:], None if targets is None else targets[warm:], batch_size=batch,
                  epochs=1, verbose=0, shuffle=False)
        train_rate = args.steps * batch / (time.perf_counter() - start)
        model.generate(256, seed=0)
        start = time.perf_counter()
        model.generate(args.generate_images, seed=1)
        generate_rate = args.generate_images / (time.perf_counter() - start)
        print(f"{keras.backend.backend()} {recipe['model_class']} train_images_per_s={train_rate:.1f} "
              f"generate_images_per_s={generate_rate:.1f} device={gradients.device_description()!r}",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["tensorflow", "torch", "jax"])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--generate-images", type=int, default=2048)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_backend(args)
        return
    for backend in args.backends:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, os.path.abspath(__file__), "--child", "--steps", str(args.steps),
                   "--warmup", str(args.warmup), "--generate-images", str(args.generate_images)]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [l for l in result.stdout.splitlines() if "_per_s=" in l]
        print("\n".join(lines) if lines else f"{backend} failed:\n{result.stderr[-2000:]}", flush=True)


if __name__ == "__main__":
    main()
