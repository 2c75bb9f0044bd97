"""Annealed continuation of `stylegan-openmoji`: the recipe's network, loss,
DiffAugment, lazy R1, EMA, batch and Adam settings (`recipes/stylegan_openmoji.py`),
with both learning rates decayed linearly toward 0 over the run and no time
limit (the run's length is `--steps`). For `--init-from` the shipped
generator (FID 91.6 against the 428 held-out emoji after 55,318 constant-rate
steps; the issue's goal is 60):

    keras-gan-zoo train stylegan_openmoji_anneal --init-from stylegan-openmoji \\
        --steps 10000 --checkpoint-every 1000 --fid-images 0 \\
        --run-dir runs/stylegan-openmoji-anneal --out runs/stylegan-openmoji-anneal/preset

(0.25-0.26 s a step with TensorFlow on an otherwise idle 2-core CPU;
resumable from its run folder). The constant-rate run was still improving
when it stopped, by 0.29 FID per 1,000 steps over its last 20,000; the same
decayed tail bought dcgan-mnist 0.84 FID, biggan-fashion-mnist 1.83 and
cgan-fashion-mnist 0.63, and nothing on stylegan-fashion-mnist
(benchmarks/RESULTS.md).

What it made (2026-12-07, 6,000 steps, 1,631 s): FID 96.9, worse than the
91.6 it started from, so the preset was not replaced (benchmarks/RESULTS.md,
"stylegan-openmoji: a decayed-rate tail").
"""

from keras_gan_zoo.training import main, variant
from stylegan_openmoji import RECIPE as CONSTANT_RATE

# `continues`: from scratch, `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="stylegan_openmoji_anneal.py", lr_decay_start_epoch=0,
                 time_limit_minutes=None, continues="stylegan_openmoji.py")

if __name__ == "__main__":
    main(RECIPE)
