"""The L1-only baseline of `pix2pix-openmoji-line2color` (not shipped).

    python recipes/pix2pix_openmoji_l1_only.py     # writes runs/pix2pix-openmoji-l1-only/preset

The same network, data and schedule with the adversarial term switched off
(adversarial_weight=0), to measure what the cGAN term adds over L1 alone.
"""

from keras_gan_zoo.training import main, variant
from pix2pix_openmoji_line2color import RECIPE as FULL_RECIPE

RECIPE = variant(FULL_RECIPE, model={"adversarial_weight": 0.0}, preset="pix2pix-openmoji-l1-only",
                 recipe_file="pix2pix_openmoji_l1_only.py", ship=False)

if __name__ == "__main__":
    main(RECIPE)
