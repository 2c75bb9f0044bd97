"""An experiment, not a shipped preset: `cyclegan-openmoji-noto` at 32x32.

    python recipes/cyclegan_openmoji_noto_32.py     # writes runs/cyclegan-openmoji-noto-32/preset

The shipped recipe's network and game at 32x32 with resize-convolution
upsampling (nearest x2 then a conv, `upsample="resize"`, which cannot draw
transposed convolutions' checkerboard) and the paper's learning-rate
schedule (held for 15 epochs, then lowered linearly toward 0 over 15 more:
`lr_decay_start_epoch`), 30 epochs: a quarter of the pixels buys about five
times the epochs of the 64x64 run in a 100-minute CPU budget.

Measured (benchmarks/RESULTS.md): it did not beat the shipped 64x64 preset.
Its translations carry colour noise and lose small text, and translating
still raises FID against held-out Noto emoji (126.9 -> 146.6 at 32x32),
so the 64x64 preset stays shipped.
"""

from keras_gan_zoo.training import main, variant
from cyclegan_openmoji_noto import RECIPE as SHIPPED_RECIPE

RECIPE = variant(
    SHIPPED_RECIPE,
    model={"image_size": 32, "upsample": "resize"},
    preset="cyclegan-openmoji-noto-32", recipe_file="cyclegan_openmoji_noto_32.py",
    dataset_args={"image_size": 32}, epochs=30, lr_decay_start_epoch=15, time_limit_minutes=100,
    ship=False,
)

if __name__ == "__main__":
    main(RECIPE)
