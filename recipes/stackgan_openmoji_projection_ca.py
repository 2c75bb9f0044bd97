"""Ablation of `stackgan-openmoji`: stage I with a projection discriminator
and conditioning augmentation kept.

    python recipes/stackgan_openmoji_projection_ca.py   # writes runs/stackgan-openmoji-projection-ca/preset

`stackgan_openmoji_projection.py` (stage I with both terms of the projection
discriminator, 40 epochs, 8,360 steps, no time limit) with conditioning
augmentation switched back on, as in the shipped preset. The question it
answers: the projection discriminator raised stage I's held-out R-precision
from 26% to 40% without conditioning augmentation, but then a caption nearly
fixes its image; does it keep its hold on the caption when the condition is
drawn from a Gaussian around the caption's embedding, so that a caption gets
varied images again? Measured, not shipped:

    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji --no-write \
        --ablation runs/stackgan-openmoji-projection-ca/preset \
        --label "projection discriminator, conditioning augmentation"
    python benchmarks/stackgan_caption_variety.py stackgan-openmoji \
        runs/stackgan-openmoji-projection-ca/preset
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_projection import RECIPE as PROJECTION

RECIPE = variant(
    PROJECTION, model={"conditioning_augmentation": True},
    preset="stackgan-openmoji-projection-ca", recipe_file="stackgan_openmoji_projection_ca.py", ship=False,
)

if __name__ == "__main__":
    main(RECIPE)
