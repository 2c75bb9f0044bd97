"""Ablation of `stackgan-openmoji`: stage I without conditioning augmentation.

    python recipes/stackgan_openmoji_no_ca.py --epochs 24   # writes runs/stackgan-openmoji-no-ca/preset

The stage-I network, data and optimizer of `stackgan_openmoji.py`, but the
condition is the deterministic projection of the caption embedding (no
sampling, no KL term). The stage has no time limit, so that the comparison
is at an equal number of steps: pass `--epochs` with the stage-I epochs the
preset's run reached (its metadata, `training.stages[0].epochs_run`; the recipe's
default is the full 40). It is measured, not shipped:
`benchmarks/stackgan_openmoji_eval.py` compares its stage-I images with the
preset's stage-I images.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji import RECIPE as BASE

RECIPE = variant(
    BASE, model={"conditioning_augmentation": False, "num_stages": 1},
    preset="stackgan-openmoji-no-ca", recipe_file="stackgan_openmoji_no_ca.py", ship=False,
    stages=[{**BASE["stages"][0], "time_limit_minutes": None}],
)

if __name__ == "__main__":
    main(RECIPE)
