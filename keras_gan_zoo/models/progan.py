"""Progressive growing of GANs (Karras, Aila, Laine & Lehtinen 2018)."""

import math

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import tasks, validation
from keras_gan_zoo.layers import EqualizedConv2D, EqualizedDense, MinibatchStdDev
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN


def resolutions(image_size):
    """4, 8, ..., image_size: the resolution of each level."""
    levels = math.log2(image_size / 4) if image_size >= 4 else -1
    if levels != int(levels):
        raise ValueError(f"ProGAN needs image_size = 4 * 2^k (8, 16, 32, ...); got {image_size}")
    return [4 * 2**i for i in range(int(levels) + 1)]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class PixelNorm(layers.Layer):
    """ProGAN's pixelwise feature normalisation: each pixel's feature vector
    scaled to unit mean square (section 4.2), in place of batch norm."""

    def call(self, x):
        return x * ops.rsqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + 1e-8)


def _upsample(x):
    return layers.UpSampling2D(2, interpolation="nearest")(x)


def _fade(low, high, alpha):
    """`low + (high - low) * alpha`: a new block faded in linearly (section 3)."""
    return low + (high - low) * alpha[:, :, None, None]


def build_growing_generator(latent_dim, image_size, channels, width, max_width, name="generator"):
    """The generator's layers, wired twice: a full model with the image of
    every resolution as outputs (it holds every variable), and one model per
    level `[z, alpha] -> image at that level`, where the newest block is
    faded in over the upsampled image of the level below."""
    sizes = resolutions(image_size)
    channels_at = lambda r: min(width * image_size // r, max_width)
    first = [EqualizedDense(4 * 4 * channels_at(4), activation="lrelu", name=f"{name}_dense"),
             layers.Reshape((4, 4, channels_at(4))), PixelNorm(),
             EqualizedConv2D(channels_at(4), 3, activation="lrelu", name=f"{name}_conv_4"), PixelNorm()]
    blocks = {4: first}
    for r in sizes[1:]:
        blocks[r] = [layers.UpSampling2D(2, interpolation="nearest"),
                     EqualizedConv2D(channels_at(r), 3, activation="lrelu", name=f"{name}_conv0_{r}"),
                     PixelNorm(),
                     EqualizedConv2D(channels_at(r), 3, activation="lrelu", name=f"{name}_conv1_{r}"),
                     PixelNorm()]
    to_rgb = {r: EqualizedConv2D(channels, 1, name=f"{name}_to_rgb_{r}") for r in sizes}

    def run(block, x):
        for layer in block:
            x = layer(x)
        return x

    z = keras.Input((latent_dim,), name="latents")
    normalized = PixelNorm()(z)
    features, x = {}, normalized
    for r in sizes:
        x = run(blocks[r], x)
        features[r] = x
    full = keras.Model(z, [to_rgb[r](features[r]) for r in sizes], name=name)
    per_level = []
    for level, r in enumerate(sizes):
        z_in, alpha = keras.Input((latent_dim,), name="latents"), keras.Input((1,), name="alpha")
        x = PixelNorm()(z_in)
        for s in sizes[:level]:
            x = run(blocks[s], x)
        high = to_rgb[r](run(blocks[r], x))
        image = high if level == 0 else _fade(_upsample(to_rgb[sizes[level - 1]](x)), high, alpha)
        per_level.append(keras.Model([z_in, alpha], image, name=f"{name}_{r}x{r}"))
    return full, per_level


def build_growing_discriminator(image_size, channels, width, max_width, mbstd_group_size,
                                name="discriminator"):
    """The discriminator's layers, wired as a full model (one input and one
    logit per resolution, holding every variable) and one model per level
    `[image at that level, alpha] -> logit`, where the newest block is faded
    in over the image downsampled to the level below."""
    sizes = resolutions(image_size)
    channels_at = lambda r: min(width * image_size // r, max_width)
    from_rgb = {r: EqualizedConv2D(channels_at(r), 1, activation="lrelu", name=f"{name}_from_rgb_{r}")
                for r in sizes}
    blocks = {4: [MinibatchStdDev(mbstd_group_size),
                  EqualizedConv2D(channels_at(4), 3, activation="lrelu", name=f"{name}_conv_4"),
                  layers.Flatten(),
                  EqualizedDense(channels_at(4), activation="lrelu", name=f"{name}_dense"),
                  EqualizedDense(1, name=f"{name}_logit")]}
    for r in sizes[1:]:
        blocks[r] = [EqualizedConv2D(channels_at(r), 3, activation="lrelu", name=f"{name}_conv0_{r}"),
                     EqualizedConv2D(channels_at(r // 2), 3, activation="lrelu", name=f"{name}_conv1_{r}"),
                     layers.AveragePooling2D(2)]

    def run(block, x):
        for layer in block:
            x = layer(x)
        return x

    def down_from(r, x):
        for s in reversed([s for s in sizes if s <= r]):
            x = run(blocks[s], x)
        return x

    inputs = {r: keras.Input((r, r, channels), name=f"images_{r}") for r in sizes}
    full = keras.Model([inputs[r] for r in sizes], [down_from(r, from_rgb[r](inputs[r])) for r in sizes],
                       name=name)
    per_level = []
    for level, r in enumerate(sizes):
        images, alpha = keras.Input((r, r, channels), name="images"), keras.Input((1,), name="alpha")
        if level == 0:
            logit = down_from(r, from_rgb[r](images))
        else:
            low = from_rgb[sizes[level - 1]](layers.AveragePooling2D(2)(images))
            high = run(blocks[r], from_rgb[r](images))
            logit = down_from(sizes[level - 1], _fade(low, high, alpha))
        per_level.append(keras.Model([images, alpha], logit, name=f"{name}_{r}x{r}"))
    return full, per_level


class _LevelScorer(keras.layers.Layer):
    """ProGAN's scoring at one level as a trainable layer. It tracks only the
    level's discriminator: the resizing and the fade-in's alpha are functions
    of the model, kept as plain callables, so fine-tuning the layer moves no
    generator weight and no alpha."""

    def __init__(self, network, prepare, alpha_column):
        super().__init__(name="progan_level_scorer")
        self.network = network
        self._functions = (prepare, alpha_column)  # a tuple of methods: not tracked

    def call(self, images, training=False):
        prepare, alpha_column = self._functions
        x = prepare(images)
        return self.network([x, alpha_column(ops.shape(x)[0])], training=training)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ProGAN(ImageGAN):
    """Progressive growing of GANs (Karras et al. 2018).

    Training starts at 4x4 and adds a resolution at a time: each new
    generator and discriminator block is faded in with a linear `alpha`
    from 0 to 1 while the block below keeps working through an upsampled
    (generator) or downsampled (discriminator) path, and the real images are
    faded between the two resolutions the same way. Pixelwise feature
    normalisation in the generator, a minibatch standard deviation layer at
    the end of the discriminator, equalised learning rate in every layer,
    and the WGAN-GP loss with the drift term `drift * E[D(real)^2]`.

    `compile(level=k, fade_steps=n)` trains level k (resolution 4 * 2^k),
    fading its block in over the first n steps (0: no fade). A preset holds
    every level; `generate` samples at the model's current level (the last
    one, once grown), upsampled to `image_size` with nearest neighbours.

    Args:
        latent_dim: size of z.
        image_size: final resolution, 4 * 2^k.
        channels: 1 or 3.
        width: feature maps at full resolution, doubling as the resolution
            halves, capped at `max_width`.
        drift: weight of the drift term keeping D's outputs near 0.
        mbstd_group_size: group of the minibatch standard deviation.
        level: the level being trained (default: the last).
        ema_decay, seed, ema_warmup: as `AdversarialModel`.

    Example:

    >>> gan = kgz.ProGAN(latent_dim=16, image_size=16, width=8, max_width=16)
    >>> gan.compile(level=0); gan.fit(images, epochs=1)                # 4x4
    >>> gan.compile(level=1, fade_steps=100); gan.fit(images, epochs=1)  # 8x8 faded in
    >>> gan.generate(4, seed=0).shape
    (4, 16, 16, 1)
    """

    task = tasks.UNCONDITIONAL_IMAGE
    card_usage = ("images = model.generate(16, seed=0)  # uint8, (16, 32, 32, 1)",
                  "model.fit(my_images, epochs=5)        # fine-tune the last level: D ships too")
    card_weights = ("every level of the generator, the discriminator and the EMA generator, and the "
                    "fade-in alpha")
    default_dataset = "mnist"
    default_loss = "wgan_gp"
    tiny_config = {"latent_dim": 8, "image_size": 16, "channels": 1, "width": 4, "max_width": 8}

    def __init__(self, latent_dim=128, image_size=32, channels=1, width=32, max_width=128, drift=0.001,
                 mbstd_group_size=4, level=None, ema_decay=0.999, seed=None, **kwargs):
        super().__init__(ema_decay=ema_decay, seed=seed, **kwargs)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels}")
        self.latent_dim, self.image_size, self.channels = int(latent_dim), int(image_size), int(channels)
        self.width, self.max_width = int(width), int(max_width)
        self.drift, self.mbstd_group_size = float(drift), int(mbstd_group_size)
        self.resolutions = resolutions(self.image_size)
        self.image_shape = (self.image_size, self.image_size, self.channels)
        self.level = self._check_level(len(self.resolutions) - 1 if level is None else level)
        self.fade_steps = 0
        # The fade-in weight of the newest block: state saved with the weights.
        self.alpha = self.add_weight(shape=(), initializer="ones", trainable=False, name="alpha")
        self.generator = self._build_generator("generator")
        self.discriminator, d_levels = build_growing_discriminator(
            self.image_size, self.channels, self.width, self.max_width, self.mbstd_group_size)
        object.__setattr__(self, "_discriminator_levels", d_levels)  # views of shared layers
        self.ema_generator = self.build_ema_generator()
        self.built = True

    def _check_level(self, level):
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not (
                0 <= level < len(self.resolutions)):
            raise ValueError(f"level must be an integer in [0, {len(self.resolutions) - 1}] "
                             f"(resolutions {self.resolutions}); got {level!r}")
        return int(level)

    def _build_generator(self, name):
        full, per_level = build_growing_generator(self.latent_dim, self.image_size, self.channels,
                                                  self.width, self.max_width, name=name)
        levels = dict(getattr(self, "_generator_levels", {}))
        levels[name] = per_level
        object.__setattr__(self, "_generator_levels", levels)  # views of shared layers
        return full

    @property
    def resolution(self):
        """The resolution of the level being trained (and sampled)."""
        return self.resolutions[self.level]

    def generator_at(self, level, ema=False):
        return self._generator_levels["ema_generator" if ema else "generator"][level]

    def discriminator_at(self, level):
        return self._discriminator_levels[level]

    # ---- the game ----------------------------------------------------
    def compile(self, loss=None, level=None, fade_steps=0, **kwargs):
        """As `AdversarialModel.compile`, plus the growth schedule:
        `level` to train (default: the current one) and `fade_steps`, the
        steps over which its new block fades in (alpha 0 -> 1; 0 or level 0:
        alpha stays 1).

        Example:

        >>> gan.compile(level=2, fade_steps=500)  # 16x16, faded in over 500 steps
        """
        if level is not None:
            self.level = self._check_level(level)
        if int(fade_steps) < 0:
            raise ValueError(f"fade_steps must be >= 0; got {fade_steps}")
        self.fade_steps = int(fade_steps) if self.level > 0 else 0
        self.alpha.assign(0.0 if self.fade_steps else 1.0)
        super().compile(loss=loss, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None:
            config.update({"level": self.level, "fade_steps": self.fade_steps})
        return config

    def compile_from_config(self, config):
        alpha = ops.convert_to_numpy(self.alpha.value)
        self.level = self._check_level(config.get("level", self.level))
        super().compile_from_config({k: v for k, v in config.items() if k not in ("level", "fade_steps")})
        self.fade_steps = int(config.get("fade_steps", 0)) if self.level > 0 else 0
        self.alpha.assign(alpha)  # a resumed fade continues where it was

    def default_optimizers(self):
        """Karras et al. 2018: Adam(0.001, beta_1=0, beta_2=0.99, epsilon=1e-8)."""
        return {name: keras.optimizers.Adam(1e-3, beta_1=0.0, beta_2=0.99, epsilon=1e-8, name=f"{name}_adam")
                for name in ("d", "g")}

    def players(self):
        return [
            Player("d", self.discriminator_loss, self.discriminator.trainable_variables,
                   role="discriminator"),
            Player("g", self.generator_loss, self.generator.trainable_variables,
                   after_update=self._advance_fade),
        ]

    def _advance_fade(self):
        if self.fade_steps:
            self.alpha.assign(ops.minimum(self.alpha.value + 1.0 / self.fade_steps, 1.0))

    def prepare_batch(self, data):
        return self.image_batch(data)

    def _alpha_column(self, batch_size):
        return ops.ones((batch_size, 1)) * self.alpha.value

    def _reals_at_level(self, images):
        """Real images average-pooled to the level's resolution and, while
        the level fades in, blended with their upsampled half-resolution
        version by the same alpha (as the paper fades the reals)."""
        factor = self.image_size // self.resolution
        x = ops.average_pool(images, factor, factor) if factor > 1 else images
        if self.level == 0:
            return x
        low = ops.repeat(ops.repeat(ops.average_pool(x, 2, 2), 2, axis=1), 2, axis=2)
        return low + (x - low) * self.alpha.value

    def _fake_images(self, batch_size):
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        return self.generator_at(self.level)([z, self._alpha_column(batch_size)], training=True)

    def _discriminate(self, images):
        return self.discriminator_at(self.level)(
            [images, self._alpha_column(ops.shape(images)[0])], training=True)

    def _discriminator_batch(self, images, conditions):
        """The current level's discriminator on `images` brought to its
        resolution as training brings the real images (`_reals_at_level`)."""
        x = self._reals_at_level(ops.convert_to_tensor(images))
        return self.discriminator_at(self.level)([x, self._alpha_column(ops.shape(x)[0])], training=False)

    def scoring_network(self):
        """The current level's discriminator behind `_discriminator_batch`
        (images at the model's size, pooled to the level's resolution and
        faded as training fades the reals): a layer whose variables are that
        discriminator's alone, for `sampling.calibrated_discriminator`."""
        return _LevelScorer(self.discriminator_at(self.level), self._reals_at_level, self._alpha_column)

    def discriminator_loss(self, batch):
        real_images = self._reals_at_level(batch["images"])
        fake_images = ops.stop_gradient(self._fake_images(ops.shape(real_images)[0]))
        drift = lambda reals, d_real_logits: self.drift * ops.mean(ops.square(d_real_logits))
        return self.adversarial_d_loss(self._discriminate, real_images, fake_images, real_penalty=drift)

    def generator_loss(self, batch):
        return self.adversarial_g_loss(self._discriminate, self._fake_images(ops.shape(batch["images"])[0]))

    # ---- sampling ----------------------------------------------------
    def sample_latents(self, num_images, seed=None):
        """Gaussian latents drawn with numpy: identical on every backend."""
        return self.gaussian_latents(num_images, self.latent_dim, seed)

    def generate(self, num_images=None, seed=None, latents=None, batch_size=256, use_ema=True,
                 output="uint8"):
        """Samples images at the current level, upsampled to `image_size`.

        Args:
            num_images, seed: how many, and the seed of their latents (the
                same seed gives the same images on every backend).
            latents: explicit latents `(N, latent_dim)` instead.
            use_ema: sample from the EMA generator (default).
            output: `"uint8"` or `"float"` ([-1, 1]).
        """
        if latents is None:
            if num_images is None:
                raise ValueError("Pass num_images (and optionally seed) or latents.")
            latents = self.sample_latents(num_images, seed)
        latents = validation.check_latents(latents, self.latent_dim)
        alpha = np.full((len(latents), 1), float(ops.convert_to_numpy(self.alpha.value)), "float32")
        network = self.generator_at(self.level, ema=use_ema and self.ema_generator is not None)
        images = self.predict_images(network, [latents, alpha], batch_size=batch_size, output="float")
        factor = self.image_size // self.resolution
        images = images.repeat(factor, axis=1).repeat(factor, axis=2)
        return validation.to_uint8(images) if output == "uint8" else images

    latent_spaces = ("z",)

    def initial_latents(self, num_images, space):
        """Where projection starts: a fixed draw of the prior. The generator
        reads only z's direction (pixel norm first), so the mean latent, 0,
        draws no image of its own, and Adam's first steps from next to it
        swing the direction wildly (200 steps from 0 left held-out digits at
        RMS 0.25, worse than the inverting encoder's single pass)."""
        return self.gaussian_latents(num_images, self.latent_dim, seed=0)

    def render_latents(self, latents, conditions, space="z"):
        network = self.generator_at(self.level, ema=self.ema_generator is not None)
        images = network([latents, self._alpha_column(ops.shape(latents)[0])], training=False)
        factor = self.image_size // self.resolution
        return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2) if factor > 1 else images

    def generator_inputs(self, num_images, seed=None):
        return self.sample_latents(num_images, seed)

    def call(self, latents, training=False):
        return self.generator_at(self.level)([latents, self._alpha_column(ops.shape(latents)[0])],
                                             training=training)

    def validate_fit_data(self, x, y=None):
        return validation.check_images(x, self.image_shape), y

    def get_config(self):
        config = super().get_config()
        config.update({"latent_dim": self.latent_dim, "image_size": self.image_size,
                       "channels": self.channels, "width": self.width, "max_width": self.max_width,
                       "drift": self.drift, "mbstd_group_size": self.mbstd_group_size,
                       "level": self.level})
        return config
