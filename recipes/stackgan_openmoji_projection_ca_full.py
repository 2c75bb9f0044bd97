"""`stackgan-openmoji` with a projection discriminator and conditioning
augmentation kept, both stages, and DiffAugment in stage II.

    python recipes/stackgan_openmoji_projection_ca_full.py           # full run (writes runs/stackgan-openmoji/preset)
    python recipes/stackgan_openmoji_projection_ca_full.py --smoke   # the same pipeline in seconds

`stackgan_openmoji.py` (data, networks, optimizer, conditioning augmentation,
stage II's 25-minute budget) with two changes, each an answer to something
measured (benchmarks/RESULTS.md):

- Miyato & Koyama's projection term in both matching-aware discriminators:
  the stage-I ablations raised the held-out R-precision from 26.5% to 39.9%
  with it (no conditioning augmentation), and `stackgan_openmoji_projection_ca.py`
  measures it with conditioning augmentation kept, which gives a caption
  varied images;
- DiffAugment's translation and cutout on every image stage II's
  discriminator sees: with the projection term and no augmentation, stage
  II's discriminator won (loss 0.38 at its end against 1.06 at its start)
  and its images came out noisier than stage I's (FID 185.4 -> 208.1). No
  colour transform: a colour shift would blur "red" against "orange" for a
  discriminator that checks the caption.

Stage I runs its full 40 epochs (no time limit), so the stage-I ablation's
run folder serves as this recipe's stage I:

    python recipes/stackgan_stage1_from.py runs/stackgan-openmoji-projection-ca \\
        stackgan_openmoji_projection_ca_full runs/stackgan-projection-ca-full
    python recipes/stackgan_openmoji_projection_ca_full.py --run-dir runs/stackgan-projection-ca-full \\
        --from-stage 2 --out runs/stackgan-projection-ca-full/preset

This recipe made the preset shipped on 2026-12-07 (benchmarks/RESULTS.md,
"stackgan-openmoji: the projection discriminator with conditioning
augmentation"): held-out R-precision 32.6% and FID 168.0, against 15.0% and
183.5 for `stackgan_openmoji.py`'s. It is now the first half of the shipped
preset, whose stage II `stackgan_openmoji_more_stage2.py` continues for 14
epochs (38.2%, FID 154.2), so it writes to runs/ (`--out` names the folder).
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji import RECIPE as BASE

RECIPE = variant(
    BASE, model={"projection_discriminator": True},
    recipe_file="stackgan_openmoji_projection_ca_full.py", ship=False,
    stages=[{**BASE["stages"][0], "time_limit_minutes": None},
            {**BASE["stages"][1], "augment": "translation,cutout"}],
)

if __name__ == "__main__":
    main(RECIPE)
