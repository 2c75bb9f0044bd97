"""Does discriminator resampling make StackGAN's images follow their captions
better? Held-out R-precision and FID/KID of the final stage, plain sampling
against `sampling.discriminator_resample` (the matching-aware discriminator
picks one of `--candidates` images of each caption), by the protocol of
`keras-gan-zoo evaluate` (3 images per held-out caption, seed 123, the 335
real held-out emoji as the FID reference, the shipped alignment judge):

    python benchmarks/stackgan_resampling.py stackgan-openmoji --candidates 8

Both rows are measured here with the same code, seed and judge, so they
compare; prints one JSON line per row.
"""

import argparse
import json
import time

import keras

from keras_gan_zoo import alignment, evaluation, presets, sampling


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--samples-per-caption", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="the first N held-out captions only")
    args = parser.parse_args(argv)
    model = presets.load(presets.resolve(args.preset), compile=False)
    judge, extractor = alignment.load_judge(), evaluation.feature_extractor()
    stage = model.num_stages

    def resampled(captions, stage, seed):
        return sampling.discriminator_resample(model, len(captions), seed=seed, candidates=args.candidates,
                                               temperature=args.temperature, captions=captions)

    for label, sampler in (("plain", None), (f"resampled, {args.candidates} candidates", resampled)):
        start = time.time()
        row = evaluation.evaluate_text_to_image(model, stages=[stage], judge=judge, extractor=extractor,
                                                samples_per_caption=args.samples_per_caption,
                                                limit=args.limit, sampler=sampler)[f"stage{stage}"]
        print(json.dumps({"preset": args.preset, "row": label, "temperature": args.temperature,
                          **{k: row[k] for k in ("fid", "kid", "r_precision", "num_generated", "image_size")},
                          "backend": keras.backend.backend(), "wall_time_s": round(time.time() - start, 1)}),
              flush=True)


if __name__ == "__main__":
    main()
