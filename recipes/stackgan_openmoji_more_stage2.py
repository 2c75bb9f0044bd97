"""More stage-II steps for a StackGAN preset: the second half of `stackgan-openmoji`.

    python recipes/stackgan_openmoji_projection_ca_full.py --run-dir runs/stackgan-projection-ca-full \\
        --out runs/stackgan-projection-ca-full/preset        # both stages, 75 min (the first half)
    keras-gan-zoo train stackgan_openmoji_more_stage2 --init-from runs/stackgan-projection-ca-full/preset \\
        --run-dir runs/stackgan-more-stage2                # 14 more stage-II epochs, 51 min: weights/stackgan-openmoji

`stackgan_openmoji_projection_ca_full.py` gives stage II 25 minutes of a
2-core CPU: 2,834 steps, 7 epochs, where the paper trains each stage for
600. With DiffAugment its stage-II discriminator no longer overfits (loss
1.02-1.11 throughout), so more steps pay. This recipe trains stage II alone,
from the weights `--init-from` names (stage I stays frozen as in every
stage-II step), for 14 more epochs with fresh optimizers: a fixed length
rather than a time limit. Its run from the preset shipped on 2026-12-07
(R-precision 32.6%, FID 168.0) scored 38.2% and 154.2 and is the shipped
`stackgan-openmoji` (benchmarks/RESULTS.md, "stackgan-openmoji: 14 more
stage-II epochs").
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji_projection_ca_full import RECIPE as FIRST_HALF

RECIPE = variant(
    FIRST_HALF, recipe_file="stackgan_openmoji_more_stage2.py", ship=True,
    stages=[{**FIRST_HALF["stages"][1], "epochs": 14, "time_limit_minutes": None}],
)

if __name__ == "__main__":
    main(RECIPE)
