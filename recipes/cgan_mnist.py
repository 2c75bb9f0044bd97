"""Recipe for the `cgan-mnist` preset.

    python recipes/cgan_mnist.py            # full run (writes weights/cgan-mnist)
    python recipes/cgan_mnist.py --smoke    # the same pipeline in seconds

The dcgan-mnist network and optimiser, conditioned on the digit: a label
embedding next to z in the generator, a projection discriminator
(Miyato & Koyama 2018). Trained on (image, label) pairs of the training set.
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "cgan-mnist",
    "recipe_file": "cgan_mnist.py",
    "dataset": "mnist",
    "model_class": "ConditionalGAN",
    "fit_targets": True,
    "model": {
        "num_classes": 10, "discriminator": "projection", "embedding_dim": 50,
        "latent_dim": 100, "image_size": 28, "channels": 1, "width": 64, "ema_decay": 0.999,
    },
    "loss": "non_saturating",
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "batch_size": 64,
    "epochs": 12,
    "fid_images": 0,  # measured with benchmarks/conditional_fid.py (same protocol as DCGAN)
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
