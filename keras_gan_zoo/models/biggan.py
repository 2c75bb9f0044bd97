"""BigGAN (Brock, Donahue & Simonyan 2019), sized for small images."""

import math

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import losses as gan_losses
from keras_gan_zoo import validation
from keras_gan_zoo.layers import ConditionalBatchNorm, SelfAttention, SNConv2D, SNDense
from keras_gan_zoo.models.cgan import ConditionalGAN


def _num_blocks(image_size):
    blocks = math.log2(image_size / 4) if image_size >= 8 else -1
    if blocks != int(blocks):
        raise ValueError(f"BigGAN needs image_size = 4 * 2^k (8, 16, 32, 64, ...); got {image_size}")
    return int(blocks)


def _up(x):
    return layers.UpSampling2D(2, interpolation="nearest")(x)


def build_biggan_generator(latent_dim, num_classes, image_size, channels, width, embedding_dim,
                           attention_resolution, name="generator"):
    """Hierarchical z (one chunk per block and one for the input), a shared
    class embedding, residual up-blocks with conditional batch norm,
    self-attention at `attention_resolution`, spectral norm throughout."""
    blocks = _num_blocks(image_size)
    chunk = latent_dim // (blocks + 1)
    if chunk < 1:
        raise ValueError(f"latent_dim must be >= {blocks + 1} to split over {blocks} blocks")
    z = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels")
    shared = layers.Embedding(num_classes, embedding_dim, name="shared_embedding")(labels)
    chunks = [z[:, i * chunk:(i + 1) * chunk] for i in range(blocks)] + [z[:, blocks * chunk:]]
    top = width * 2 ** (blocks - 1)
    x = SNDense(4 * 4 * top)(chunks[-1])
    x = layers.Reshape((4, 4, top))(x)
    resolution = 4
    for i in range(blocks):
        out = width * 2 ** (blocks - 1 - i)
        condition = layers.Concatenate()([shared, chunks[i]])
        h = layers.ReLU()(ConditionalBatchNorm()([x, condition]))
        h = SNConv2D(out, 3, padding="same")(_up(h))
        h = layers.ReLU()(ConditionalBatchNorm()([h, condition]))
        h = SNConv2D(out, 3, padding="same")(h)
        x = layers.Add()([h, SNConv2D(out, 1)(_up(x))])
        resolution *= 2
        if resolution == attention_resolution:
            x = SelfAttention()(x)
    x = layers.ReLU()(layers.BatchNormalization(epsilon=1e-4)(x))
    x = SNConv2D(channels, 3, padding="same")(x)
    images = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model([z, labels], images, name=name)


def build_biggan_discriminator(num_classes, image_size, channels, width, attention_resolution,
                               name="discriminator"):
    """Residual down-blocks (spectral norm, average pooling), self-attention,
    global sum pooling and a projection head."""
    blocks = _num_blocks(image_size)
    images = keras.Input((image_size, image_size, channels), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    resolution = image_size
    for i in range(blocks):
        out = width * 2**i
        h = x if i == 0 else layers.ReLU()(x)  # no ReLU on the image itself
        h = SNConv2D(out, 3, padding="same")(h)
        h = SNConv2D(out, 3, padding="same")(layers.ReLU()(h))
        h = layers.AveragePooling2D(2)(h)
        skip = SNConv2D(out, 1)(layers.AveragePooling2D(2)(x) if i == 0 else x)
        skip = skip if i == 0 else layers.AveragePooling2D(2)(skip)
        x = layers.Add()([h, skip])
        resolution //= 2
        if resolution == attention_resolution:
            x = SelfAttention()(x)
    features = ops.sum(layers.ReLU()(x), axis=(1, 2))
    unconditional = SNDense(1)(features)
    embedded = layers.Embedding(num_classes, ops.shape(features)[-1], name="class_projection")(labels)
    projection = ops.sum(embedded * features, axis=-1, keepdims=True)
    logits = layers.Activation("linear", dtype="float32")(unconditional + projection)
    return keras.Model([images, labels], logits, name=name)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class BigGAN(ConditionalGAN):
    """BigGAN: class-conditional batch norm from a shared class embedding,
    hierarchical latent, residual blocks, spectral norm in G and D,
    self-attention, projection discriminator, hinge loss, orthogonal
    regularisation of G, EMA generator and the truncation trick.

    Args:
        num_classes, latent_dim, image_size (4 * 2^k), channels, width:
            as the other models; `width` is the channel count of the
            highest-resolution block (doubling towards 4x4).
        embedding_dim: size of the shared class embedding.
        attention_resolution: feature-map size that gets self-attention
            (None for none).
        orthogonal_weight: weight of BigGAN's orthogonal regulariser on G.
        d_steps: discriminator steps per generator step (2 in BigGAN).

    Example:

    >>> gan = kgz.BigGAN(num_classes=10, latent_dim=20, image_size=16, width=8)
    >>> gan.generate(4, labels=[0, 1, 2, 3], seed=0, truncation=0.5).shape
    (4, 16, 16, 1)
    """

    card_usage = ("images = model.generate(10, labels=range(10), seed=0, truncation=0.5)",
                  "model.fit(my_images, my_labels, epochs=5)  # the discriminator ships too")
    card_weights = ("the generator, the projection discriminator and the EMA generator; "
                    "`generate` samples from the EMA generator")
    truncation_argument = "truncation"
    tiny_config = {"num_classes": 3, "latent_dim": 12, "image_size": 16, "channels": 1, "width": 8,
                   "embedding_dim": 8, "attention_resolution": 8}

    default_loss = "hinge"

    def __init__(self, num_classes=10, latent_dim=120, image_size=32, channels=1, width=32,
                 embedding_dim=128, attention_resolution=16, orthogonal_weight=1e-4, d_steps=2,
                 ema_decay=0.9999, seed=None, **kwargs):
        kwargs.pop("discriminator", None)
        _num_blocks(int(image_size))
        self.attention_resolution = attention_resolution
        self.orthogonal_weight = float(orthogonal_weight)
        super().__init__(num_classes=num_classes, discriminator="projection",
                         embedding_dim=embedding_dim, latent_dim=latent_dim, image_size=image_size,
                         channels=channels, width=width, d_steps=d_steps, ema_decay=ema_decay,
                         seed=seed, **kwargs)

    def _build_generator(self, name):
        return build_biggan_generator(self.latent_dim, self.num_classes, self.image_size,
                                      self.channels, self.width, self.embedding_dim,
                                      self.attention_resolution, name=name)

    def _build_discriminator(self):
        return build_biggan_discriminator(self.num_classes, self.image_size, self.channels,
                                          self.width, self.attention_resolution)

    def default_optimizers(self):
        """Brock et al.: Adam(beta_1=0, beta_2=0.999), D 2e-4, G 5e-5."""
        return {
            "d": keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.999, name="d_adam"),
            "g": keras.optimizers.Adam(5e-5, beta_1=0.0, beta_2=0.999, name="g_adam"),
        }

    def generator_loss(self, batch):
        loss = super().generator_loss(batch)
        if self.orthogonal_weight:
            kernels = [v for v in self.generator.trainable_variables
                       if len(v.shape) >= 2 and "embedding" not in v.path]
            loss = loss + gan_losses.orthogonal_regularization(kernels, strength=self.orthogonal_weight)
        return loss

    def sample_latents(self, num_images, seed=None, truncation=None):
        """Gaussian latents (numpy); with `truncation`, values beyond
        +-truncation are resampled until none is left (the truncation trick)."""
        num_images = validation.check_count(num_images)
        rng = validation.random_generator(seed)
        z = rng.standard_normal((num_images, self.latent_dim)).astype("float32")
        if truncation is None:
            return z
        if not float(truncation) > 0:
            raise ValueError(f"truncation must be a positive threshold (e.g. 0.5); got {truncation}")
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > truncation
        return z

    def generate(self, num_images=None, labels=None, seed=None, latents=None, truncation=None,
                 batch_size=256, use_ema=True, output="uint8"):
        """As `ConditionalGAN.generate`, plus `truncation=` (e.g. 0.5): a
        smaller threshold trades variety for fidelity."""
        if latents is None and truncation is not None:
            n = len(self.check_labels(labels, num_images))
            latents = self.sample_latents(n, seed, truncation=truncation)
        return super().generate(num_images=num_images if latents is None else None, labels=labels,
                                seed=seed, latents=latents, batch_size=batch_size,
                                use_ema=use_ema, output=output)

    def get_config(self):
        config = super().get_config()
        config.pop("discriminator", None)
        config.update({"attention_resolution": self.attention_resolution,
                       "orthogonal_weight": self.orthogonal_weight})
        return config
