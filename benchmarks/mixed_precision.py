"""How far mixed precision moves a shipped preset's samples from float32's.

    python benchmarks/mixed_precision.py                   # every sampling preset
    python benchmarks/mixed_precision.py dcgan-mnist --num 64

For each preset that samples from latents alone (unconditional and
class-conditional families), the same `showcase` images (same seed, same
weights) are drawn with the networks built in float32, mixed_bfloat16 and
mixed_float16 (`keras_gan_zoo.training.precision_policy`), and the uint8
images are compared: the mean absolute difference in grey levels (0-255) and
the share of pixels that differ by more than 8 levels. Prints one line per
preset and policy; speed is not measured (a CPU has no fast bfloat16 or
float16 matrix units, so a CPU figure would mislead).
"""

import argparse
import time

import keras
import numpy as np

from keras_gan_zoo import gradients, presets, registry, tasks, training

FAMILIES_FROM_LATENTS = (tasks.UNCONDITIONAL_IMAGE, tasks.CLASS_CONDITIONAL_IMAGE)


def _family(name):
    config = presets.read_json(presets.preset_dir(name) / presets.CONFIG_FILE, "config")
    return registry.family_class(config["class_name"])


def compare(name, num, seed):
    """{policy: (mean abs difference, share of pixels off by > 8)} vs float32."""
    images = {}
    for policy in training.PRECISIONS:
        with training.precision_policy(policy):
            model = presets.load(presets.resolve(name), compile=False)
        images[policy] = model.showcase(num=num, seed=seed).images.astype("int16")
    reference = images["float32"]
    return {policy: (float(np.abs(x - reference).mean()), float((np.abs(x - reference) > 8).mean()))
            for policy, x in images.items() if policy != "float32"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="default: every shipped preset that samples from latents")
    parser.add_argument("--num", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    names = args.presets or [n for n in presets.list_presets() if _family(n).task in FAMILIES_FROM_LATENTS]
    print(f"backend {keras.backend.backend()}, device {gradients.device_description()}, "
          f"{args.num} images, seed {args.seed}")
    start = time.time()
    for name in names:
        for policy, (mean, share) in compare(name, args.num, args.seed).items():
            print(f"{name:24s} {policy:15s} mean |diff| {mean:5.2f} grey levels, "
                  f"{100 * share:5.2f}% of pixels off by > 8", flush=True)
    print(f"wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
