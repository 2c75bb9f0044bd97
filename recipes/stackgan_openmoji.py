"""The first recipe of the `stackgan-openmoji` preset: captions -> 64x64 -> 128x128 emoji.

    python recipes/stackgan_openmoji.py            # full run (writes runs/stackgan-openmoji/preset)
    python recipes/stackgan_openmoji.py --smoke    # the same pipeline in seconds

The shipped preset now comes from `stackgan_openmoji_projection_ca_full.py`,
this recipe with a projection discriminator and DiffAugment in stage II
(held-out R-precision 32.6% against this recipe's 15.0%, FID 168.0 against
183.5; benchmarks/RESULTS.md). This one stays as the base the ablations
change one thing of, and as the paper's StackGAN.

StackGAN (Zhang et al. 2017) on OpenMoji colour emoji with their Unicode
names as captions (3,329 training emoji; the 335 held-out emoji are never
trained on). Each training emoji appears twice, once with its name ("red
heart") and once with its name and subgroup ("red heart, heart"). The
captions go through the frozen all-MiniLM-L6-v2 encoder (384-d).

Stage I: z (100) + condition (128, conditioning augmentation with KL weight
1, the embedding scaled by sqrt(384) first) -> 64x64, 256 channels at 4x4
halving to 32; stage II: the stage-I image encoded to 16x16 with the stage-II condition, 2 residual blocks, upsampled
to 128x128 (64 channels at 16x16 halving to 8). Matching-aware spectral-norm
discriminators per stage, non-saturating loss, Adam(2e-4, 0.5, 0.999) as the
paper, EMA 0.999 with warm-up. The stages train one after the other, each
for a fixed number of epochs sized for a 2-core CPU (a GPU run should raise
them: the paper trains each stage for 600 epochs).
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "stackgan-openmoji",
    "recipe_file": "stackgan_openmoji.py",
    "dataset": "openmoji_captions",
    "dataset_args": {"image_size": 64, "caption_style": "both"},
    "fit_targets": True,
    "model_class": "StackGAN",
    "model": {
        "latent_dim": 100, "cond_dim": 128, "stage1_size": 64, "stage2_size": 128,
        "num_stages": 2, "channels": 3, "width": 32, "stage2_width": 16,
        "conditioning_augmentation": True, "kl_weight": 1.0,
        "ema_decay": 0.999, "ema_warmup": True,
    },
    "loss": "non_saturating",
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "batch_size": 32,
    "epochs": 12,
    "stages": [
        {"stage": 1, "dataset_args": {"image_size": 64, "caption_style": "both"}, "epochs": 40,
         "batch_size": 32, "time_limit_minutes": 40},
        {"stage": 2, "dataset_args": {"image_size": 128, "caption_style": "both"}, "epochs": 20,
         "batch_size": 16, "time_limit_minutes": 25},
    ],
    "fid_images": 0,  # measured by benchmarks/stackgan_openmoji_eval.py
    "seed": 0,
    "ship": False,  # the shipped preset's recipe is stackgan_openmoji_projection_ca_full.py
}

if __name__ == "__main__":
    main(RECIPE)
