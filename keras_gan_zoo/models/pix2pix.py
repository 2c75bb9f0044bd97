"""pix2pix (Isola, Zhu, Zhou & Efros 2017): paired image-to-image translation."""


import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import cards, tasks, validation
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN
from keras_gan_zoo.layers import build_patch_discriminator, gan_normal, power_of_two_depth


def build_unet_generator(image_size, in_channels, out_channels, width=64, max_width=512,
                         dropout_layers=3, name="generator"):
    """U-Net: stride-2 conv encoder down to 1x1, a mirrored transposed-conv
    decoder, and a skip connection from each encoder level to the decoder
    level of the same resolution. Dropout (0.5) in the first
    `dropout_layers` decoder blocks is pix2pix's noise source."""
    depth = power_of_two_depth(image_size)
    images = keras.Input((image_size, image_size, in_channels), name="images")
    x = images
    skips = []
    for i in range(depth):
        x = layers.Conv2D(min(width * 2**i, max_width), 4, strides=2, padding="same",
                          use_bias=False, kernel_initializer=gan_normal())(x)
        # No norm on the first layer (Isola et al.) or on the 1x1 bottleneck.
        if 0 < i < depth - 1:
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x) if i < depth - 1 else layers.ReLU()(x)
        skips.append(x)
    for i in reversed(range(depth - 1)):
        x = layers.Conv2DTranspose(min(width * 2**i, max_width), 4, strides=2, padding="same",
                                   use_bias=False, kernel_initializer=gan_normal())(x)
        x = layers.BatchNormalization()(x)
        if depth - 2 - i < dropout_layers:
            x = layers.Dropout(0.5)(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate()([x, skips[i]])
    x = layers.Conv2DTranspose(out_channels, 4, strides=2, padding="same",
                               kernel_initializer=gan_normal())(x)
    outputs = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(images, outputs, name=name)


def paired_translation_lines(result, baselines):
    """Model-card table of held-out paired-translation figures (and baselines)."""
    if not result:
        return []
    rows = [("line art input, unchanged", {
        "l1": result["input_l1"], "ssim": result["input_ssim"], "fid": result["input_vs_target"],
        "sharpness": None})]
    for name, other in baselines.items():
        rows.append((other.get("label", name), {
            "l1": other["l1"], "ssim": other["ssim"], "fid": other["translated_vs_target"],
            "sharpness": other.get("sharpness_ratio")}))
    rows.append(("**this preset**", {
        "l1": result["l1"], "ssim": result["ssim"], "fid": result["translated_vs_target"],
        "sharpness": result.get("sharpness_ratio")}))
    sharp = lambda v: "" if v is None else f"{v:.3f}"
    lines = [
        f"Held-out pairs: {result['num_test']} emoji never seen in training. L1 in pixel units "
        "([0, 1]), SSIM (Gaussian 11x11), FID/KID of the outputs against the real colour "
        "emoji (a few hundred images: FID is biased upwards, KID is unbiased; compare rows). "
        "Sharpness: mean neighbouring-pixel difference of the outputs over that of the targets "
        "(1 = as sharp as the real emoji; blur lowers it).",
        "",
        "| outputs | L1 (lower is better) | SSIM (higher) | FID (lower) | KID (lower) | sharpness |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {r['l1']:.4f} | {r['ssim']:.4f} | {cards.fid_kid_cell(r['fid'])} | "
              f"{sharp(r['sharpness'])} |" for name, r in rows]
    lines += ["", f"- {cards.command_line(result)}"]
    return lines


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class Pix2Pix(ImageGAN):
    """pix2pix: a U-Net generator with skip connections and a PatchGAN
    discriminator on (input, output) pairs; loss = cGAN + lambda * L1.

    `fit(inputs, targets)` trains on aligned pairs; `translate(images)`
    maps inputs to outputs. With `adversarial_weight=0` only the L1 term is
    trained (the discriminator is frozen): the baseline the paper compares
    against.

    Args:
        image_size: height = width, a power of two (>= 8).
        in_channels, out_channels: 1 or 3.
        width: channels of the first generator/discriminator layer.
        max_width: channel cap of the generator.
        d_layers: stride-2 layers of the PatchGAN (3 -> 70x70 patches).
        l1_weight: lambda of the L1 term (100 in the paper).
        adversarial_weight: weight of the cGAN term (1; 0 = L1 only).

    Example:

    >>> model = kgz.Pix2Pix(image_size=16, width=4)
    >>> model.compile()
    >>> model.fit(line_art, colour, batch_size=8, epochs=1)   # uint8 (N, 16, 16, 3) each
    >>> model.translate(line_art[:2]).shape
    (2, 16, 16, 3)
    """

    task = tasks.PAIRED_IMAGE_TO_IMAGE
    card_usage = ("colour = model.translate(line_art)  # uint8 (N, 64, 64, 3) in and out",
                  "model.fit(my_inputs, my_targets, epochs=5)  # aligned pairs; the discriminator ships too")
    card_weights = "the U-Net generator and the PatchGAN discriminator"
    default_dataset = "openmoji_line2color"
    tiny_config = {"image_size": 16, "width": 4, "max_width": 8, "d_layers": 2}

    def __init__(self, image_size=256, in_channels=3, out_channels=3, width=64, max_width=512,
                 d_layers=3, l1_weight=100.0, adversarial_weight=1.0, ema_decay=None, seed=None,
                 **kwargs):
        super().__init__(ema_decay=ema_decay, seed=seed, **kwargs)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value not in (1, 3):
                raise ValueError(f"{name} must be 1 or 3; got {value}")
        if float(l1_weight) < 0 or float(adversarial_weight) < 0:
            raise ValueError("l1_weight and adversarial_weight must be >= 0")
        self.image_size = int(image_size)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.width, self.max_width, self.d_layers = int(width), int(max_width), int(d_layers)
        self.l1_weight, self.adversarial_weight = float(l1_weight), float(adversarial_weight)
        self.input_shape_ = (self.image_size, self.image_size, self.in_channels)
        self.output_shape_ = (self.image_size, self.image_size, self.out_channels)
        self.generator = self._build_generator("generator")
        self.discriminator = build_patch_discriminator(
            self.image_size, self.in_channels + self.out_channels, self.width, self.d_layers
        )
        if self.adversarial_weight == 0:
            self.discriminator.trainable = False
        self.ema_generator = self.build_ema_generator()
        self.built = True

    def _build_generator(self, name):
        return build_unet_generator(self.image_size, self.in_channels, self.out_channels,
                                    self.width, self.max_width, name=name)

    # ---- the game ----------------------------------------------------
    def players(self):
        generator = Player("g", self.generator_loss, self.generator.trainable_variables)
        if self.adversarial_weight == 0:
            return [generator]
        return [Player("d", self.discriminator_loss, self.discriminator.trainable_variables,
                       role="discriminator"),
                generator]

    def prepare_batch(self, data):
        return self.image_pair_batch(
            data, ("inputs", self.input_shape_, "inputs"), ("targets", self.output_shape_, "targets"),
            needs="Pix2Pix trains on pairs: fit(inputs, targets) or yield (inputs, targets).")

    def discriminator_loss(self, batch):
        inputs, targets = batch["inputs"], batch["targets"]
        fakes = ops.stop_gradient(self.generator(inputs, training=True))
        # The discriminator reads (input, output) pairs: one augmentation draw
        # transforms both halves of a pair alike.
        return self.adversarial_d_loss(self._discriminate, ops.concatenate([inputs, targets], -1),
                                       ops.concatenate([inputs, fakes], -1))

    def _discriminate(self, pairs):
        return self.discriminator(pairs, training=True)

    def generator_loss(self, batch):
        inputs, targets = batch["inputs"], batch["targets"]
        fakes = self.generator(inputs, training=True)
        loss = self.l1_weight * ops.mean(ops.abs(fakes - targets))
        if self.adversarial_weight:
            adversarial = self.adversarial_g_loss(self._discriminate, ops.concatenate([inputs, fakes], -1))
            loss = loss + self.adversarial_weight * adversarial
        return loss

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=16, seed=0, columns=None, inputs=None, **options):
        """The first `num` held-out inputs over their translations, or your
        own `inputs` (image files or folders, or an image array)."""
        self.reject_options(type(self).__name__, options)
        inputs, which = self.showcase_inputs(inputs, lambda: self.held_out_data()[0], self.input_shape_, num)
        columns = columns or min(8, len(inputs))
        return tasks.Showcase(images=self.pairs_grid(inputs, self.translate(inputs), columns), columns=columns,
                              summary=f"{which} inputs (rows) over their translations")

    @classmethod
    def headline(cls, metrics):
        result = metrics.get("translation")
        if not result:
            return None
        return f"held-out L1 {result['l1']:.4f}, SSIM {result['ssim']:.3f}"

    @classmethod
    def card_sections(cls, metrics):
        return paired_translation_lines(metrics.get("translation"), metrics.get("baselines", {}))

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        rng = np.random.default_rng(seed)
        return (rng.integers(0, 256, (num,) + model.input_shape_).astype("uint8"),
                rng.integers(0, 256, (num,) + model.output_shape_).astype("uint8"))

    # ---- translation -------------------------------------------------
    def translate(self, images, batch_size=64, use_ema=True, output="uint8"):
        """Translates input images (uint8 in [0, 255] or floats in [-1, 1],
        `(N, image_size, image_size, in_channels)`). Dropout is off, so the
        output is deterministic and identical on every backend."""
        x = validation.check_images(images, self.input_shape_)
        generator = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        return self.predict_images(generator, x, batch_size=batch_size, output=output)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def validate_fit_data(self, x, y=None):
        if y is None:
            raise ValueError("Pix2Pix.fit needs pairs: fit(inputs, targets).")
        x = validation.check_images(x, self.input_shape_, name="inputs")
        y = validation.check_images(y, self.output_shape_, name="targets")
        if len(x) != len(y):
            raise ValueError(f"got {len(x)} inputs but {len(y)} targets: pix2pix needs aligned pairs")
        return x, y

    def get_config(self):
        config = super().get_config()
        config.update({
            "image_size": self.image_size, "in_channels": self.in_channels,
            "out_channels": self.out_channels, "width": self.width, "max_width": self.max_width,
            "d_layers": self.d_layers, "l1_weight": self.l1_weight,
            "adversarial_weight": self.adversarial_weight,
        })
        return config
