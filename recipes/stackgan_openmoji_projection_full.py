"""`stackgan-openmoji` with a projection discriminator and no conditioning
augmentation, both stages.

    python recipes/stackgan_openmoji_projection_full.py --out runs/stackgan-projection-full/preset

`stackgan_openmoji.py` (data, networks, optimizer, stage II's 25-minute
budget) with the change the stage-I ablation `stackgan_openmoji_projection.py`
measured: Miyato & Koyama's projection term in both matching-aware
discriminators and a deterministic condition (no conditioning augmentation).
At 8,360 stage-I steps it made the held-out images follow their captions far
better (R-precision 39.9% against 26.5% without the projection and 16.4% for
the shipped recipe's stage I, FID 185.4 / 181.5 / 176.8; benchmarks/RESULTS.md).
Stage I runs its full 40 epochs as in the ablation (no time limit), so the
ablation's run folder can serve as this recipe's stage I:

    python recipes/stackgan_stage1_from.py runs/stackgan-openmoji-projection \
        stackgan_openmoji_projection_full runs/stackgan-projection-full
    python recipes/stackgan_openmoji_projection_full.py --run-dir runs/stackgan-projection-full \\
        --from-stage 2 --out runs/stackgan-projection-full/preset

(the first command writes the ablation's stage-I weights there as
`after-stage1.weights.h5`, with its `stages.json`: the networks of stage I
are the same in the one- and the two-stage model).

Measured (benchmarks/RESULTS.md, "Both stages with the projection
discriminator"): stage II 33.8% and FID 208.1 against the shipped preset's
15.0% and 183.5, with noisier shapes; not shipped, so by default it writes to
runs/, not weights/.
"""

from keras_gan_zoo.training import main, variant
from stackgan_openmoji import RECIPE as BASE

RECIPE = variant(
    BASE, model={"projection_discriminator": True, "conditioning_augmentation": False},
    recipe_file="stackgan_openmoji_projection_full.py", ship=False,  # measured, not shipped (see above)
    stages=[{**BASE["stages"][0], "time_limit_minutes": None}, BASE["stages"][1]],
)

if __name__ == "__main__":
    main(RECIPE)
