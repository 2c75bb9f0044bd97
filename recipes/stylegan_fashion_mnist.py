"""Recipe for the `stylegan-fashion-mnist` preset.

    python recipes/stylegan_fashion_mnist.py            # full run (writes weights/stylegan-fashion-mnist)
    python recipes/stylegan_fashion_mnist.py --smoke    # the same pipeline in seconds

StyleGAN2 (Karras et al. 2020) at 32x32 on Fashion-MNIST zero-padded from
28x28: 8-layer mapping network (z, W: 128-d, learning rate x0.01), synthesis
from a learned 4x4 constant with modulated/demodulated convolutions, noise
inputs and skip toRGB outputs (128 channels at 4-8x8, 64 at 16x16, 32 at
32x32), residual discriminator with minibatch stddev, non-saturating
logistic loss, style mixing 0.9, lazy R1 (gamma 0.01 as StyleGAN2-ADA's
CIFAR setting, every 16 steps), Adam(0.0025, 0, 0.99) with D's rate and
beta_2 corrected for the lazy interval, EMA 0.998 (a 10k-image half-life
at batch 32, as StyleGAN2-ADA). `time_limit_minutes` caps the run on a
2-core CPU (about 0.3-0.5 s per step); a GPU run should drop it.
"""

from keras_gan_zoo.training import main

LAZY = 16 / 17  # StyleGAN2 appendix B: lr and beta_2 of D scaled by interval / (interval + 1)

RECIPE = {
    "preset": "stylegan-fashion-mnist",
    "recipe_file": "stylegan_fashion_mnist.py",
    "dataset": "fashion_mnist",
    "dataset_args": {"image_size": 32},
    "model_class": "StyleGAN",
    "model": {
        "latent_dim": 128, "w_dim": 128, "image_size": 32, "channels": 1, "width": 32,
        "max_width": 128, "mapping_layers": 8, "mapping_lr_multiplier": 0.01,
        "style_mixing_prob": 0.9, "r1_gamma": 0.01, "r1_interval": 16, "mbstd_group_size": 4,
        "ema_decay": 0.998,
    },
    "loss": "non_saturating",
    "optimizer": {"d_learning_rate": 0.0025 * LAZY, "g_learning_rate": 0.0025,
                  "beta_1": 0.0, "beta_2": 0.99 ** LAZY},
    "batch_size": 32,
    "epochs": 20,
    "time_limit_minutes": 65,
    "fid_images": 0,  # measured by `keras-gan-zoo evaluate` and benchmarks/truncation_sweep.py
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
