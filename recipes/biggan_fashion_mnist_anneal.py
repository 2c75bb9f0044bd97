"""Annealed continuation of `biggan-fashion-mnist`: the recipe's network,
hinge loss, batch and Adam settings (`recipes/biggan_fashion_mnist.py`), with
both learning rates decayed linearly from 2e-4 toward 0 over the run and no
time limit (the run's length is `--steps`). For `--init-from` the shipped
generator, whose FID (10.58) sits just above the issue's goal of 10:

    keras-gan-zoo train biggan_fashion_mnist_anneal --init-from biggan-fashion-mnist \\
        --steps 3000 --checkpoint-every 250 --run-dir runs/biggan-fm-anneal \\
        --out runs/biggan-fm-anneal/preset

(1.2 s a step with PyTorch on an otherwise idle 2-core CPU, about 1 h in all;
resumable from its run folder).
"""

from keras_gan_zoo.training import main, variant
from biggan_fashion_mnist import RECIPE as CONSTANT_RATE

# `continues`: from scratch, `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="biggan_fashion_mnist_anneal.py", lr_decay_start_epoch=0,
                 time_limit_minutes=None, continues="biggan_fashion_mnist.py")

if __name__ == "__main__":
    main(RECIPE)
