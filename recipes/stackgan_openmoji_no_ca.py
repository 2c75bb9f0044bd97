"""Ablation of `stackgan-openmoji`: stage I without conditioning augmentation.

    python recipes/stackgan_openmoji_no_ca.py      # writes runs/stackgan-openmoji-no-ca/preset

The stage-I network, data, optimizer and epochs of `stackgan_openmoji.py`,
but the condition is the deterministic projection of the caption embedding
(no sampling, no KL term). It is measured, not shipped:
`benchmarks/stackgan_openmoji_eval.py` compares its stage-I images with the
preset's stage-I images.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji import RECIPE as BASE

RECIPE = variant(
    BASE, model={"conditioning_augmentation": False, "num_stages": 1},
    preset="stackgan-openmoji-no-ca", recipe_file="stackgan_openmoji_no_ca.py", ship=False,
    stages=BASE["stages"][:1],
)

if __name__ == "__main__":
    main(RECIPE)
