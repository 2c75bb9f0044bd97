"""Recipe for the `cyclegan-openmoji-noto` preset: OpenMoji (A) <-> Noto Color Emoji (B).

    python recipes/cyclegan_openmoji_noto.py            # full run (writes the preset)
    python recipes/cyclegan_openmoji_noto.py --smoke    # the same pipeline in seconds

CycleGAN (Zhu et al. 2017) at 64x64: ResNet generators (2 downsamplings,
6 residual blocks, width 16 to fit a 2-core CPU budget; the paper uses 64),
PatchGAN discriminators with 2 stride-2 layers and instance norm,
least-squares loss, cycle weight 10, identity 0.5, history pool of 50,
Adam(2e-4, 0.5). The two sets are unpaired: each epoch reshuffles them
independently. Held-out emoji (the same code points in both sets) are
never trained on. `time_limit_minutes` caps the CPU run; the metadata
records where it stopped.
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "cyclegan-openmoji-noto",
    "recipe_file": "cyclegan_openmoji_noto.py",
    "dataset": "openmoji_noto",
    "dataset_args": {"image_size": 64},
    "fit_targets": True,
    "model_class": "CycleGAN",
    "model": {"image_size": 64, "channels": 3, "width": 16, "num_blocks": 6, "d_layers": 2,
              "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50},
    "loss": "least_squares",
    "optimizer": {"g_ab_learning_rate": 2e-4, "g_ba_learning_rate": 2e-4,
                  "d_a_learning_rate": 2e-4, "d_b_learning_rate": 2e-4,
                  "beta_1": 0.5, "beta_2": 0.999},
    "batch_size": 4,
    "epochs": 6,
    "time_limit_minutes": 70,
    "fid_images": 0,  # evaluated on the held-out emoji by `keras-gan-zoo evaluate`
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
