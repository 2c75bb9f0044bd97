"""Annealed continuation of `cgan-fashion-mnist`: the same network, loss,
batch and Adam settings as `recipes/cgan_fashion_mnist.py`, with both
learning rates decayed linearly from 2e-4 toward 0 over the run (the tail
that took dcgan-mnist from FID 6.56 to 5.72 and biggan-fashion-mnist from
10.58 to 8.75). Meant for `--init-from` the preset, trained 66,066 steps at
a constant rate on one GPU:

    keras-gan-zoo train cgan_fashion_mnist_anneal --init-from cgan-fashion-mnist --steps 24000 \\
        --checkpoint-every 2000 --fid-images 0 --run-dir runs/cgan-fm-anneal \\
        --out runs/cgan-fm-anneal/preset

In a stepped run the rates change at each checkpoint interval (1, 11/12, ...,
1/12 of 2e-4 for 12 intervals), so an interrupted run resumes on the same
schedule.
"""

from keras_gan_zoo.training import main, variant
from cgan_fashion_mnist import RECIPE as CONSTANT_RATE

# `continues`: from scratch, `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="cgan_fashion_mnist_anneal.py", lr_decay_start_epoch=0,
                 continues="cgan_fashion_mnist.py")

if __name__ == "__main__":
    main(RECIPE)
