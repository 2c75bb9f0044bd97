"""`stackgan-openmoji` with DiffAugment in both stages (a candidate, measured, not shipped).

    python recipes/stackgan_stage1_from.py runs/stackgan-openmoji-projection-ca-diffaugment \\
        stackgan_openmoji_diffaugment_both runs/stackgan-diffaugment-both
    python recipes/stackgan_openmoji_diffaugment_both.py --run-dir runs/stackgan-diffaugment-both \\
        --from-stage 2 --out runs/stackgan-diffaugment-both/preset

The shipped preset's recipe (`stackgan_openmoji_projection_ca_full.py`, then
`stackgan_openmoji_more_stage2.py`: projection discriminator, conditioning
augmentation, DiffAugment's translation and cutout in stage II, 21 stage-II
epochs in two runs) with the same augmentation in stage I as well, where
`stackgan_openmoji_projection_ca_diffaugment.py` measured it (its run folder
serves as this recipe's stage I, copied in by the first command above).
Stage II trains its 21 epochs in one run with no time limit, so it matches
the shipped preset's stage-II steps (8,757 against 2,834 + 5,838; the shipped
preset's optimizers restarted once between its two runs). Measured before it
may replace the shipped preset, so it writes to runs/:

    KERAS_GAN_ZOO_WEIGHTS=runs/stackgan-diffaugment-both/candidate keras-gan-zoo evaluate stackgan-openmoji

Measured (benchmarks/RESULTS.md, "StackGAN: stage II on the DiffAugment
stage I"): FID 141.3 against the shipped preset's 154.2, variety within a
caption 23.6 against 17.6, R-precision 29.0% against 38.2% (the issue's goal:
35%). Not shipped; `stackgan_openmoji_diffaugment_kl.py` is the next ablation.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_projection_ca_full import RECIPE as FIRST_HALF

RECIPE = variant(
    FIRST_HALF, recipe_file="stackgan_openmoji_diffaugment_both.py", ship=False,
    stages=[{**FIRST_HALF["stages"][0], "augment": "translation,cutout"},
            {**FIRST_HALF["stages"][1], "epochs": 21, "time_limit_minutes": None}],
)

if __name__ == "__main__":
    main(RECIPE)
