"""Recipe for the `pix2pix-openmoji-line2color` preset: OpenMoji line art -> colour.

    python recipes/pix2pix_openmoji_line2color.py            # full run (writes the preset)
    python recipes/pix2pix_openmoji_line2color.py --smoke    # the same pipeline in seconds

pix2pix (Isola et al. 2017) at 64x64: U-Net generator (6 levels, widths
32..128), PatchGAN discriminator with 2 stride-2 layers (34x34 patches: the
paper's 70x70 patch would see the whole 64x64 image), loss = cGAN + 100 * L1,
Adam(2e-4, 0.5). Held-out emoji (10%, all skin-tone variants of an emoji on
the same side) are never trained on. The L1-only baseline is
`recipes/pix2pix_openmoji_l1_only.py`.
"""

from keras_gan_zoo.training import main

RECIPE = {
    "preset": "pix2pix-openmoji-line2color",
    "recipe_file": "pix2pix_openmoji_line2color.py",
    "dataset": "openmoji_line2color",
    "dataset_args": {"image_size": 64},
    "fit_targets": True,
    "model_class": "Pix2Pix",
    "model": {"image_size": 64, "in_channels": 3, "out_channels": 3, "width": 32,
              "max_width": 128, "d_layers": 2, "l1_weight": 100.0, "adversarial_weight": 1.0},
    "loss": "non_saturating",
    "optimizer": {"d_learning_rate": 2e-4, "g_learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "batch_size": 16,
    "epochs": 12,
    "fid_images": 0,  # evaluated on the held-out pairs by `keras-gan-zoo evaluate`
    "seed": 0,
}

if __name__ == "__main__":
    main(RECIPE)
