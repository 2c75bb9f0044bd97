"""Ablation of `stylegan-openmoji`: the same recipe and wall-clock budget
without augmentation (not shipped; written to runs/).

    python recipes/stylegan_openmoji_no_augment.py
"""

from keras_gan_zoo.training import main, variant
from stylegan_openmoji import RECIPE as AUGMENTED

RECIPE = variant(AUGMENTED, preset="stylegan-openmoji-no-augment",
                 recipe_file="stylegan_openmoji_no_augment.py", augment=None, ship=False)

if __name__ == "__main__":
    main(RECIPE)
