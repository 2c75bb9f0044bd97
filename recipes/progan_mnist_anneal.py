"""Continuation of `progan-mnist` at its final resolution: the 32x32 level of
`recipes/progan_mnist.py` (no fade-in, the same WGAN-GP loss, batch and Adam
settings), at the full rate of 1e-3 for about the first half of the run and
then both rates decayed linearly toward 0 (the schedule that took cgan-mnist from
FID 9.99 to 3.75). The growth schedule's CPU-sized run ended after 5,268
stabilisation steps at 32x32 while FID was still falling fast (70.5 -> 31.3
on 1,000 vs 1,000 over that stage), so this continues the stabilisation
stage rather than growing again. Meant for `--init-from` the trained preset:

    keras-gan-zoo train progan_mnist_anneal --init-from progan-mnist --steps 12000 \\
        --checkpoint-every 1000 --fid-images 0 --run-dir runs/progan-mnist-anneal \\
        --out runs/progan-mnist-anneal/preset

In a stepped run the rates change at each checkpoint interval (full for the
first 7 of 12 intervals, then 5/6, 4/6, ..., 1/6 of 1e-3), so an interrupted
run resumes on the same schedule.
"""

from keras_gan_zoo.training import main, variant
from progan_mnist import RECIPE as GROWN

# No "stages": the model compiles at its last level with no fade-in (ProGAN's
# default), i.e. the recipe's stage 5. `continues`: from scratch,
# `recipes/progan_mnist.py` grows the preset this one continues.
RECIPE = variant(GROWN, recipe_file="progan_mnist_anneal.py", stages=None, epochs=12,
                 lr_decay_start_epoch=6, continues="progan_mnist.py")

if __name__ == "__main__":
    main(RECIPE)
