"""Ablation of `stackgan-openmoji`: stage I with DiffAugment as well.

    python recipes/stackgan_openmoji_projection_ca_diffaugment.py
        # writes runs/stackgan-openmoji-projection-ca-diffaugment/preset

`stackgan_openmoji_projection_ca.py` (stage I with the projection
discriminator and conditioning augmentation, 40 epochs, 8,360 steps, no time
limit: the shipped preset's stage I) with DiffAugment's translation and
cutout on every image stage I's discriminator sees, as the shipped recipe
already does in stage II. No colour transform, for the reason given there: a
colour shift would blur "red" against "orange" for a discriminator that
checks the caption.

The question it answers: the shipped stage I's discriminator wins (its loss
falls from 1.05 in the first epoch to 0.36 by the tenth and 0.23 at the end,
while the generator's rises from 2.1 to 3.8) on 3,300 training emoji, the
limited-data regime DiffAugment was made for; does the
augmentation lower stage I's FID (189.0) without losing its hold on the
caption (held-out R-precision 36.2%)? Same steps and seed, so the two rows
differ in the augmentation alone. Measured, not shipped (benchmarks/RESULTS.md,
"StackGAN: DiffAugment in stage I as well"): FID 189.0 -> 143.9, variety
per caption 12.0 -> 20.6, R-precision 36.2% -> 28.8%; its run folder is the
stage I of `stackgan_openmoji_diffaugment_both.py`. Scored by:

    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji --no-write \\
        --ablation runs/stackgan-openmoji-projection-ca-diffaugment/preset \\
        --label "projection discriminator, conditioning augmentation, DiffAugment"
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_projection_ca import RECIPE as PROJECTION_CA

RECIPE = variant(
    PROJECTION_CA, preset="stackgan-openmoji-projection-ca-diffaugment",
    recipe_file="stackgan_openmoji_projection_ca_diffaugment.py", ship=False,
    stages=[{**PROJECTION_CA["stages"][0], "augment": "translation,cutout"}],
)

if __name__ == "__main__":
    main(RECIPE)
