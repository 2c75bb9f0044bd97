"""CycleGAN (Zhu, Park, Isola & Efros 2017): unpaired image-to-image translation."""

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import cards, gradients, tasks
from keras_gan_zoo.datasets import UnpairedBatches
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN
from keras_gan_zoo import validation
from keras_gan_zoo.layers import build_patch_discriminator, gan_normal, power_of_two_depth

DIRECTIONS = ("a2b", "b2a")


def check_direction(direction):
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}; got {direction!r}")


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ReflectionPadding2D(layers.Layer):
    """Pads height and width by mirroring the border (no zero frame)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        grow = lambda d: None if d is None else d + 2 * self.padding
        return (n, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _instance_norm():
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def _conv_block(x, filters, kernel, strides=1, activation=True):
    if kernel > 1 and strides == 1:
        x = ReflectionPadding2D(kernel // 2)(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                      kernel_initializer=gan_normal())(x)
    x = _instance_norm()(x)
    return layers.ReLU()(x) if activation else x


UPSAMPLING = ("transpose", "resize")


def build_resnet_generator(image_size, channels=3, width=64, num_blocks=9, num_down=2,
                           upsample="transpose", name="generator"):
    """Zhu et al.'s generator: c7s1-w, `num_down` stride-2 convs, `num_blocks`
    residual blocks, `num_down` upsampling convs, c7s1-channels + tanh;
    instance norm and reflection padding throughout.

    `upsample="transpose"` uses the paper's stride-2 transposed convs;
    `"resize"` a nearest-neighbour x2 resize then a 3x3 conv (Odena et al.
    2016), which cannot draw the checkerboard pattern that uneven kernel
    overlap gives transposed convs."""
    if upsample not in UPSAMPLING:
        raise ValueError(f"upsample must be one of {UPSAMPLING}; got {upsample!r}")
    power_of_two_depth(image_size, min_size=2 ** (num_down + 1))
    images = keras.Input((image_size, image_size, channels), name="images")
    x = _conv_block(images, width, 7)
    for i in range(num_down):
        x = _conv_block(x, width * 2 ** (i + 1), 3, strides=2)
    for _ in range(num_blocks):
        y = _conv_block(x, ops.shape(x)[-1], 3)
        y = _conv_block(y, ops.shape(x)[-1], 3, activation=False)
        x = layers.Add()([x, y])
    for i in reversed(range(num_down)):
        if upsample == "resize":
            x = layers.UpSampling2D(2, interpolation="nearest")(x)
            x = _conv_block(x, width * 2**i, 3)
        else:
            x = layers.Conv2DTranspose(width * 2**i, 3, strides=2, padding="same", use_bias=False,
                                       kernel_initializer=gan_normal())(x)
            x = layers.ReLU()(_instance_norm()(x))
    x = ReflectionPadding2D(3)(x)
    x = layers.Conv2D(channels, 7, padding="valid", kernel_initializer=gan_normal())(x)
    outputs = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(images, outputs, name=name)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class CycleGAN(ImageGAN):
    """CycleGAN: two ResNet generators (A->B, B->A), two PatchGAN
    discriminators, least-squares GAN loss, cycle-consistency loss and
    identity loss, and a history pool of generated images for the
    discriminators (Shrivastava et al. 2017).

    Four optimizers: `g_ab_optimizer`, `g_ba_optimizer` (both generators
    descend the one joint generator loss, each with its own Adam),
    `d_a_optimizer`, `d_b_optimizer`. `fit(images_a, images_b)` takes two
    unpaired sets of any lengths (reshuffled independently every epoch).

    Args:
        image_size: height = width, a power of two.
        channels: 1 or 3 (both domains).
        width: channels of the first generator and discriminator layer.
        num_blocks: residual blocks (9 in the paper at 256 px, 6 at 128 px).
        d_layers: stride-2 layers of the PatchGAN.
        cycle_weight: lambda of the cycle loss (10).
        identity_weight: identity loss weight, relative to `cycle_weight` (0.5).
        pool_size: generated images kept per domain for the discriminators (50).
        upsample: the generators' upsampling, `"transpose"` (the paper's
            transposed convs) or `"resize"` (nearest x2 then a conv: no
            checkerboard artefacts).

    Example:

    >>> model = kgz.CycleGAN(image_size=16, width=4, num_blocks=1)
    >>> model.compile()
    >>> model.fit(openmoji_images, noto_images, batch_size=4, epochs=1)
    >>> model.translate(openmoji_images[:2], direction="a2b").shape
    (2, 16, 16, 3)
    """

    task = tasks.UNPAIRED_IMAGE_TO_IMAGE
    card_usage = ('noto_style = model.translate(openmoji_images, direction="a2b")',
                  "model.fit(my_images_a, my_images_b, epochs=5)  # unpaired; both discriminators ship")
    card_weights = "both generators, both PatchGAN discriminators and the history pools"
    default_dataset = "openmoji_noto"
    tiny_config = {"image_size": 16, "width": 4, "num_blocks": 1, "d_layers": 2, "pool_size": 6}

    default_loss = "least_squares"

    def __init__(self, image_size=256, channels=3, width=64, num_blocks=9, d_layers=3,
                 cycle_weight=10.0, identity_weight=0.5, pool_size=50, upsample="transpose",
                 seed=None, **kwargs):
        kwargs.pop("ema_decay", None)  # CycleGAN keeps no EMA copy
        super().__init__(ema_decay=None, seed=seed, **kwargs)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels}")
        if int(pool_size) < 0:
            raise ValueError(f"pool_size must be >= 0; got {pool_size}")
        self.image_size, self.channels = int(image_size), int(channels)
        self.width, self.num_blocks, self.d_layers = int(width), int(num_blocks), int(d_layers)
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.pool_size = int(pool_size)
        self.upsample = upsample  # checked by build_resnet_generator
        self.image_shape = (self.image_size, self.image_size, self.channels)
        build_g = lambda name: build_resnet_generator(
            self.image_size, self.channels, self.width, self.num_blocks, upsample=self.upsample,
            name=name)
        build_d = lambda name: build_patch_discriminator(
            self.image_size, self.channels, self.width, self.d_layers, norm="instance", name=name)
        self.generator_ab, self.generator_ba = build_g("generator_ab"), build_g("generator_ba")
        self.discriminator_a, self.discriminator_b = build_d("discriminator_a"), build_d("discriminator_b")
        # History pools: the last `pool_size` generated images of each domain
        # (state variables, so they are saved, restored and carried on JAX).
        pool_shape = (max(self.pool_size, 1),) + self.image_shape
        self.pool_a = self.add_weight(shape=pool_shape, initializer="zeros", trainable=False,
                                      name="pool_a")
        self.pool_b = self.add_weight(shape=pool_shape, initializer="zeros", trainable=False,
                                      name="pool_b")
        self.pool_count = self.add_weight(shape=(), initializer="zeros", dtype="int32",
                                          trainable=False, name="pool_count")
        self.built = True

    # ---- the game ----------------------------------------------------
    def players(self):
        return [
            Player("g", self.generator_loss, {
                "g_ab": self.generator_ab.trainable_variables,
                "g_ba": self.generator_ba.trainable_variables,
            }),
            Player("d_a", self.discriminator_a_loss, self.discriminator_a.trainable_variables,
                   role="discriminator"),
            Player("d_b", self.discriminator_b_loss, self.discriminator_b.trainable_variables,
                   role="discriminator"),
        ]

    def prepare_batch(self, data):
        return self.image_pair_batch(
            data, ("a", self.image_shape, "domain A images"), ("b", self.image_shape, "domain B images"),
            needs="CycleGAN trains on two domains: fit(images_a, images_b) or yield (a, b).")

    def generator_loss(self, batch):
        real_a, real_b = batch["a"], batch["b"]
        fake_b = self.generator_ab(real_a, training=True)
        fake_a = self.generator_ba(real_b, training=True)
        adversarial = (self.adversarial_g_loss(lambda x: self.discriminator_b(x, training=True), fake_b)
                       + self.adversarial_g_loss(lambda x: self.discriminator_a(x, training=True), fake_a))
        cycle = (ops.mean(ops.abs(self.generator_ba(fake_b, training=True) - real_a))
                 + ops.mean(ops.abs(self.generator_ab(fake_a, training=True) - real_b)))
        loss = adversarial + self.cycle_weight * cycle
        if self.identity_weight:
            identity = (ops.mean(ops.abs(self.generator_ab(real_b, training=True) - real_b))
                        + ops.mean(ops.abs(self.generator_ba(real_a, training=True) - real_a)))
            loss = loss + self.cycle_weight * self.identity_weight * identity
        return loss

    def _from_pool(self, pool, fakes):
        """Shrivastava et al.'s history: each generated image is shown to the
        discriminator as is (p = 0.5) or swapped with a random stored one,
        which then takes its place in the pool. The pool fills first."""
        if self.pool_size == 0:
            return fakes
        n = ops.shape(fakes)[0]
        count = ops.convert_to_tensor(self.pool_count.value)
        full = ops.greater_equal(count, self.pool_size)
        slots = keras.random.randint((n,), 0, self.pool_size, seed=self.seed_generator)
        fill_slots = ops.mod(count + ops.arange(n, dtype="int32"), self.pool_size)
        slots = ops.where(full, slots, fill_slots)
        swap = ops.logical_and(
            full, keras.random.uniform((n,), seed=self.seed_generator) < 0.5)
        stored = ops.take(pool.value, slots, axis=0)
        shown = ops.where(swap[:, None, None, None], stored, fakes)
        # Writes: while filling, every image goes in; when full, the swapped ones.
        write = ops.logical_or(ops.logical_not(full), swap)
        new_rows = ops.where(write[:, None, None, None], fakes, stored)
        pool.assign(ops.scatter_update(pool.value, slots[:, None], new_rows))
        return shown

    def _discriminator_loss(self, discriminator, real, fake):
        return 0.5 * self.adversarial_d_loss(lambda x: discriminator(x, training=True), real, fake)

    def discriminator_a_loss(self, batch):
        fake_a = ops.stop_gradient(self.generator_ba(batch["b"], training=True))
        return self._discriminator_loss(self.discriminator_a, batch["a"],
                                        self._from_pool(self.pool_a, fake_a))

    def discriminator_b_loss(self, batch):
        fake_b = ops.stop_gradient(self.generator_ab(batch["a"], training=True))
        fake_b = self._from_pool(self.pool_b, fake_b)
        # Both pools have received this batch: advance the shared fill count.
        self.pool_count.assign(ops.minimum(self.pool_count.value + ops.shape(fake_b)[0],
                                           self.pool_size))
        return self._discriminator_loss(self.discriminator_b, batch["b"], fake_b)

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=16, seed=0, columns=None, direction="a2b", inputs=None, **options):
        """The first `num` held-out images of the source domain over their
        translations, or your own `inputs` (image files or folders, or an
        image array) of the `direction`'s source domain."""
        self.reject_options(type(self).__name__, options)
        check_direction(direction)
        inputs, which = self.showcase_inputs(
            inputs, lambda: self.held_out_data()[0 if direction == "a2b" else 1], self.image_shape, num)
        columns = columns or min(8, len(inputs))
        return tasks.Showcase(images=self.pairs_grid(inputs, self.translate(inputs, direction=direction), columns),
                              columns=columns, summary=f"{which} images (rows) over their {direction} translations")

    @classmethod
    def headline(cls, metrics):
        result = metrics.get("translation")
        if not result:
            return None
        return (f"held-out FID(G(A), B) {result['translated_a2b_vs_b']['fid']:.1f} vs "
                f"FID(A, B) {result['a_vs_b']['fid']:.1f}")

    @classmethod
    def card_sections(cls, metrics):
        result = metrics.get("translation")
        if not result:
            return []
        return [
            f"Held-out emoji: {result['num_test_a']} in domain A, {result['num_test_b']} in domain B "
            "(FID on a few hundred images is biased upwards; KID is unbiased; compare rows).",
            "",
            "| images compared | FID | KID |",
            "|---|---|---|",
            f"| A vs B (no translation) | {cards.fid_kid_cell(result['a_vs_b'])} |",
            f"| G_ab(A) vs B | {cards.fid_kid_cell(result['translated_a2b_vs_b'])} |",
            f"| G_ba(B) vs A | {cards.fid_kid_cell(result['translated_b2a_vs_a'])} |",
            "",
            f"- {cls.reduction_line(result['a2b_fid_reduction'])} (goal: cut it by at least 50%).",
            f"- Cycle reconstruction L1 (pixel units in [0, 1]): A->B->A {result['cycle_l1_a']:.4f}, "
            f"B->A->B {result['cycle_l1_b']:.4f}.",
            f"- {cards.command_line(result)}",
        ]

    @staticmethod
    def reduction_line(reduction):
        """What translation did to FID(A, B), in words that read right either way."""
        if reduction >= 0:
            return f"Translation A->B cuts FID by {cards.pct(reduction)}"
        return (f"Translation A->B raises FID by {cards.pct(-reduction)} (the translated images lie further "
                "from B than the untranslated ones)")

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        rng = np.random.default_rng(seed)
        return tuple(rng.integers(0, 256, (num,) + model.image_shape).astype("uint8") for _ in range(2))

    # ---- translation -------------------------------------------------
    def translate(self, images, direction="a2b", batch_size=64, output="uint8"):
        """Translates images from domain A to B (`"a2b"`) or B to A (`"b2a"`).

        Args:
            images: uint8 in [0, 255] or floats in [-1, 1],
                `(N, image_size, image_size, channels)`.
            direction: `"a2b"` or `"b2a"`.
        """
        check_direction(direction)
        x = validation.check_images(images, self.image_shape)
        generator = self.generator_ab if direction == "a2b" else self.generator_ba
        return self.predict_images(generator, x, batch_size=batch_size, output=output)

    def call(self, inputs, training=False):
        return self.generator_ab(inputs, training=training)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, shuffle=True, seed=None, **kwargs):
        """`keras.Model.fit`; two numpy sets (any lengths) are drawn as
        unpaired batches, each reshuffled every epoch (`UnpairedBatches`;
        all epochs' batches are drawn up front, so that TensorFlow gathers
        them inside its input pipeline: see `gradients.fit_input`).

        Example:

        >>> model.fit(images_a, images_b, batch_size=8, epochs=10)
        >>> model.fit((images_a, images_b), batch_size=8)  # the same
        """
        self._compile_if_needed(stacklevel=3)
        if y is None and isinstance(x, (tuple, list)) and len(x) == 2 and all(
                isinstance(images, np.ndarray) for images in x):
            x, y = x  # the two domains as one tuple (Keras would read them as paired inputs)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if x is None or y is None:
                raise ValueError(
                    f"CycleGAN trains on two unpaired domains; got only domain "
                    f"{'A' if y is None else 'B'}'s images. Pass both: model.fit(images_a, "
                    f"images_b) or model.fit((images_a, images_b)); their lengths may differ.")
            x = validation.check_images(x, self.image_shape, name="domain A images")
            y = validation.check_images(y, self.image_shape, name="domain B images")
            batches = UnpairedBatches(x, y, batch_size=batch_size or 32, shuffle=shuffle,
                                      seed=self.seed if seed is None else seed)
            kwargs.setdefault("steps_per_epoch", len(batches))
            epochs_drawn = -(-kwargs["steps_per_epoch"] * epochs // len(batches))
            x, y = gradients.fit_input(batches.schedule(epochs_drawn)), None
            batch_size = None
            kwargs["shuffle"] = False  # (Keras would reorder the batches of a PyDataset)
        return super().fit(x, y, batch_size=batch_size, epochs=epochs, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("ema_decay", None)
        config.update({
            "image_size": self.image_size, "channels": self.channels, "width": self.width,
            "num_blocks": self.num_blocks, "d_layers": self.d_layers,
            "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
            "pool_size": self.pool_size, "upsample": self.upsample,
        })
        return config
