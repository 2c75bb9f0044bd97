"""Recipe for the `progan-mnist` preset: ProGAN grown 4x4 -> 8x8 -> 16x16 -> 32x32 on MNIST.

    python recipes/progan_mnist.py            # full run (writes weights/progan-mnist)
    python recipes/progan_mnist.py --smoke    # the same pipeline in seconds

Progressive growing (Karras et al. 2018) on the 60,000 MNIST training digits
zero-padded to 32x32: one stage per resolution, each new block faded in
over the first half of its stage (the paper's 800k-image fade and 800k-image
stabilisation, shortened to fit a 2-core CPU), WGAN-GP (lambda 10) with the
drift term 0.001, Adam(0.001, 0, 0.99), batch 64, pixel norm, minibatch
stddev, equalised learning rate, EMA generator. Widths 128 at 4x4-8x8, 64 at
16x16, 32 at 32x32. The low resolutions are cheap, so most of the wall-clock
budget goes to the final level (its time limits): stage 4 fades the 32x32
block in, stage 5 keeps training at 32x32.
"""

from keras_gan_zoo.training import main

BATCH = 64
EPOCH = 60000 // BATCH  # steps in one pass over the training digits


def _stage(level, epochs, fade, minutes=None, label=None, stage=None):
    size = 4 * 2**level
    label = label or f"{size}x{size}" + (f", faded in over {fade:,} steps" if fade else "")
    return {"stage": stage or level + 1, "label": label, "compile": {"level": level, "fade_steps": fade},
            "epochs": epochs, **({"time_limit_minutes": minutes} if minutes else {})}


RECIPE = {
    "preset": "progan-mnist",
    "recipe_file": "progan_mnist.py",
    "dataset": "mnist",
    "dataset_args": {"image_size": 32},
    "model_class": "ProGAN",
    "model": {"latent_dim": 128, "image_size": 32, "channels": 1, "width": 32, "max_width": 128,
              "ema_decay": 0.999, "ema_warmup": True},
    "loss": "wgan_gp",
    "optimizer": {"d_learning_rate": 1e-3, "g_learning_rate": 1e-3, "beta_1": 0.0, "beta_2": 0.99},
    "batch_size": BATCH,
    "epochs": 1,
    "stages": [_stage(0, 1, 0), _stage(1, 1, EPOCH // 2), _stage(2, 2, EPOCH // 2, minutes=15),
               _stage(3, 8, EPOCH // 2, minutes=35),
               # Stabilisation at the final resolution with fresh optimizers:
               # where the rest of the budget goes (`--from-stage 5` continues
               # a run that finished stage 4).
               _stage(3, 200, 0, minutes=75, label="32x32, stabilisation continued", stage=5)],
    "fid_images": 0,  # measured by `keras-gan-zoo evaluate progan-mnist`
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
