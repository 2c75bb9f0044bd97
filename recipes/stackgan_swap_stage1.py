"""Put another run's stage I under a two-stage StackGAN preset's stage II.

    python recipes/stackgan_swap_stage1.py stackgan-openmoji runs/stackgan-diffaugment-kl/preset \\
        runs/stackgan-swap-kl/stackgan-openmoji                         # 13 s, no training
    KERAS_GAN_ZOO_WEIGHTS=runs/stackgan-swap-kl keras-gan-zoo evaluate stackgan-openmoji
    keras-gan-zoo train stackgan_openmoji_more_stage2 --init-from runs/stackgan-swap-kl/stackgan-openmoji \\
        --epochs 3 --run-dir runs/stackgan-swap-kl-tuned --out runs/stackgan-swap-kl-tuned/preset

Stage II of StackGAN refines the image its frozen stage I draws, with its own
conditioning augmentation, so a stage I trained another way (here: with
DiffAugment and a lighter KL term, the best stage I measured) can be put
under a stage II trained on another stage I without training anything; how
well stage II carries over is then a measurement, and a few stage-II epochs
on the new stage I (`stackgan_openmoji_more_stage2`) adapt it. Naming the
output folder after the preset lets `KERAS_GAN_ZOO_WEIGHTS` point the card's
own evaluation command at it. Measured (benchmarks/RESULTS.md, "StackGAN:
the lighter-KL stage I under the shipped stage II"): FID 153.0 and
R-precision 30.2% without training, 179.7 and 32.7% after the 3 epochs.

Writes a preset folder with the first preset's configuration and stage II
(conditioning, generator and its moving average, discriminator) and the
second's stage I, and checks that its stage-I images are the second
preset's for 8 random caption vectors (prints the largest difference). Its
metadata keeps the first preset's training record and adds where stage I
came from; no metrics (measure them on the new weights).
"""

import argparse

import numpy as np

from keras_gan_zoo import presets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="two-stage StackGAN preset (name or folder) whose stage II is kept")
    parser.add_argument("stage1", help="StackGAN preset (name or folder) whose stage I is put in")
    parser.add_argument("out", help="preset folder to write")
    args = parser.parse_args(argv)
    base = presets.load(args.base, expected_class="StackGAN", compile=False)
    donor = presets.load(args.stage1, expected_class="StackGAN", compile=False)
    try:
        base.copy_stage(donor, stage=1)
    except ValueError as error:
        raise SystemExit(f"{args.stage1} does not fit {args.base}: {error}")
    embeddings = np.random.default_rng(0).normal(size=(8, base.text_dim))  # as a caption encoder gives
    embeddings = (embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)).astype("float32")
    difference = np.abs(base.generate(embeddings, seed=0, stage=1, output="float")
                        - donor.generate(embeddings, seed=0, stage=1, output="float")).max()

    base_meta, donor_meta = base.preset_metadata, donor.preset_metadata
    donor_stage1 = [s for s in donor_meta.get("training", {}).get("stages", []) if s.get("stage") == 1]
    training = dict(base_meta.get("training", {}))
    training["stage1_from"] = {
        "preset": args.stage1,
        "sha256": donor_meta["files"][presets.WEIGHTS_FILE]["sha256"],
        "command": donor_meta.get("training", {}).get("command"),
        "stage": donor_stage1[0] if donor_stage1 else None,
    }
    training["combined_by"] = f"python recipes/stackgan_swap_stage1.py {args.base} {args.stage1} {args.out}"
    out = presets.save(base, args.out, metadata={"training": training, "preset": base_meta.get("preset")})
    print(f"Wrote {out}: stage II of {args.base}, stage I of {args.stage1}; stage-I images of 8 "
          f"random caption vectors differ from {args.stage1}'s by at most {difference:g}")


if __name__ == "__main__":
    main()
