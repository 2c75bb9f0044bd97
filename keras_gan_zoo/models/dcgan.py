"""DCGAN (Radford, Metz & Chintala 2015)."""

import math

import keras
from keras import layers, ops

from keras_gan_zoo import tasks, validation
from keras_gan_zoo.layers import gan_normal
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN


def _base_size(image_size):
    """Smallest feature map: image_size / 2^k with k >= 1, in [3, 7]."""
    for base in (4, 7, 3, 5, 6):
        ratio = image_size / base
        if ratio >= 2 and ratio == 2 ** round(math.log2(ratio)):
            return base, round(math.log2(ratio))
    raise ValueError(
        f"DCGAN needs image_size = base * 2^k with base in 3..7 and k >= 1 "
        f"(e.g. 28, 32, 64); got {image_size}"
    )


def generator_body(x, image_size, channels, width):
    """Vector -> projection (BN, ReLU) -> stride-2 transposed convs (BN,
    ReLU) -> tanh image. Shared by the DCGAN and conditional generators."""
    base, num_up = _base_size(image_size)
    top = width * 2 ** (num_up - 1)
    x = layers.Dense(base * base * top, use_bias=False, kernel_initializer=gan_normal())(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base, base, top))(x)
    for i in range(num_up - 1):
        filters = width * 2 ** (num_up - 2 - i)
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=gan_normal()
        )(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(
        channels, 4, strides=2, padding="same", kernel_initializer=gan_normal()
    )(x)
    return layers.Activation("tanh", dtype="float32")(x)


def discriminator_body(x, image_size, width):
    """Image -> stride-2 convs (BN except first, LeakyReLU 0.2) -> flat features."""
    _, num_down = _base_size(image_size)
    for i in range(num_down):
        x = layers.Conv2D(
            width * 2**i, 4, strides=2, padding="same", use_bias=i == 0,
            kernel_initializer=gan_normal(),
        )(x)
        if i > 0:  # Radford et al.: no batchnorm on the discriminator input layer.
            x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)
    return layers.Flatten()(x)


def build_generator(latent_dim, image_size, channels, width, name="generator"):
    """Latent -> `generator_body` -> image."""
    z = keras.Input((latent_dim,), name="latents")
    return keras.Model(z, generator_body(z, image_size, channels, width), name=name)


def build_discriminator(image_size, channels, width, name="discriminator"):
    """Image -> `discriminator_body` -> logit."""
    images = keras.Input((image_size, image_size, channels), name="images")
    features = discriminator_body(images, image_size, width)
    logits = layers.Dense(1, kernel_initializer=gan_normal(), dtype="float32")(features)
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class DCGAN(ImageGAN):
    """Deep convolutional GAN (Radford, Metz & Chintala 2015).

    The generator projects a Gaussian latent to a small feature map and
    upsamples it with stride-2 transposed convolutions, batch norm and ReLU,
    ending in tanh. The discriminator mirrors it with stride-2 convolutions,
    batch norm (not on the input layer) and LeakyReLU(0.2). No pooling, no
    hidden fully connected layers.

    Args:
        latent_dim: size of the latent vector z.
        image_size: height = width of the images; `base * 2^k` with base in
            3..7 (28 -> 7x7 base, 32 and 64 -> 4x4 base).
        channels: 1 (grayscale) or 3 (RGB).
        width: channels of the widest-resolution conv layer; the others
            double towards the base.
        d_steps: discriminator updates per generator update.
        ema_decay: decay of the EMA generator used by `generate` (or None).
        seed: seed of the training latents.

    Example:

    >>> import keras_gan_zoo as kgz
    >>> gan = kgz.DCGAN(latent_dim=16, image_size=8, channels=1, width=4)
    >>> gan.generate(2, seed=0).shape
    (2, 8, 8, 1)
    >>> gan.compile()
    >>> images = np.random.randint(0, 256, (32, 8, 8, 1), dtype="uint8")
    >>> history = gan.fit(images, batch_size=16, epochs=1, verbose=0)
    """

    task = tasks.UNCONDITIONAL_IMAGE
    card_usage = ("images = model.generate(16, seed=0)  # uint8, (16, H, W, C)",
                  "model.fit(my_images, epochs=5)        # fine-tune: the discriminator ships too")
    card_weights = ("the generator, discriminator and EMA generator; `generate` samples from "
                    "the EMA generator")
    default_dataset = "mnist"
    tiny_config = {"latent_dim": 8, "image_size": 16, "channels": 1, "width": 4}

    def __init__(
        self,
        latent_dim=100,
        image_size=28,
        channels=1,
        width=64,
        d_steps=1,
        ema_decay=0.999,
        seed=None,
        **kwargs,
    ):
        super().__init__(ema_decay=ema_decay, seed=seed, **kwargs)
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3; got {channels}")
        if int(d_steps) < 1:
            raise ValueError(f"d_steps must be >= 1; got {d_steps}")
        self.latent_dim = int(latent_dim)
        self.image_size = int(image_size)
        self.channels = int(channels)
        self.width = int(width)
        self.d_steps = int(d_steps)
        self.image_shape = (self.image_size, self.image_size, self.channels)
        self.generator = self._build_generator("generator")
        self.discriminator = self._build_discriminator()
        self.ema_generator = self.build_ema_generator()
        self.built = True

    def _build_generator(self, name):
        return build_generator(self.latent_dim, self.image_size, self.channels, self.width, name=name)

    def _build_discriminator(self):
        return build_discriminator(self.image_size, self.channels, self.width)

    # ---- the game ----------------------------------------------------
    def players(self):
        return [
            Player("d", self.discriminator_loss, self.discriminator.trainable_variables,
                   steps=self.d_steps, role="discriminator"),
            Player("g", self.generator_loss, self.generator.trainable_variables),
        ]

    def prepare_batch(self, data):
        return self.image_batch(data)

    def _sample_latents(self, batch_size):
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

    def discriminator_loss(self, batch):
        real_images = batch["images"]
        latents = self._sample_latents(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator(latents, training=True))
        return self.adversarial_d_loss(self._discriminate, real_images, fake_images)

    def _discriminate(self, images):
        return self.discriminator(images, training=True)

    def generator_loss(self, batch):
        latents = self._sample_latents(ops.shape(batch["images"])[0])
        return self.adversarial_g_loss(self._discriminate, self.generator(latents, training=True))

    # ---- sampling ----------------------------------------------------
    def sample_latents(self, num_images, seed=None):
        """Gaussian latents drawn with numpy: identical on every backend."""
        return self.gaussian_latents(num_images, self.latent_dim, seed)

    def generate(self, num_images=None, seed=None, latents=None, batch_size=256,
                 use_ema=True, output="uint8"):
        """Samples images.

        Args:
            num_images: how many images (ignored when `latents` is given).
            seed: seed of the latents; the same seed gives the same images
                on every backend.
            latents: explicit latents, shape `(N, latent_dim)`.
            batch_size: generator batch size.
            use_ema: sample from the EMA generator when there is one.
            output: `"uint8"` (N, H, W, C) in [0, 255] or `"float"` in [-1, 1].

        Returns:
            numpy array of shape `(N, image_size, image_size, channels)`.
        """
        if latents is None:
            if num_images is None:
                raise ValueError("Pass num_images (and optionally seed) or latents.")
            latents = self.sample_latents(num_images, seed)
        else:
            latents = self._check_latents(latents)
        return self._run_generator(latents, use_ema, batch_size, output)

    latent_spaces = ("z",)

    def render_latents(self, latents, conditions, space="z"):
        generator = self.ema_generator if self.ema_generator is not None else self.generator
        if not conditions:
            return generator(latents, training=False)
        return generator([latents] + [ops.convert_to_tensor(c) for c in conditions], training=False)

    def generator_inputs(self, num_images, seed=None):
        """What the generator reads for `num_images` samples: here, latents."""
        return self.sample_latents(num_images, seed)

    def _check_latents(self, latents):
        return validation.check_latents(latents, self.latent_dim)

    def _run_generator(self, inputs, use_ema, batch_size, output):
        generator = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        return self.predict_images(generator, inputs, batch_size=batch_size, output=output)

    def call(self, latents, training=False):
        return self.generator(latents, training=training)

    def validate_fit_data(self, x, y=None):
        return validation.check_images(x, self.image_shape), y

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "latent_dim": self.latent_dim,
                "image_size": self.image_size,
                "channels": self.channels,
                "width": self.width,
                "d_steps": self.d_steps,
            }
        )
        return config

