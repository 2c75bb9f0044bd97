"""Continuation of `cyclegan-openmoji-noto` with CycleGAN's own schedule: the
same 64x64 networks, losses, batch and Adam settings as
`recipes/cyclegan_openmoji_noto.py`, the full rate of 2e-4 for the first half
of the run and then all four rates decayed linearly toward 0 (Zhu et al. 2017,
section 4: 100 epochs constant, 100 decayed). The preset trained 6 epochs
(6,102 steps) at a constant rate and translates OpenMoji into images further
from the held-out Noto emoji than the untranslated input (FID 169.0 against
139.6); the 32x32 run with the decay (benchmarks/RESULTS.md) left 64x64 with
the decay as the next thing to try. Meant for `--init-from` the preset:

    keras-gan-zoo train cyclegan_openmoji_noto_anneal --init-from cyclegan-openmoji-noto \\
        --steps 12000 --checkpoint-every 1000 --run-dir runs/cyclegan-anneal \\
        --out runs/cyclegan-anneal/preset

(about 0.49 s a step on TensorFlow on a 2-core CPU: 100 minutes). In a
stepped run the rates change at each checkpoint interval (full for the first
7 of 12 intervals, then 5/6, 4/6, ..., 1/6 of 2e-4), so an interrupted run
resumes on the same schedule. The history pools are part of the preset's
weights and carry on from where its run left them.
"""

from keras_gan_zoo.training import main, variant
from cyclegan_openmoji_noto import RECIPE as CONSTANT_RATE

# No time limit: `--steps` sets the run's length. `continues`: from scratch,
# `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="cyclegan_openmoji_noto_anneal.py", epochs=12,
                 lr_decay_start_epoch=6, time_limit_minutes=None, continues="cyclegan_openmoji_noto.py")

if __name__ == "__main__":
    main(RECIPE)
