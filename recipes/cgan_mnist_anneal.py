"""Continuation of `cgan-mnist`: the same network, loss, batch and Adam
settings as `recipes/cgan_mnist.py`, at the full rate of 2e-4 for about the
first half of the run and then both rates decayed linearly toward 0 (the schedule
that took dcgan-mnist from FID 6.56 to 5.72, here after a constant-rate half
because the 11,256-step preset was still improving fast). Meant for
`--init-from` the trained preset:

    keras-gan-zoo train cgan_mnist_anneal --init-from cgan-mnist --steps 48000 \\
        --checkpoint-every 4000 --fid-images 0 --run-dir runs/cgan-mnist-anneal \\
        --out runs/cgan-mnist-anneal/preset

In a stepped run the rates change at each checkpoint interval (full for the
first 7 of 12 intervals, then 5/6, 4/6, ..., 1/6 of 2e-4), so an interrupted
run resumes on the same schedule.
"""

from keras_gan_zoo.training import main, variant
from cgan_mnist import RECIPE as CONSTANT_RATE

# `continues`: from scratch, `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="cgan_mnist_anneal.py",
                 lr_decay_start_epoch=CONSTANT_RATE["epochs"] // 2, continues="cgan_mnist.py")

if __name__ == "__main__":
    main(RECIPE)
