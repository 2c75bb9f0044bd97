"""Training throughput of large GANs per backend, against a hand-written PyTorch loop.

    python benchmarks/large_gan_throughput.py                   # on a GPU: both parts, every backend
    python benchmarks/large_gan_throughput.py --json out.json   # ... and keep the figures
    python benchmarks/large_gan_throughput.py --smoke --parts dcgan   # the pipeline on the CPU in seconds
    python benchmarks/large_gan_throughput.py --parts dcgan --backends torch --jit-compile   # torch.compile

Two parts (`--parts dcgan,presets`).

**dcgan**: against hand-written loops. The network is DCGAN at the size of the paper's LSUN model (64x64 RGB,
1024 filters at 4x4: `width=128`; 12.7M generator and 11.0M discriminator
parameters; batch 128). For each backend (TensorFlow only where it is
installed), `DCGAN.fit` and a hand-written loop of the identical network in that framework are timed in
one subprocess by `benchmarks/train_step.py` (which checks that the two
networks have the same parameter counts); the table gives images/s of
both and Keras's images/s as a fraction of the hand-written *PyTorch*
loop's, the common yardstick. The hand-written loops and Keras run on the
backend's default device (CUDA when there is one).

**presets**: Keras only. For each backend, the networks of the BigGAN and
StyleGAN recipes (`recipes/biggan_fashion_mnist.py`,
`recipes/stylegan_fashion_mnist.py`), compiled with the recipe's optimizers,
warmed up, then `fit` timed over `--preset-steps` steps on Fashion-MNIST
padded to 32x32 and `generate` on `--generate-images` images. Training
images/s counts real images consumed (steps x batch); BigGAN's two D steps
per G step reuse each batch.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECIPES = os.path.join(os.path.dirname(HERE), "recipes")
sys.path.insert(0, HERE)

from train_step import run_child  # noqa: E402

FULL = {"image_size": 64, "channels": 3, "width": 128, "batch_size": 128, "steps": 100, "rounds": 3}
SMOKE = {"image_size": 32, "channels": 3, "width": 8, "batch_size": 16, "steps": 3, "rounds": 1}


def _parse(line):
    """'torch keras_steps_per_s=1.2 ... [device=...]' -> {'keras_steps_per_s': 1.2, ..., 'device': ...}"""
    line, _, device = line.partition(" device=")
    fields = {k: float(v) for k, v in (item.split("=", 1) for item in line.split()[1:] if "=" in item)}
    return {**fields, **({"device": device.strip("'")} if device else {})}


def run_presets(args):
    """(child) The BigGAN and StyleGAN recipes' networks at their preset sizes."""
    import keras

    sys.path.insert(0, RECIPES)
    from biggan_fashion_mnist import RECIPE as BIGGAN
    from stylegan_fashion_mnist import RECIPE as STYLEGAN

    from keras_gan_zoo import datasets, gradients, training

    (x, y), _ = datasets.load("fashion_mnist", image_size=32)
    for recipe in (BIGGAN, STYLEGAN):
        batch = recipe["batch_size"]
        need = (args.preset_steps + args.warmup) * batch
        images, labels = x[:need], y[:need]
        model = training.build_model(recipe)
        targets = labels if recipe.get("fit_targets") else None
        warm = args.warmup * batch
        model.fit(images[:warm], None if targets is None else targets[:warm], batch_size=batch,
                  epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(images[warm:], None if targets is None else targets[warm:], batch_size=batch,
                  epochs=1, verbose=0, shuffle=False)
        train_rate = args.preset_steps * batch / (time.perf_counter() - start)
        model.generate(256, seed=0)
        start = time.perf_counter()
        model.generate(args.generate_images, seed=1)
        generate_rate = args.generate_images / (time.perf_counter() - start)
        print(f"{keras.backend.backend()} {recipe['model_class']} train_images_per_s={train_rate:.1f} "
              f"generate_images_per_s={generate_rate:.1f} device={gradients.device_description()!r}",
              flush=True)


def measure_presets(backends, args):
    """{backend: {model: figures}} of the preset networks (Keras only)."""
    results = {}
    for backend in backends:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        command = [sys.executable, os.path.abspath(__file__), "--child-presets", "--preset-steps",
                   str(args.preset_steps), "--warmup", str(args.warmup), "--generate-images",
                   str(args.generate_images)]
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [line for line in result.stdout.splitlines() if "_per_s=" in line]
        # "<backend> <model> key=value ... device=..."
        results[backend] = ({line.split()[1]: _parse(line.split(" ", 1)[1]) for line in lines} if lines else
                            {"error": (result.stderr.strip().splitlines() or ["no output"])[-1]})
    return results


def measure(backends, config, jit_compile=False):
    """{backend: figures} for each backend, or {"error": ...} where its run failed."""
    args = argparse.Namespace(**config, generate_images=0, skip_generate=True, jit_compile=jit_compile)
    results = {}
    for backend in backends:
        lines, error = run_child(backend, args)
        if not any("keras_images_per_s" in line for line in lines):
            results[backend] = {"error": error.strip().splitlines()[-1] if error.strip() else "no output"}
            continue
        figures = {}
        for line in lines:  # "<backend> device=..." and "<backend> keras_steps_per_s=... ..."
            figures.update(_parse(line))
        results[backend] = figures
    reference = results.get("torch", {}).get("native_images_per_s")
    for figures in results.values():
        if reference and "keras_images_per_s" in figures:
            figures["keras_vs_pytorch_loop"] = round(figures["keras_images_per_s"] / reference, 3)
    return results


def table(results, config):
    rows = [f"DCGAN {config['image_size']}x{config['image_size']}x{config['channels']}, width "
            f"{config['width']}, batch {config['batch_size']}, {config['steps']} steps, best of "
            f"{config['rounds']}", "",
            "| backend | device | Keras fit images/s | hand-written loop images/s (same framework) "
            "| Keras / hand-written PyTorch |", "|---|---|---|---|---|"]
    for backend, figures in results.items():
        if "error" in figures:
            rows.append(f"| {backend} | | failed: {figures['error']} | | |")
            continue
        rows.append(f"| {backend} | {figures.get('device', '')} | {figures['keras_images_per_s']:.1f} "
                    f"| {figures['native_images_per_s']:.1f} | {figures.get('keras_vs_pytorch_loop', '')} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=None,
                        help="comma-separated (default: torch, jax, and tensorflow where installed)")
    parser.add_argument("--smoke", action="store_true", help="a tiny network for a few steps")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--parts", default="dcgan,presets", help="comma-separated: dcgan, presets")
    parser.add_argument("--preset-steps", type=int, default=30, help="presets: timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="presets: steps before timing")
    parser.add_argument("--generate-images", type=int, default=2048, help="presets: images to sample")
    parser.add_argument("--jit-compile", action="store_true",
                        help="dcgan: Keras's step with jit_compile=True (PyTorch: torch.compile)")
    parser.add_argument("--child-presets", action="store_true", help=argparse.SUPPRESS)
    for key, value in FULL.items():
        parser.add_argument("--" + key.replace("_", "-"), type=int, default=None, help=f"default {value}")
    args = parser.parse_args(argv)
    if args.child_presets:
        return run_presets(args)
    config = dict(SMOKE if args.smoke else FULL)
    config.update({k: getattr(args, k) for k in FULL if getattr(args, k) is not None})
    backends = (args.backends.split(",") if args.backends else
                ["torch", "jax"] + (["tensorflow"] if importlib.util.find_spec("tensorflow") else []))
    parts = args.parts.split(",")
    report = {"config": {**config, **({"jit_compile": True} if args.jit_compile else {})}}
    if "dcgan" in parts:
        report["results"] = measure(backends, config, jit_compile=args.jit_compile)
        print(table(report["results"], config), flush=True)
    if "presets" in parts:
        report["presets"] = measure_presets(backends, args)
        for backend, models in report["presets"].items():
            for model, figures in models.items():
                print(f"{backend} {model}: {figures}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
