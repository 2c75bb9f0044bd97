"""Annealed continuation of `dcgan-mnist`: the same network, loss, batch and
Adam settings as `recipes/dcgan_mnist.py`, with both learning rates decayed
linearly from 2e-4 toward 0 over the run (the tail of the pix2pix and
CycleGAN schedules). Meant for `--init-from` a trained generator, where the
constant rate's FID gains have slowed (the second continuation of dcgan-mnist
bought 0.07 FID per 1,000 steps):

    keras-gan-zoo train dcgan_mnist_anneal --init-from dcgan-mnist --steps 24000 \\
        --checkpoint-every 2000 --fid-images 0 --run-dir runs/dcgan-mnist-anneal \\
        --out runs/dcgan-mnist-anneal/preset

In a stepped run the rates change at each checkpoint interval (1, 11/12, ...,
1/12 of 2e-4 for 12 intervals), so an interrupted run resumes on the same
schedule. This command, from the 88,760-step weights, made the shipped
`dcgan-mnist` (FID 6.56 -> 5.72; PyTorch, 2-core CPU, 43 min; see
benchmarks/RESULTS.md).
"""

from keras_gan_zoo.training import main, variant
from dcgan_mnist import RECIPE as CONSTANT_RATE

# `continues`: from scratch, `recipes/gpu_all.py` trains the preset with the recipe this one continues.
RECIPE = variant(CONSTANT_RATE, recipe_file="dcgan_mnist_anneal.py", lr_decay_start_epoch=0,
                 continues="dcgan_mnist.py")

if __name__ == "__main__":
    main(RECIPE)
