"""StackGAN's condition noise as a truncation: caption alignment against variety.

    python benchmarks/stackgan_condition_noise.py stackgan-openmoji --scales 1 0.5 0

Conditioning augmentation draws each caption's condition from N(mean,
sigma); `generate(..., condition_noise=s)` scales that noise by `s` (1: as
trained, 0: the mean condition), as truncation scales z. For each scale, the
final stage's images of the held-out captions are scored by the protocol of
`keras-gan-zoo evaluate` (3 images per held-out caption, seed 123, FID/KID
against the 335 real held-out emoji, R-precision by the shipped alignment
judge), and their variety per caption is measured on the same images: the
per-pixel standard deviation (0-255) across a caption's 3 images, averaged
over pixels and captions (0: the caption fixes the image; z still varies).
Prints one JSON line per scale.
"""

import argparse
import json
import time

import keras
import numpy as np

from keras_gan_zoo import alignment, evaluation, presets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 0.5, 0.0])
    parser.add_argument("--samples-per-caption", type=int, default=3)
    parser.add_argument("--stage", type=int, default=None, help="default: the last stage")
    parser.add_argument("--limit", type=int, default=None, help="the first N held-out captions only")
    args = parser.parse_args(argv)
    if args.samples_per_caption < 2:
        parser.error("--samples-per-caption must be at least 2: variety needs two images per caption")
    model = presets.load(presets.resolve(args.preset), compile=False)
    if not model.conditioning_augmentation:
        parser.error(f"{args.preset} has no conditioning augmentation: there is no condition noise to scale")
    judge, extractor = alignment.load_judge(), evaluation.feature_extractor()
    stage = args.stage or model.num_stages
    for scale in args.scales:
        drawn = []

        def sampler(captions, at, seed, scale=scale):
            drawn.append(model.generate(captions, seed=seed, stage=at, condition_noise=scale))
            return drawn[-1]

        start = time.time()
        row = evaluation.evaluate_text_to_image(model, stages=[stage], judge=judge, extractor=extractor,
                                                samples_per_caption=args.samples_per_caption,
                                                limit=args.limit, sampler=sampler)[f"stage{stage}"]
        # evaluate_text_to_image tiles the captions: image i + k * n is caption i's k-th image.
        images = drawn[0].astype("float32")
        per_caption = images.reshape((args.samples_per_caption, -1) + images.shape[1:])
        print(json.dumps({"preset": args.preset, "condition_noise": scale, "stage": stage,
                          **{k: row[k] for k in ("fid", "kid", "r_precision", "num_generated", "image_size")},
                          "within_caption_std": round(float(per_caption.std(axis=0).mean()), 2),
                          "backend": keras.backend.backend(), "wall_time_s": round(time.time() - start, 1)}),
              flush=True)


if __name__ == "__main__":
    main()
