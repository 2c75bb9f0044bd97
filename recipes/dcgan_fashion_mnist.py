"""Recipe for the `dcgan-fashion-mnist` preset.

    python recipes/dcgan_fashion_mnist.py            # full run (writes weights/dcgan-fashion-mnist)
    python recipes/dcgan_fashion_mnist.py --smoke    # the same pipeline in seconds

DCGAN (Radford et al. 2015) with the paper's optimiser: Adam, lr 2e-4,
beta_1 0.5, batch 64, non-saturating loss; EMA generator (0.999) for sampling.
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "dcgan-fashion-mnist",
    "recipe_file": "dcgan_fashion_mnist.py",
    "dataset": "fashion_mnist",
    "model_class": "DCGAN",
    "model": {"latent_dim": 100, "image_size": 28, "channels": 1, "width": 64, "ema_decay": 0.999},
    "loss": "non_saturating",
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "batch_size": 64,
    "epochs": 20,
    "fid_images": 10000,
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
