"""Ablation rows of a StackGAN preset's held-out table: the stage-I images of
the run without conditioning augmentation, measured as the preset was.

    keras-gan-zoo evaluate stackgan-openmoji                     # the preset's own rows (FID/KID, R-precision)
    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji \\
        --ablation runs/stackgan-openmoji-no-ca/preset            # adds the ablation rows
    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji --no-write \\
        --ablation runs/stackgan-openmoji-projection/preset \\
        --label "projection discriminator, no conditioning augmentation"   # another ablation, printed

`--samples` images per held-out caption (335 emoji never trained on), scored
like the preset's rows (FID/KID against the real held-out emoji, R-precision
by the alignment judge), appended to the table recorded in the preset's
metadata and model card (same seed and samples per caption).
"""

import argparse
import json
import shlex
import sys
import time

from keras_gan_zoo import alignment, evaluation, presets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--ablation", required=True, help="preset folder of the no-CA stage-I run")
    parser.add_argument("--label", default="no conditioning augmentation",
                        help="the ablation's row label (a recorded row of the same label is replaced), e.g. "
                             "'projection discriminator, no conditioning augmentation'")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    start = time.time()
    folder = presets.resolve(args.preset)
    recorded = presets.load(folder, compile=False).preset_metadata.get("metrics", {}).get("text_to_image")
    if not recorded:
        parser.error(f"{args.preset} records no held-out table yet: run keras-gan-zoo evaluate {args.preset}")
    ablation = presets.load(args.ablation, compile=False)
    steps = ablation.preset_metadata.get("training", {}).get("steps")
    rows = [r for r in recorded["rows"] if not r["label"].startswith(args.label + ", stage 1")]
    results = evaluation.evaluate_text_to_image(
        ablation, stages=[1], samples_per_caption=recorded["samples_per_caption"], seed=recorded["seed"],
        judge=alignment.load_judge())
    for result in results.values():
        rows.append({"label": f"{args.label}, stage 1 ({steps} steps)", **result})
    report = {**recorded, "rows": rows,
              "command": recorded["command"] + "; python benchmarks/stackgan_openmoji_eval.py "
              + shlex.join(sys.argv[1:] if argv is None else argv),  # quoted, to paste
              "wall_time_s": round(recorded.get("wall_time_s", 0.0) + time.time() - start, 1)}
    print(json.dumps(rows, indent=1))
    if not args.no_write:
        presets.update_metadata(folder, {"metrics": {"text_to_image": report}})


if __name__ == "__main__":
    main()
