"""Recipe for the `biggan-fashion-mnist` preset.

    python recipes/biggan_fashion_mnist.py            # full run (writes weights/biggan-fashion-mnist)
    python recipes/biggan_fashion_mnist.py --smoke    # the same pipeline in seconds
    python benchmarks/ema_vs_raw.py biggan-fashion-mnist --num 500 --num-reference 1000 --sync

BigGAN (Brock et al. 2019) at 32x32 on Fashion-MNIST zero-padded from 28x28
(the usual way to give MNIST-like sets a 4 * 2^k size): three residual
up-blocks 4 -> 32 with class-conditional batch norm fed by a shared class
embedding and a 30-d chunk of the 120-d z, self-attention at 16x16, spectral
norm in G and D, projection discriminator, hinge loss, 2 D steps per G step,
orthogonal regularisation 1e-4, Adam(beta_1=0, beta_2=0.999) at 2e-4 for both
players (the BigGAN authors' CIFAR settings), EMA 0.999. `time_limit_minutes`
caps the run on a 2-core CPU (about 1 s per step); a GPU run should drop it and
raise `epochs`. FID and class fidelity are measured on the 32x32 samples
against the equally padded test set (`keras-gan-zoo evaluate`), the
truncation sweep by `benchmarks/truncation_sweep.py`.

The EMA decay is constant here, so after the ~2,300 steps of the CPU run the
EMA generator still holds 0.999^2300 = 10% of the random initial weights; the
second command above measures EMA against raw generator and ships the better
one (the raw generator, for the shipped preset: see its card). A longer run
should add `"ema_warmup": True` to the model arguments instead.
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "biggan-fashion-mnist",
    "recipe_file": "biggan_fashion_mnist.py",
    "dataset": "fashion_mnist",
    "dataset_args": {"image_size": 32},
    "model_class": "BigGAN",
    "fit_targets": True,
    "model": {
        "num_classes": 10, "latent_dim": 120, "image_size": 32, "channels": 1, "width": 32,
        "embedding_dim": 128, "attention_resolution": 16, "orthogonal_weight": 1e-4,
        "d_steps": 2, "ema_decay": 0.999,
    },
    "loss": "hinge",
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.0, "beta_2": 0.999},
    "batch_size": 64,
    "epochs": 20,
    "time_limit_minutes": 60,
    "fid_images": 0,  # measured by `keras-gan-zoo evaluate` and benchmarks/truncation_sweep.py
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
