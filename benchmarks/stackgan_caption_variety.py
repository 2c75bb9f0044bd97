"""How much StackGAN images vary for one caption: the point of conditioning
augmentation (Zhang et al. 2017), measured against the ablation without it.

    python benchmarks/stackgan_caption_variety.py stackgan-openmoji runs/stackgan-openmoji-no-ca/preset

For the first `--captions` held-out captions (emoji never trained on), each
model draws `--seeds` images per caption at `--stage`. "Within caption" is
the per-pixel standard deviation across seeds for the same caption (0: the
caption fixes the image), averaged over pixels and captions; "across
captions" is the same across captions for one seed. Pixel values are 0-255.

It also reports, per preset, the stage-I condition over all held-out
captions (with conditioning augmentation: how much its mean varies across
captions against the size of its noise, the collapse the first CPU run
showed) and the R-precision of the shipped-preset test (one final-stage
image per held-out caption, seed 0, judged by the alignment judge).
"""

import argparse
import json

import keras
import numpy as np

from keras_gan_zoo import alignment, datasets, presets


def caption_variety(model, captions, seeds=3, stage=1):
    """`{"within_caption", "across_captions"}` pixel standard deviations."""
    images = np.stack([model.generate(captions, seed=seed, stage=stage).astype("float32")
                       for seed in range(seeds)])  # (seeds, captions, h, w, c)
    return {"within_caption": float(images.std(axis=0).mean()),
            "across_captions": float(images.std(axis=1).mean())}


def condition_spread(model, captions, stage=1):
    """Spread across captions of the condition mean, and its noise scale."""
    out = model.stage_parts(stage, ema=True)[0].predict(model.embed(captions), verbose=0)
    mean, log_variance = out if isinstance(out, (list, tuple)) else (out, None)
    return {"condition_mean_std_across_captions": float(np.std(mean, axis=0).mean()),
            "condition_noise_std": (float(np.exp(0.5 * log_variance).mean())
                                    if log_variance is not None else None)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="+", help="StackGAN presets or preset folders to compare")
    parser.add_argument("--captions", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--stage", type=int, default=1)
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be at least 2: variety needs two images per caption")
    _, (_, held_out) = datasets.load("openmoji_captions", image_size=64, caption_style="name")
    held_out = list(held_out)
    captions = held_out[: args.captions]
    judge = alignment.load_judge()
    rows = []
    for name in args.presets:
        model = presets.load(presets.resolve(name), compile=False)
        images = model.generate(held_out, seed=0)
        rows.append({"preset": name, "conditioning_augmentation": model.conditioning_augmentation,
                     **caption_variety(model, captions, args.seeds, args.stage),
                     **condition_spread(model, held_out),
                     "r_precision_one_image_seed0": alignment.r_precision(judge, images, held_out)["r_precision"]})
    print(json.dumps({"stage": args.stage, "captions": len(captions), "seeds": args.seeds,
                      "backend": keras.backend.backend(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
