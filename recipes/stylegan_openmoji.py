"""Recipe for the `stylegan-openmoji` preset: unconditional 64x64 colour emoji.

    python recipes/stylegan_openmoji.py            # full run (writes weights/stylegan-openmoji)
    python recipes/stylegan_openmoji.py --smoke    # the same pipeline in seconds

The stylegan-fashion-mnist network and game on OpenMoji colour emoji rendered
at 64x64 on white (4,066 training emoji; the 428 held-out emoji are the FID
reference): one more resolution, RGB output, channels 16 at 64x64 doubling to
128 at 8x8 and 4x4 (a CPU-sized network), batch 16, EMA 0.995 (10k-image
half-life at batch 16 is 0.9989; shorter here because the CPU run is only a
few thousand steps). `time_limit_minutes` caps the CPU run.
"""

from keras_gan_zoo.training import main, variant
from stylegan_fashion_mnist import RECIPE as FASHION_RECIPE

RECIPE = variant(
    FASHION_RECIPE,
    model={"image_size": 64, "channels": 3, "width": 16, "max_width": 128, "ema_decay": 0.995},
    preset="stylegan-openmoji", recipe_file="stylegan_openmoji.py", dataset="openmoji",
    dataset_args={"image_size": 64}, batch_size=16, time_limit_minutes=30,
)

if __name__ == "__main__":
    main(RECIPE)
