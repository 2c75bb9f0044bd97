"""More stage-II steps for `stackgan-openmoji`, continuing the shipped weights.

    keras-gan-zoo train stackgan_openmoji_more_stage2 --init-from stackgan-openmoji \\
        --run-dir runs/stackgan-more-stage2 --out runs/stackgan-more-stage2/preset

The shipped preset's recipe (`stackgan_openmoji_projection_ca_full.py`) gave
stage II 25 minutes of a 2-core CPU: 2,834 steps, 7 epochs, where the paper
trains each stage for 600. With DiffAugment its stage-II discriminator no
longer overfits (loss 1.02-1.11 throughout), so more steps should pay. This
recipe trains stage II alone, from the shipped weights (`--init-from`; stage I
stays frozen as in every stage-II step), for 14 more epochs with fresh
optimizers: a fixed length rather than a time limit, so a run interrupted and
resumed from its backup trains as long as one that was not. A candidate,
measured before it may replace the shipped preset, so by default it writes to
runs/, not weights/.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_projection_ca_full import RECIPE as SHIPPED

RECIPE = variant(
    SHIPPED, recipe_file="stackgan_openmoji_more_stage2.py", ship=False,
    stages=[{**SHIPPED["stages"][1], "epochs": 14, "time_limit_minutes": None}],
)

if __name__ == "__main__":
    main(RECIPE)
