"""Ablation of `stackgan-openmoji`: stage I with a projection discriminator.

    python recipes/stackgan_openmoji_projection.py   # writes runs/stackgan-openmoji-projection/preset

`stackgan_openmoji_no_ca.py` (the stage-I network, data and optimizer of
`stackgan_openmoji.py`, the deterministic condition without conditioning
augmentation, the full 40 epochs with no time limit: 8,360 steps) with one
change: both terms of Miyato & Koyama's projection discriminator, the
concatenated text of the paper's discriminator plus the inner product of the
pooled image features with a linear map of the text
(`StackGAN(projection_discriminator=True)`). The question it answers: is
the discriminator's weak hold on the caption what keeps the held-out
R-precision of stage I at 26% (no conditioning augmentation) against 54%
for real emoji? Measured, not shipped:

    python benchmarks/stackgan_openmoji_eval.py stackgan-openmoji --no-write \
        --ablation runs/stackgan-openmoji-projection/preset \
        --label "projection discriminator, no conditioning augmentation"

scores its stage-I images by the preset card's protocol and prints them
beside the card's rows, among them the no-augmentation run's 26.47% and FID
181.5 at the same 8,360 steps.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_no_ca import RECIPE as NO_CA

RECIPE = variant(
    NO_CA, model={"projection_discriminator": True},
    preset="stackgan-openmoji-projection", recipe_file="stackgan_openmoji_projection.py", ship=False,
)

if __name__ == "__main__":
    main(RECIPE)
