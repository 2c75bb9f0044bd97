"""Held-out figures of a StackGAN preset on the captioned emoji: stage I
versus stage II, conditioning augmentation on versus off, and real images.

    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji \\
        --ablation runs/stackgan-openmoji-no-ca/preset

For each of the 335 held-out emoji (never trained on), `--samples` images
are drawn from its caption. FID/KID compare them with the real held-out
emoji at the stage's size (335 images: a small reference, so FID is biased
upwards; compare rows with each other). R-precision (100 candidates, chance
1%) uses the alignment judge of `keras_gan_zoo.alignment`, trained on the
training split only: not the generator's own discriminator. The "real"
rows are 1,005 real *training* emoji (FID floor) and the judge's accuracy on
the real held-out emoji (R-precision ceiling). Writes the table into the
preset's metadata and model card.
"""

import argparse
import json
import sys
import time

import keras

from keras_gan_zoo import alignment, evaluation, gradients, presets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--ablation", default=None, help="preset folder of the no-CA stage-I run")
    parser.add_argument("--samples", type=int, default=3, help="images per held-out caption")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--append", action="store_true",
                        help="keep the preset and real-image rows already recorded in the preset's "
                             "metadata (same seed and samples) and measure only the --ablation rows")
    args = parser.parse_args(argv)
    start = time.time()
    folder = presets.resolve(args.preset)
    model = presets.load(folder, compile=False)
    judge, extractor = alignment.load_judge(), evaluation.InceptionFeatures()
    common = dict(samples_per_caption=args.samples, seed=args.seed, judge=judge, extractor=extractor)
    recorded = (model.preset_metadata.get("metrics", {}).get("text_to_image") or {}) if args.append else {}
    if args.append and not (args.ablation and recorded.get("samples_per_caption") == args.samples
                            and recorded.get("seed") == args.seed):
        parser.error("--append needs --ablation and a table recorded by this script with the same "
                     "--samples and --seed")
    rows = [r for r in recorded.get("rows", []) if not r["label"].startswith("no conditioning")]
    for size in [] if args.append else model.image_sizes:
        rows.append({"label": "real training emoji (floor) / real held-out (judge)",
                     **evaluation.real_image_floor(size, judge=judge, extractor=extractor)})
    for stage, result in ({} if args.append else evaluation.evaluate_text_to_image(model, **common)).items():
        rows.append({"label": f"{args.preset} {stage.replace('stage', 'stage ')}", **result})
    if args.ablation:
        ablation = presets.load(args.ablation, compile=False)
        steps = ablation.preset_metadata.get("training", {}).get("steps")
        for stage, result in evaluation.evaluate_text_to_image(ablation, stages=[1], **common).items():
            rows.append({"label": f"no conditioning augmentation, stage 1 ({steps} steps)", **result})
    report = {
        "protocol": (f"{args.samples} images per held-out caption (335 emoji never trained on) vs the "
                     "335 real held-out emoji at the same size; R-precision of 100 candidate captions "
                     f"(chance 1%) by the alignment judge (its own figures: "
                     f"{json.dumps(alignment.judge_report()['held_out_real'])})."),
        "rows": rows, "samples_per_caption": args.samples, "seed": args.seed,
        "command": ("python benchmarks/stackgan_openmoji_eval.py "
                    + " ".join(a for a in (sys.argv[1:] if argv is None else argv) if a != "--append")),
        "backend": keras.backend.backend(), "device": gradients.device_description(),
        "network": evaluation.NETWORK_NAME, "wall_time_s": round(time.time() - start + recorded.get("wall_time_s", 0.0), 1),
    }
    print(json.dumps(report, indent=1))
    if not args.no_write:
        final = [r for r in rows if r["label"] == f"{args.preset} stage {model.num_stages}"][0]
        presets.update_metadata(folder, {"metrics": {
            "text_to_image": report,
            "fid": {"value": final["fid"], "num_generated": final["num_generated"],
                    "num_reference": final["num_reference"], "command": report["command"],
                    "backend": report["backend"], "device": report["device"],
                    "network": report["network"], "seed": args.seed,
                    "wall_time_s": report["wall_time_s"]},
            "kid": {"value": final["kid"], "std": final["kid_std"]},
        }})


if __name__ == "__main__":
    main()
