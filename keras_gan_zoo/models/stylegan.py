"""StyleGAN2 (Karras et al. 2019, 2020) in `keras.ops`: no custom CUDA ops."""

import math

import keras
import numpy as np
from keras import ops

from keras_gan_zoo import losses as gan_losses
from keras_gan_zoo import tasks, validation
from keras_gan_zoo.layers import (ConstantInput, EqualizedConv2D, EqualizedDense,
                                  MinibatchStdDev, ModulatedConv2D, WAverage)
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN


def _resolutions(image_size):
    """8, 16, ..., image_size: the resolutions after the 4x4 block."""
    blocks = math.log2(image_size / 4) if image_size >= 8 else -1
    if blocks != int(blocks):
        raise ValueError(f"StyleGAN needs image_size = 4 * 2^k (8, 16, 32, 64, ...); got {image_size}")
    return [4 * 2 ** (i + 1) for i in range(int(blocks))]


def channels_at(resolution, image_size, width, max_width):
    """Feature maps at `resolution`: `width` at full size, doubling as the
    resolution halves, capped at `max_width` (StyleGAN's channel_base/res)."""
    return min(width * image_size // resolution, max_width)


def noise_shapes(image_size):
    """Shape (r, r, 1) of the noise map of each convolution, in order."""
    shapes = [(4, 4, 1)]
    for resolution in _resolutions(image_size):
        shapes += [(resolution, resolution, 1)] * 2
    return shapes


def build_mapping_network(latent_dim, w_dim, num_layers, lr_multiplier, w_avg_beta,
                          name="mapping_network"):
    """z -> W: normalise z to unit second moment, then `num_layers` dense
    layers (lrelu) with a 100x lower learning rate; tracks the mean of W."""
    z = keras.Input((latent_dim,), name="latents")
    x = z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + 1e-8)
    for i in range(num_layers):
        x = EqualizedDense(w_dim, lr_multiplier=lr_multiplier, activation="lrelu",
                           name=f"dense_{i}")(x)
    w = WAverage(w_avg_beta, name="w_average")(x)
    return keras.Model(z, w, name=name)


def build_synthesis_network(w_dim, image_size, channels, width, max_width,
                            name="synthesis_network"):
    """(W per layer, noise per layer) -> image: a learned 4x4 constant, then
    modulated 3x3 convolutions with noise (two per resolution, the first
    upsampling), and a skip architecture of modulated 1x1 toRGB layers."""
    resolutions = _resolutions(image_size)
    num_ws = 2 * len(resolutions) + 2
    ws = keras.Input((num_ws, w_dim), name="ws")
    noises = [keras.Input(shape, name=f"noise_{i}") for i, shape in enumerate(noise_shapes(image_size))]
    width_at = lambda r: channels_at(r, image_size, width, max_width)
    x = ConstantInput(4, width_at(4), name="const")(ws)
    x = ModulatedConv2D(width_at(4), 3, noise=True, name="conv_4")([x, ws[:, 0], noises[0]])
    rgb = ModulatedConv2D(channels, 1, demodulate=False, activation="linear",
                          name="to_rgb_4")([x, ws[:, 1]])
    for i, resolution in enumerate(resolutions):
        k = 2 * i + 1  # index of this block's first W and noise map
        x = ModulatedConv2D(width_at(resolution), 3, up=True, noise=True,
                            name=f"conv0_{resolution}")([x, ws[:, k], noises[k]])
        x = ModulatedConv2D(width_at(resolution), 3, noise=True,
                            name=f"conv1_{resolution}")([x, ws[:, k + 1], noises[k + 1]])
        skip = keras.layers.UpSampling2D(2, interpolation="bilinear")(rgb)
        rgb = skip + ModulatedConv2D(channels, 1, demodulate=False, activation="linear",
                                     name=f"to_rgb_{resolution}")([x, ws[:, k + 2]])
    images = keras.layers.Activation("linear", dtype="float32")(rgb)
    return keras.Model([ws] + noises, images, name=name)


def build_stylegan_generator(latent_dim, w_dim, image_size, channels, width, max_width,
                             mapping_layers, mapping_lr_multiplier, w_avg_beta, name="generator"):
    """(z, noise maps) -> image: the mapping network, one W broadcast to
    every layer, the synthesis network. Both are sub-models, reachable as
    `generator.get_layer("mapping_network" | "synthesis_network")`."""
    mapping = build_mapping_network(latent_dim, w_dim, mapping_layers, mapping_lr_multiplier,
                                    w_avg_beta)
    synthesis = build_synthesis_network(w_dim, image_size, channels, width, max_width)
    num_ws = synthesis.input[0].shape[1]
    z = keras.Input((latent_dim,), name="latents")
    noises = [keras.Input(shape, name=f"noise_{i}") for i, shape in enumerate(noise_shapes(image_size))]
    ws = ops.repeat(ops.expand_dims(mapping(z), 1), num_ws, axis=1)
    return keras.Model([z] + noises, synthesis([ws] + noises), name=name)


def build_stylegan_discriminator(image_size, channels, width, max_width, mbstd_group_size,
                                 name="discriminator"):
    """StyleGAN2's residual discriminator: fromRGB, per resolution two 3x3
    convolutions (the second halving) plus a 1x1 skip, scaled by 1/sqrt(2);
    at 4x4 the minibatch standard deviation, a conv and two dense layers."""
    width_at = lambda r: channels_at(r, image_size, width, max_width)
    images = keras.Input((image_size, image_size, channels), name="images")
    x = EqualizedConv2D(width_at(image_size), 1, activation="lrelu", name="from_rgb")(images)
    for resolution in reversed(_resolutions(image_size)):
        out = width_at(resolution // 2)
        skip = EqualizedConv2D(out, 1, use_bias=False, down=True, name=f"skip_{resolution}")(x)
        x = EqualizedConv2D(width_at(resolution), 3, activation="lrelu", name=f"conv0_{resolution}")(x)
        x = EqualizedConv2D(out, 3, activation="lrelu", down=True, name=f"conv1_{resolution}")(x)
        x = (x + skip) * (1.0 / math.sqrt(2.0))
    x = MinibatchStdDev(mbstd_group_size, name="minibatch_stddev")(x)
    x = EqualizedConv2D(width_at(4), 3, activation="lrelu", name="conv_4")(x)
    x = EqualizedDense(width_at(4), activation="lrelu", name="dense")(keras.layers.Flatten()(x))
    logits = EqualizedDense(1, name="logits")(x)
    logits = keras.layers.Activation("linear", dtype="float32")(logits)
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class StyleGAN(ImageGAN):
    """StyleGAN2 (Karras et al. 2020) for small images, on every backend.

    The networks: a mapping network (z -> W, `mapping_layers` dense layers
    with a 100x lower learning rate) and a synthesis network that starts
    from a learned 4x4 constant and applies, per resolution, two
    modulated/demodulated 3x3 convolutions with per-pixel noise, summing
    upsampled 1x1 toRGB outputs (skip architecture). Equalised learning rate
    everywhere. The discriminator is StyleGAN2's residual network with a
    minibatch standard deviation layer.

    The game: non-saturating logistic loss; style mixing regularisation
    (with probability `style_mixing_prob` the layers from a random cutoff on
    take the W of a second latent); R1 penalty on real images, applied
    lazily every `r1_interval` discriminator steps with weight
    `r1_gamma / 2 * r1_interval`; an EMA generator for sampling; the running
    mean of W for the truncation trick.

    Sampling: `generate(n, seed=, truncation_psi=)`, `style_mix(...)` and
    `noise_variations(...)`. Noise maps are drawn with numpy, so the same
    seed gives the same images on every backend.

    Args:
        latent_dim: size of z. w_dim: size of W.
        image_size: 4 * 2^k (8, 16, 32, 64, ...). channels: 1 or 3.
        width: channels at full resolution, doubling as the resolution
            halves, capped at `max_width`.
        mapping_layers: depth of the mapping network (8 in StyleGAN).
        mapping_lr_multiplier: learning-rate multiplier of the mapping network.
        style_mixing_prob: probability of mixing two latents in a batch.
        r1_gamma: R1 weight (0 switches it off). r1_interval: lazy interval.
        mbstd_group_size: group size of the minibatch standard deviation.
        w_avg_beta: decay of the running mean of W.
        ema_decay, seed: as `AdversarialModel`.

    Example:

    >>> gan = kgz.StyleGAN(latent_dim=16, w_dim=16, image_size=16, width=8, mapping_layers=2)
    >>> gan.generate(4, seed=0, truncation_psi=0.7).shape
    (4, 16, 16, 1)
    >>> gan.fit(images, batch_size=16, epochs=1)  # uint8 (N, 16, 16, 1)
    """

    task = tasks.UNCONDITIONAL_IMAGE
    card_usage = ("images = model.generate(16, seed=0, truncation_psi=0.7)",
                  "mixed = model.style_mix(model.sample_latents(4, seed=1), model.sample_latents(4, seed=2))",
                  "model.fit(my_images, epochs=5)  # the discriminator ships too")
    card_weights = ("the mapping and synthesis networks, the discriminator and the EMA generator (with "
                    "the running mean of W used by `truncation_psi`); `generate` samples from the EMA "
                    "generator")
    default_dataset = "fashion_mnist"
    truncation_argument = "truncation_psi"
    tiny_config = {"latent_dim": 16, "w_dim": 16, "image_size": 16, "channels": 1, "width": 8,
                   "max_width": 16, "mapping_layers": 2}

    default_loss = "non_saturating"

    def __init__(self, latent_dim=128, w_dim=128, image_size=32, channels=1, width=32,
                 max_width=256, mapping_layers=8, mapping_lr_multiplier=0.01,
                 style_mixing_prob=0.9, r1_gamma=0.1, r1_interval=16, mbstd_group_size=4,
                 w_avg_beta=0.995, ema_decay=0.999, seed=None, **kwargs):
        super().__init__(ema_decay=ema_decay, seed=seed, **kwargs)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels}")
        if not 0.0 <= float(style_mixing_prob) <= 1.0:
            raise ValueError(f"style_mixing_prob must be in [0, 1]; got {style_mixing_prob}")
        if int(r1_interval) < 1 or float(r1_gamma) < 0:
            raise ValueError(f"need r1_gamma >= 0 and r1_interval >= 1; got {r1_gamma}, {r1_interval}")
        self.latent_dim, self.w_dim = int(latent_dim), int(w_dim)
        self.image_size, self.channels = int(image_size), int(channels)
        self.width, self.max_width = int(width), int(max_width)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.style_mixing_prob = float(style_mixing_prob)
        self.r1_gamma, self.r1_interval = float(r1_gamma), int(r1_interval)
        self.mbstd_group_size = int(mbstd_group_size)
        self.w_avg_beta = float(w_avg_beta)
        self.image_shape = (self.image_size, self.image_size, self.channels)
        self.noise_shapes = noise_shapes(self.image_size)
        self.num_ws = 2 * len(_resolutions(self.image_size)) + 2
        self.generator = self._build_generator("generator")
        self.discriminator = build_stylegan_discriminator(
            self.image_size, self.channels, self.width, self.max_width, self.mbstd_group_size)
        self.ema_generator = self.build_ema_generator()
        self.built = True

    def _build_generator(self, name):
        return build_stylegan_generator(
            self.latent_dim, self.w_dim, self.image_size, self.channels, self.width,
            self.max_width, self.mapping_layers, self.mapping_lr_multiplier, self.w_avg_beta,
            name=name)

    @property
    def mapping_network(self):
        return self.generator.get_layer("mapping_network")

    @property
    def synthesis_network(self):
        return self.generator.get_layer("synthesis_network")

    def default_optimizers(self):
        """StyleGAN2: Adam(0.0025, beta_1=0, beta_2=0.99); D's rate and beta_2
        corrected for lazy R1 (Karras et al. 2020, appendix B)."""
        ratio = self.r1_interval / (self.r1_interval + 1.0) if self.r1_gamma else 1.0
        return {
            "d": keras.optimizers.Adam(0.0025 * ratio, beta_1=0.0, beta_2=0.99**ratio,
                                       epsilon=1e-8, name="d_adam"),
            "g": keras.optimizers.Adam(0.0025, beta_1=0.0, beta_2=0.99, epsilon=1e-8, name="g_adam"),
        }

    # ---- the game ----------------------------------------------------
    def players(self):
        return [
            Player("d", self.discriminator_loss, self.discriminator.trainable_variables,
                   role="discriminator"),
            Player("g", self.generator_loss, self.generator.trainable_variables),
        ]

    def prepare_batch(self, data):
        return self.image_batch(data)

    def _training_ws(self, batch_size):
        """W per layer for a batch; with probability `style_mixing_prob` the
        layers from a random cutoff on take the W of a second latent."""
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        ws = ops.repeat(ops.expand_dims(self.mapping_network(z, training=True), 1), self.num_ws, axis=1)
        if not self.style_mixing_prob:
            return ws
        z_mix = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        # training=False: the second latent does not update the mean of W (as StyleGAN2).
        w_mix = ops.expand_dims(self.mapping_network(z_mix, training=False), 1)
        cutoff = keras.random.randint((), 1, self.num_ws, seed=self.seed_generator)
        mixing = keras.random.uniform((), seed=self.seed_generator) < self.style_mixing_prob
        cutoff = ops.where(mixing, cutoff, self.num_ws)
        before_cutoff = ops.arange(self.num_ws)[None, :, None] < cutoff
        return ops.where(before_cutoff, ws, w_mix)

    def _fake_images(self, batch_size):
        noises = [keras.random.normal((batch_size,) + shape, seed=self.seed_generator)
                  for shape in self.noise_shapes]
        return self.synthesis_network([self._training_ws(batch_size)] + noises, training=True)

    def discriminator_loss(self, batch):
        real_images = batch["images"]
        fake_images = ops.stop_gradient(self._fake_images(ops.shape(real_images)[0]))
        return self.adversarial_d_loss(self._discriminate, real_images, fake_images,
                                       real_penalty=self._lazy_r1 if self.r1_gamma else None)

    def _discriminate(self, images):
        return self.discriminator(images, training=True)

    def _lazy_r1(self, real_images, d_real_logits):
        """R1 on the (augmented) reals, computed on one step in r1_interval
        and scaled up to match."""
        due = ops.equal(ops.mod(self.optimizer.iterations, self.r1_interval), 0)
        r1 = ops.cond(
            due,
            lambda: gan_losses.r1_penalty(self._discriminate, real_images),
            lambda: ops.zeros((), dtype="float32"),
        )
        return (0.5 * self.r1_gamma * self.r1_interval) * r1

    def generator_loss(self, batch):
        fake_images = self._fake_images(ops.shape(batch["images"])[0])
        return self.adversarial_g_loss(self._discriminate, fake_images)

    # ---- sampling ----------------------------------------------------
    def sample_latents(self, num_images, seed=None):
        """Gaussian latents drawn with numpy: identical on every backend."""
        return self.gaussian_latents(num_images, self.latent_dim, seed)

    def sample_noise(self, num_images, seed=None):
        """One standard normal noise map per convolution, drawn with numpy
        one image at a time, so image i's noise does not depend on how many
        images are drawn (as for the latents)."""
        num_images = validation.check_count(num_images)
        rng = np.random.default_rng(None if seed is None else [int(seed), 1])
        sizes = [int(np.prod(shape)) for shape in self.noise_shapes]
        flat = rng.standard_normal((num_images, sum(sizes))).astype("float32")
        parts = np.split(flat, np.cumsum(sizes)[:-1], axis=1)
        return [part.reshape((num_images,) + shape) for part, shape in zip(parts, self.noise_shapes)]

    def _check_latents(self, latents, name="latents"):
        return validation.check_latents(latents, self.latent_dim, name)

    def _networks(self, use_ema):
        generator = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        return generator.get_layer("mapping_network"), generator.get_layer("synthesis_network")

    def w_average(self, use_ema=True):
        """The running mean of W the mapping network tracks (numpy float32)."""
        mapping, _ = self._networks(use_ema)
        return np.asarray(ops.convert_to_numpy(mapping.get_layer("w_average").w_avg), "float32")

    def map_latents(self, latents, truncation_psi=1.0, truncation_cutoff=None, use_ema=True,
                    batch_size=256):
        """W per layer `(N, num_ws, w_dim)` of latents, with the truncation
        trick in W: `w_avg + psi * (w - w_avg)` on the first
        `truncation_cutoff` layers (all by default)."""
        psi = float(truncation_psi)
        if not np.isfinite(psi):
            raise ValueError(f"truncation_psi must be a finite number (1 = off); got {truncation_psi}")
        mapping, _ = self._networks(use_ema)
        w = self.predict_images(mapping, self._check_latents(latents), batch_size, output="float")
        ws = np.repeat(w[:, None, :], self.num_ws, axis=1)
        if psi != 1.0:
            w_avg = self.w_average(use_ema)
            cutoff = self.num_ws if truncation_cutoff is None else int(truncation_cutoff)
            ws[:, :cutoff] = w_avg + psi * (ws[:, :cutoff] - w_avg)
        return ws

    def synthesize(self, ws, noise="random", noise_seed=None, use_ema=True, batch_size=256,
                   output="uint8"):
        """Images from W per layer. `noise`: `"random"` (maps drawn from
        `noise_seed`) or `"none"` (all zero: the deterministic mean image)."""
        ws = np.asarray(ws, dtype="float32")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"expected ws of shape (N, {self.num_ws}, {self.w_dim}); got {ws.shape}")
        if noise == "random":
            noises = self.sample_noise(len(ws), noise_seed)
        elif noise == "none":
            noises = [np.zeros((len(ws),) + shape, "float32") for shape in self.noise_shapes]
        else:
            raise ValueError(f"noise must be 'random' or 'none'; got {noise!r}")
        _, synthesis = self._networks(use_ema)
        return self.predict_images(synthesis, [ws] + noises, batch_size=batch_size, output=output)

    def generate(self, num_images=None, seed=None, latents=None, truncation_psi=1.0,
                 truncation_cutoff=None, noise="random", noise_seed=None, batch_size=256,
                 use_ema=True, output="uint8"):
        """Samples images.

        Args:
            num_images, seed, latents: as `DCGAN.generate`.
            truncation_psi: truncation in W (1 = off; 0.7 is the usual
                trade of variety for quality; 0 gives the mean image).
            truncation_cutoff: truncate only the first this many layers.
            noise: `"random"` or `"none"`. noise_seed: seed of the noise
                maps (default: `seed`).

        Returns:
            numpy array `(N, image_size, image_size, channels)`.
        """
        if latents is None:
            if num_images is None:
                raise ValueError("Pass num_images (and optionally seed) or latents.")
            latents = self.sample_latents(num_images, seed)
        ws = self.map_latents(latents, truncation_psi, truncation_cutoff, use_ema, batch_size)
        return self.synthesize(ws, noise, seed if noise_seed is None else noise_seed, use_ema,
                               batch_size, output)

    def style_mix(self, coarse_latents, fine_latents, crossover=None, truncation_psi=1.0,
                  noise_seed=0, use_ema=True, output="uint8"):
        """Style mixing: layers before `crossover` take W from
        `coarse_latents` (pose, shape), the rest from `fine_latents`
        (texture, colour). Pairs are taken row by row; a single latent on
        either side is used for every row. Default crossover: half the layers.

        Example (a 4 x 4 grid of every coarse/fine pair):

        >>> a, b = gan.sample_latents(4, seed=1), gan.sample_latents(4, seed=2)
        >>> grid = gan.style_mix(np.repeat(a, 4, axis=0), np.tile(b, (4, 1)))
        """
        coarse = self._check_latents(coarse_latents, "coarse_latents")
        fine = self._check_latents(fine_latents, "fine_latents")
        if len(coarse) != len(fine) and 1 not in (len(coarse), len(fine)):
            raise ValueError(f"got {len(coarse)} coarse and {len(fine)} fine latents: "
                             "pass the same number, or one on either side")
        crossover = self.num_ws // 2 if crossover is None else int(crossover)
        if not 0 <= crossover <= self.num_ws:
            raise ValueError(f"crossover must be in [0, {self.num_ws}]; got {crossover}")
        n = max(len(coarse), len(fine))
        ws_coarse = self.map_latents(np.broadcast_to(coarse, (n, self.latent_dim)), truncation_psi,
                                     use_ema=use_ema)
        ws = self.map_latents(np.broadcast_to(fine, (n, self.latent_dim)), truncation_psi,
                              use_ema=use_ema)
        ws[:, :crossover] = ws_coarse[:, :crossover]
        return self.synthesize(ws, "random", noise_seed, use_ema, output=output)

    def noise_variations(self, num_variations, seed=0, latents=None, truncation_psi=1.0,
                         use_ema=True, output="uint8"):
        """One latent drawn `num_variations` times with different noise maps:
        shows what the noise controls (hair, texture), the rest unchanged."""
        num_variations = validation.check_count(num_variations, "num_variations")
        latents = self.sample_latents(1, seed) if latents is None else self._check_latents(latents)[:1]
        ws = self.map_latents(np.repeat(latents, num_variations, axis=0), truncation_psi,
                              use_ema=use_ema)
        return self.synthesize(ws, "random", seed, use_ema, output=output)

    # W (one w for every layer) is where StyleGAN projects best (Karras et
    # al. 2020, appendix D); W+ (a w per layer) fits more; Z as the others.
    latent_spaces = ("w", "w+", "z")

    def initial_latents(self, num_images, space):
        if space == "z":
            return super().initial_latents(num_images, space)
        w_avg = self.w_average()
        shape = (num_images, self.num_ws, self.w_dim) if space == "w+" else (num_images, self.w_dim)
        return np.broadcast_to(w_avg, shape).copy()

    def random_latents(self, num_images, space, rng):
        z = super().random_latents(num_images, space, rng)
        if space == "z":
            return z
        mapping, _ = self._networks(use_ema=True)
        w = self.predict_images(mapping, z, output="float")
        return np.repeat(w[:, None], self.num_ws, axis=1) if space == "w+" else w

    def render_latents(self, latents, conditions, space="w"):
        mapping, synthesis = self._networks(use_ema=True)
        if space == "z":
            latents = mapping(latents, training=False)
        if space in ("z", "w"):
            latents = ops.repeat(ops.expand_dims(latents, 1), self.num_ws, axis=1)
        n = ops.shape(latents)[0]
        noises = [ops.zeros((n,) + tuple(shape)) for shape in self.noise_shapes]
        return synthesis([latents] + noises, training=False)

    def generator_inputs(self, num_images, seed=None):
        """What the generator reads for `num_images` samples: z and noise maps."""
        return [self.sample_latents(num_images, seed)] + self.sample_noise(num_images, seed)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def validate_fit_data(self, x, y=None):
        return validation.check_images(x, self.image_shape), y

    def get_config(self):
        config = super().get_config()
        config.update({
            "latent_dim": self.latent_dim, "w_dim": self.w_dim, "image_size": self.image_size,
            "channels": self.channels, "width": self.width, "max_width": self.max_width,
            "mapping_layers": self.mapping_layers,
            "mapping_lr_multiplier": self.mapping_lr_multiplier,
            "style_mixing_prob": self.style_mixing_prob, "r1_gamma": self.r1_gamma,
            "r1_interval": self.r1_interval, "mbstd_group_size": self.mbstd_group_size,
            "w_avg_beta": self.w_avg_beta,
        })
        return config
