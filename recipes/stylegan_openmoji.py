"""Recipe for the `stylegan-openmoji` preset: unconditional 32x32 colour emoji.

    python recipes/stylegan_openmoji.py            # full run (writes weights/stylegan-openmoji)
    python recipes/stylegan_openmoji.py --smoke    # the same pipeline in seconds

The stylegan-fashion-mnist network and game on OpenMoji colour emoji rendered
at 32x32 on white (4,066 training emoji; the 428 held-out emoji are the FID
reference), RGB output, with DiffAugment (Zhao et al. 2020: colour,
translation and cutout on every image the discriminator sees, real and
generated): 4k images is the limited-data regime where the discriminator
memorises the training set and the generator collapses, as the earlier 64x64
preset did without augmentation (FID 222). 32x32 rather than 64x64 because
a 2-core CPU gets four times the steps per hour at a quarter of the pixels.
`recipes/stylegan_openmoji_no_augment.py` is the same run without
augmentation: the ablation at equal wall-clock budget.
"""

from keras_gan_zoo.training import main, variant
from stylegan_fashion_mnist import RECIPE as FASHION_RECIPE

RECIPE = variant(
    FASHION_RECIPE,
    model={"image_size": 32, "channels": 3, "width": 32, "max_width": 128, "ema_decay": 0.998,
           "ema_warmup": True},
    preset="stylegan-openmoji", recipe_file="stylegan_openmoji.py", dataset="openmoji",
    dataset_args={"image_size": 32}, batch_size=32, epochs=200, time_limit_minutes=80,
    augment="diffaugment",
)

if __name__ == "__main__":
    main(RECIPE)
