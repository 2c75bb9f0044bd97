"""Building blocks the families share, in `keras.ops` only.

- `SNDense`, `SNConv2D`: spectral normalisation (Miyato et al. 2018). The
  kernel is divided by its largest singular value, estimated with one power
  iteration per training call; the division is part of the forward pass, so
  gradients reach the raw kernel through it (the running vector `u` is a
  non-trainable state variable, updated only in training).
- `SelfAttention`: the SAGAN block (Zhang et al. 2019), output
  `x + gamma * attention(x)` with gamma starting at 0.
- `ConditionalBatchNorm`: batch norm without its own affine part, followed
  by a per-sample gain and bias projected from a conditioning vector (BigGAN
  feeds the shared class embedding and a chunk of z).
- `gan_normal`, `power_of_two_depth`, `build_patch_discriminator` (the
  PatchGAN of pix2pix and CycleGAN, Isola et al. 2017).
- StyleGAN2 (Karras et al. 2020): `EqualizedDense` / `EqualizedConv2D`
  (equalised learning rate), `ModulatedConv2D` (weight modulation and
  demodulation with per-pixel noise), `ConstantInput`, `MinibatchStdDev`
  and `WAverage` (the running mean of W used by the truncation trick).

Example:

>>> x = keras.Input((16, 16, 32))
>>> y = SNConv2D(64, 3, padding="same")(x)
>>> y = SelfAttention()(y)
"""

import math

import keras
import numpy as np
from keras import layers, ops


def gan_normal():
    """N(0, 0.02) weights (Radford et al. 2015; also pix2pix and CycleGAN)."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def power_of_two_depth(image_size, min_size=8):
    """log2(image_size), checked: a power of two >= min_size."""
    depth = math.log2(image_size) if image_size > 0 else -1
    if image_size < min_size or depth != int(depth):
        raise ValueError(f"image_size must be a power of two >= {min_size}; got {image_size}")
    return int(depth)


def build_patch_discriminator(image_size, channels, width=64, num_layers=3, norm="batch",
                              name="discriminator"):
    """PatchGAN: `num_layers` stride-2 4x4 convs, one stride-1 conv and a
    1-channel conv, so each output logit judges one patch (70x70 pixels
    for num_layers=3, 34x34 for 2). `channels` counts every input plane
    (pix2pix feeds input and output images concatenated)."""
    power_of_two_depth(image_size)
    images = keras.Input((image_size, image_size, channels), name="images")
    x = images

    def normalize(x):
        if norm == "batch":
            return layers.BatchNormalization()(x)
        return layers.GroupNormalization(groups=-1, epsilon=1e-5)(x)  # instance norm

    for i in range(num_layers):
        x = layers.Conv2D(width * 2 ** min(i, 3), 4, strides=2, padding="same", use_bias=i == 0,
                          kernel_initializer=gan_normal())(x)
        x = normalize(x) if i > 0 else x
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(width * 2 ** min(num_layers, 3), 4, padding="same", use_bias=False,
                      kernel_initializer=gan_normal())(x)
    x = layers.LeakyReLU(0.2)(normalize(x))
    logits = layers.Conv2D(1, 4, padding="same", kernel_initializer=gan_normal(), dtype="float32")(x)
    return keras.Model(images, logits, name=name)


def _l2_normalize(x, eps=1e-12):
    return x / ops.sqrt(ops.sum(ops.square(x)) + eps)


class _SpectralNorm:
    """Mixin: `self.kernel` -> kernel / sigma, with the power-iteration state."""

    def _build_spectral_state(self, units):
        self.sn_u = self.add_weight(
            shape=(1, units), initializer=keras.initializers.RandomNormal(0.0, 1.0),
            trainable=False, name="sn_u",
        )

    def normalized_kernel(self, training=False):
        units = ops.shape(self.kernel)[-1]
        w = ops.reshape(self.kernel, (-1, units))
        u = ops.convert_to_tensor(self.sn_u.value)
        v = ops.stop_gradient(_l2_normalize(ops.matmul(u, ops.transpose(w))))
        u = ops.stop_gradient(_l2_normalize(ops.matmul(v, w)))
        sigma = ops.maximum(ops.sum(ops.matmul(v, w) * u), 1e-12)
        if training:
            self.sn_u.assign(u)
        return self.kernel / sigma

    # Dense/Conv2D save only kernel and bias; the base layer saves every variable.
    def save_own_variables(self, store):
        layers.Layer.save_own_variables(self, store)

    def load_own_variables(self, store):
        layers.Layer.load_own_variables(self, store)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SNDense(_SpectralNorm, layers.Dense):
    """`keras.layers.Dense` with a spectrally normalised kernel."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral_state(self.units)

    def call(self, inputs, training=False):
        x = ops.matmul(inputs, self.normalized_kernel(training))
        if self.use_bias:
            x = x + self.bias
        return self.activation(x) if self.activation is not None else x


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SNConv2D(_SpectralNorm, layers.Conv2D):
    """`keras.layers.Conv2D` with a spectrally normalised kernel."""

    def build(self, input_shape):
        super().build(input_shape)
        self._build_spectral_state(self.filters)

    def call(self, inputs, training=False):
        x = self.convolution_op(inputs, self.normalized_kernel(training))
        if self.use_bias:
            x = x + self.bias
        return self.activation(x) if self.activation is not None else x


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class SelfAttention(layers.Layer):
    """SAGAN self-attention over the spatial positions of a feature map.

    Queries and keys use `channels // 8` channels, values `channels // 2`;
    keys and values are max-pooled 2x2 as in BigGAN. `gamma` starts at 0,
    so a fresh block is the identity.
    """

    def __init__(self, spectral_norm=True, **kwargs):
        super().__init__(**kwargs)
        self.spectral_norm = spectral_norm

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels < 8:
            raise ValueError(f"SelfAttention needs at least 8 channels; got {channels}")
        conv = SNConv2D if self.spectral_norm else layers.Conv2D
        self.query = conv(channels // 8, 1, use_bias=False, name="query")
        self.key = conv(channels // 8, 1, use_bias=False, name="key")
        self.value = conv(channels // 2, 1, use_bias=False, name="value")
        self.out = conv(channels, 1, use_bias=False, name="out")
        self.query.build(input_shape)
        self.key.build(input_shape)
        self.value.build(input_shape)
        self.out.build(tuple(input_shape[:-1]) + (channels // 2,))
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x, training=False):
        h, w, c = ops.shape(x)[1], ops.shape(x)[2], ops.shape(x)[3]
        pool = lambda t: ops.max_pool(t, 2, 2) if (h % 2 == 0 and w % 2 == 0) else t
        q = ops.reshape(self.query(x, training=training), (-1, h * w, c // 8))
        k = pool(self.key(x, training=training))
        v = pool(self.value(x, training=training))
        k = ops.reshape(k, (-1, ops.shape(k)[1] * ops.shape(k)[2], c // 8))
        v = ops.reshape(v, (-1, ops.shape(v)[1] * ops.shape(v)[2], c // 2))
        attention = ops.softmax(ops.matmul(q, ops.transpose(k, (0, 2, 1))), axis=-1)
        o = ops.reshape(ops.matmul(attention, v), (-1, h, w, c // 2))
        return x + self.gamma * self.out(o, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "spectral_norm": self.spectral_norm}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ConditionalBatchNorm(layers.Layer):
    """Batch norm whose gain (1 + g) and bias b are linear in a conditioning
    vector: `call([x, condition])`. The projections start at zero (so a
    fresh layer is plain batch norm) and are plain dense layers: a
    spectrally normalised zero kernel has no singular value to divide by."""

    def __init__(self, momentum=0.99, epsilon=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.momentum, self.epsilon = momentum, epsilon

    def build(self, input_shape):
        x_shape, c_shape = input_shape
        channels = x_shape[-1]
        self.norm = layers.BatchNormalization(momentum=self.momentum, epsilon=self.epsilon,
                                              center=False, scale=False, name="norm")
        self.norm.build(x_shape)
        self.gain = layers.Dense(channels, kernel_initializer="zeros", name="gain")
        self.bias = layers.Dense(channels, kernel_initializer="zeros", name="bias")
        self.gain.build(c_shape)
        self.bias.build(c_shape)

    def call(self, inputs, training=False):
        x, condition = inputs
        x = self.norm(x, training=training)
        gain = 1.0 + self.gain(condition, training=training)
        bias = self.bias(condition, training=training)
        return x * gain[:, None, None, :] + bias[:, None, None, :]

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


def _leaky_relu_gain(x):
    # StyleGAN's lrelu keeps unit variance: leaky_relu(x, 0.2) * sqrt(2).
    return ops.leaky_relu(x, 0.2) * 1.4142135623730951


ACTIVATIONS = {"linear": lambda x: x, "lrelu": _leaky_relu_gain}


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class EqualizedDense(layers.Layer):
    """Dense layer with an equalised learning rate (Karras et al. 2018).

    The kernel is stored as N(0, 1 / lr_multiplier) and scaled at run time by
    `lr_multiplier / sqrt(fan_in)`, so Adam's step is the same relative size
    for every layer; `lr_multiplier=0.01` slows the mapping network as in
    StyleGAN. `bias_initializer` is a constant (1 for style affines).
    """

    def __init__(self, units, lr_multiplier=1.0, bias_initializer=0.0, activation="linear",
                 use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.lr_multiplier = float(lr_multiplier)
        self.bias_initializer = float(bias_initializer)
        self.activation = activation
        self.use_bias = use_bias
        self._act = _activation(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = self.lr_multiplier / fan_in**0.5
        self.kernel = self.add_weight(
            shape=(fan_in, self.units), name="kernel",
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier))
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), name="bias",
                initializer=keras.initializers.Constant(self.bias_initializer / self.lr_multiplier))

    def call(self, x):
        x = ops.matmul(x, self.kernel * self.scale)
        if self.use_bias:
            x = x + self.bias * self.lr_multiplier
        return self._act(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "lr_multiplier": self.lr_multiplier,
                "bias_initializer": self.bias_initializer, "activation": self.activation,
                "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class EqualizedConv2D(layers.Layer):
    """Convolution ("same" padding) with an equalised learning rate;
    `down=True` halves the resolution first (2x2 average pooling, standing
    in for StyleGAN2's blur + stride-2 convolution)."""

    def __init__(self, filters, kernel_size, activation="linear", use_bias=True, down=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.activation, self.use_bias, self.down = activation, use_bias, down
        self._act = _activation(activation)

    def build(self, input_shape):
        fan_in = int(input_shape[-1]) * self.kernel_size**2
        self.scale = 1.0 / fan_in**0.5
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0), name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, x):
        if self.down:
            x = ops.average_pool(x, 2, 2)
        x = ops.conv(x, self.kernel * self.scale, padding="same")
        if self.use_bias:
            x = x + self.bias
        return self._act(x)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        if self.down:
            h, w = (None if h is None else h // 2), (None if w is None else w // 2)
        return (n, h, w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "activation": self.activation, "use_bias": self.use_bias, "down": self.down}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ModulatedConv2D(layers.Layer):
    """StyleGAN2's modulated convolution: `call([x, w])` or, with
    `noise=True`, `call([x, w, noise])`.

    A style `s = A(w)` (an `EqualizedDense` with bias 1) scales the input
    channels; with `demodulate`, each output channel of each sample is
    divided by the norm of its modulated kernel,
    `d = 1 / sqrt(sum_{i,k} (s_i * W_ikj)^2 + 1e-8)`. Scaling the activations
    instead of the kernel (StyleGAN2's non-fused path) gives the same result
    with one shared kernel, so no grouped convolution is needed on any
    backend. Then per-pixel noise times a learned per-channel strength
    (starting at 0), a bias and the activation. `up=True` upsamples the
    input 2x (bilinear) before the convolution.
    """

    def __init__(self, filters, kernel_size, demodulate=True, up=False, noise=False,
                 activation="lrelu", **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = int(filters), int(kernel_size)
        self.demodulate, self.up, self.noise = demodulate, up, noise
        self.activation = activation
        self._act = _activation(activation)

    def build(self, input_shape):
        x_shape, w_shape = input_shape[0], input_shape[1]
        in_channels = int(x_shape[-1])
        self.affine = EqualizedDense(in_channels, bias_initializer=1.0, name="affine")
        self.affine.build(w_shape)
        self.scale = 1.0 / (in_channels * self.kernel_size**2) ** 0.5
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0), name="kernel")
        if self.noise:
            self.noise_strength = self.add_weight(shape=(), initializer="zeros", name="noise_strength")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, inputs):
        x, w = inputs[0], inputs[1]
        styles = self.affine(w)
        kernel = self.kernel * self.scale
        x = x * styles[:, None, None, :]
        if self.up:
            height, width = ops.shape(x)[1], ops.shape(x)[2]
            x = ops.image.resize(x, (2 * height, 2 * width), interpolation="bilinear")
        x = ops.conv(x, kernel, padding="same")
        if self.demodulate:
            norms = ops.matmul(ops.square(styles), ops.sum(ops.square(kernel), axis=(0, 1)))
            x = x * ops.rsqrt(norms + 1e-8)[:, None, None, :]
        if self.noise:
            x = x + self.noise_strength * inputs[2]
        return self._act(x + self.bias)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape[0]
        if self.up:
            h, w = (None if h is None else 2 * h), (None if w is None else 2 * w)
        return (n, h, w, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "demodulate": self.demodulate, "up": self.up, "noise": self.noise,
                "activation": self.activation}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ConstantInput(layers.Layer):
    """StyleGAN's learned constant input, repeated over the batch of `call(reference)`."""

    def __init__(self, size, channels, **kwargs):
        super().__init__(**kwargs)
        self.size, self.channels = int(size), int(channels)

    def build(self, input_shape):
        self.constant = self.add_weight(shape=(self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(0.0, 1.0),
                                        name="constant")

    def call(self, reference):
        batch = ops.shape(reference)[0]
        return ops.broadcast_to(self.constant[None], (batch, self.size, self.size, self.channels))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "channels": self.channels}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class MinibatchStdDev(layers.Layer):
    """Minibatch standard deviation (Karras et al. 2018): appends one feature
    map holding the average standard deviation of the features within a
    group of samples, so D can see a lack of variety.

    Sample i belongs to group `i % group_size`; the group statistics are
    computed with one-hot matrices, so any batch size works (StyleGAN2
    requires the batch to be divisible by the group size).
    """

    def __init__(self, group_size=4, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)

    def call(self, x):
        batch = ops.shape(x)[0]
        groups = ops.one_hot(ops.mod(ops.arange(batch), self.group_size), self.group_size)
        counts = ops.maximum(ops.sum(groups, axis=0), 1.0)[:, None]
        # The statistics in float32 under mixed precision too: a variance in
        # bfloat16 keeps about three significant digits.
        flat = ops.cast(ops.reshape(x, (batch, -1)), "float32")
        group_means = ops.matmul(ops.transpose(groups), flat) / counts
        deviations = flat - ops.matmul(groups, group_means)
        group_vars = ops.matmul(ops.transpose(groups), ops.square(deviations)) / counts
        group_stat = ops.mean(ops.sqrt(group_vars + 1e-8), axis=1, keepdims=True)
        stat = ops.matmul(groups, group_stat)  # (batch, 1)
        feature = ops.ones_like(x[..., :1]) * ops.cast(stat[:, None, None, :], x.dtype)
        return ops.concatenate([x, feature], axis=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (input_shape[-1] + 1,)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class WAverage(layers.Layer):
    """Identity on W that, in training, tracks the running mean of W
    (`w_avg <- beta * w_avg + (1 - beta) * mean(w)`): the centre that
    the truncation trick pulls styles towards."""

    def __init__(self, beta=0.995, **kwargs):
        super().__init__(**kwargs)
        self.beta = float(beta)

    def build(self, input_shape):
        self.w_avg = self.add_weight(shape=(int(input_shape[-1]),), initializer="zeros",
                                     trainable=False, name="w_avg")

    def call(self, w, training=False):
        if training:
            batch_mean = ops.stop_gradient(ops.mean(w, axis=0))
            self.w_avg.assign(self.beta * self.w_avg + (1.0 - self.beta) * batch_mean)
        return w

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


# ---- Transformer (Vaswani et al. 2017), pre-layer-norm, for seq2seq -------------

POSITION_INITS = ("uniform", "sinusoidal")


def sinusoids(length, dim):
    """Vaswani et al.'s position encodings, (length, dim): sin on even
    channels, cos on odd ones, wavelengths from 2*pi to 10000*2*pi."""
    positions = np.arange(length)[:, None]
    rates = 1.0 / 10000 ** (2 * (np.arange(dim) // 2) / dim)
    angles = positions * rates[None, :]
    return np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles)).astype("float32")


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class TokenEmbedding(layers.Layer):
    """Token embedding scaled by sqrt(dim) plus a learned position embedding.

    `position_init` sets where the learned positions start: `"uniform"`
    (Keras's default, +-0.05: about a tenth of the scaled token vectors, so
    attention by position has to be learned from almost nothing) or
    `"sinusoidal"` (Vaswani et al.'s encodings, as large as the token
    vectors, so the decoder can attend by position from the first step).
    """

    def __init__(self, vocab_size, max_length, dim, position_init="uniform", **kwargs):
        super().__init__(**kwargs)
        if position_init not in POSITION_INITS:
            raise ValueError(f"position_init must be one of {POSITION_INITS}; got {position_init!r}")
        self.vocab_size, self.max_length, self.dim = int(vocab_size), int(max_length), int(dim)
        self.position_init = position_init
        self.tokens = layers.Embedding(self.vocab_size, self.dim, name="tokens")
        self.positions = layers.Embedding(self.max_length, self.dim, name="positions")

    def build(self, input_shape):
        self.tokens.build(input_shape)
        self.positions.build(input_shape)
        if self.position_init == "sinusoidal":
            self.positions.embeddings.assign(sinusoids(self.max_length, self.dim))
        self.built = True

    def call(self, token_ids):
        positions = ops.arange(ops.shape(token_ids)[1])
        return self.tokens(token_ids) * (self.dim ** 0.5) + self.positions(positions)[None]

    def embed_at(self, token_ids, position):
        """Embedding of one token per row, (B,) ids at `position` (an int or
        a scalar tensor) -> (B, 1, dim)."""
        x = self.tokens(ops.expand_dims(token_ids, 1)) * (self.dim ** 0.5)
        return x + self.positions(ops.reshape(ops.cast(position, "int32"), (1,)))[None]

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size,
                "max_length": self.max_length, "dim": self.dim, "position_init": self.position_init}


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class TransformerLayer(layers.Layer):
    """One pre-norm Transformer layer: self-attention (causal for a decoder),
    optional cross-attention to an encoder's outputs, and a feed-forward
    block, each residual. Padding (token id 0) is masked out of every key.

    Call with `[x, token_ids]` (encoder) or `[x, token_ids, memory,
    memory_token_ids]` (decoder, `cross_attention=True`).
    """

    def __init__(self, dim, heads, ff_dim, dropout=0.1, causal=False, cross_attention=False, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads, self.ff_dim = int(dim), int(heads), int(ff_dim)
        self.dropout, self.causal, self.cross_attention = float(dropout), bool(causal), bool(cross_attention)
        key_dim = self.dim // self.heads
        self.self_norm = layers.LayerNormalization(epsilon=1e-5, name="self_norm")
        self.self_attention = layers.MultiHeadAttention(self.heads, key_dim, dropout=self.dropout,
                                                        name="self_attention")
        if self.cross_attention:
            self.cross_norm = layers.LayerNormalization(epsilon=1e-5, name="cross_norm")
            self.cross = layers.MultiHeadAttention(self.heads, key_dim, dropout=self.dropout,
                                                   name="cross_attention")
        self.ff_norm = layers.LayerNormalization(epsilon=1e-5, name="ff_norm")
        self.ff_in = layers.Dense(self.ff_dim, activation="relu", name="ff_in")
        self.ff_out = layers.Dense(self.dim, name="ff_out")
        self.drop = layers.Dropout(self.dropout)

    def build(self, input_shape):
        shape = input_shape[0]
        self.self_norm.build(shape)
        self.self_attention.build(shape, shape)
        if self.cross_attention:
            self.cross_norm.build(shape)
            self.cross.build(shape, input_shape[2])
        self.ff_norm.build(shape)
        self.ff_in.build(shape)
        self.ff_out.build(shape[:-1] + (self.ff_dim,))
        self.built = True

    @staticmethod
    def key_mask(token_ids):
        """(B, 1, S): True where a key is a real token."""
        return ops.expand_dims(ops.not_equal(token_ids, 0), 1)

    def call(self, inputs, training=False):
        x, token_ids = inputs[0], inputs[1]
        h = self.self_norm(x)
        h = self.self_attention(h, h, attention_mask=self.key_mask(token_ids),
                                use_causal_mask=self.causal, training=training)
        x = x + self.drop(h, training=training)
        if self.cross_attention:
            memory, memory_ids = inputs[2], inputs[3]
            h = self.cross(self.cross_norm(x), memory, attention_mask=self.key_mask(memory_ids),
                           training=training)
            x = x + self.drop(h, training=training)
        h = self.ff_out(self.drop(self.ff_in(self.ff_norm(x)), training=training))
        return x + self.drop(h, training=training)

    def start_cache(self, batch, length, memory=None):
        """The cache that `decode_step` starts from, for `batch` rows of up to
        `length` positions: room for each position's self-attention key and
        value (projected once, when its position is decoded) and, with
        cross-attention, the keys and values of `memory` (the encoder's
        outputs), projected once for the whole decoding."""
        shape = (batch, length, self.heads, self.dim // self.heads)
        cache = {"key": ops.zeros(shape), "value": ops.zeros(shape)}
        if self.cross_attention:
            cache["memory_key"] = self.cross.key_dense(memory)
            cache["memory_value"] = self.cross.value_dense(memory)
        return cache

    def decode_step(self, x, position, cache, memory_ids=None):
        """Inference for one position of a causal layer, given the earlier ones.

        Args:
            x: (B, 1, dim), this layer's input at `position`.
            position: the position (an int or a scalar int tensor).
            cache: from `start_cache`, or as this method returned it for the
                position before; returned with `position`'s key and value added.
            memory_ids: the source ids (cross-attention reads only real tokens).

        Returns:
            (output (B, 1, dim), updated cache). Equals row `position` of
            `call` on the whole prefix, when the prefix holds no padding.
        """
        if not self.causal:
            raise ValueError("decode_step is for causal (decoder) layers")
        h = self.self_norm(x)
        attention = self.self_attention
        start = (0, position, 0, 0)
        cache = {**cache, "key": ops.slice_update(cache["key"], start, attention.key_dense(h)),
                 "value": ops.slice_update(cache["value"], start, attention.value_dense(h))}
        visible = ops.less_equal(ops.arange(ops.shape(cache["key"])[1]), position)[None, :]
        x = x + self._attend(attention, h, cache["key"], cache["value"], visible)
        if self.cross_attention:
            x = x + self._attend(self.cross, self.cross_norm(x), cache["memory_key"],
                                 cache["memory_value"], ops.not_equal(memory_ids, 0))
        return x + self.ff_out(self.ff_in(self.ff_norm(x))), cache

    def _attend(self, attention, query, key, value, visible):
        """`attention` (a MultiHeadAttention, inference) of `query` (B, 1, dim)
        over keys and values it has already projected (B, L, heads, key_dim);
        `visible` (B or 1, L) is True where a key may be read."""
        query = attention.query_dense(query) * (1.0 / math.sqrt(self.dim // self.heads))
        scores = ops.einsum("bqhk,blhk->bhql", query, key)
        scores = ops.where(visible[:, None, None, :], scores, -1e9)
        return attention.output_dense(ops.einsum("bhql,blhk->bqhk", ops.softmax(scores, axis=-1), value))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads, "ff_dim": self.ff_dim,
                "dropout": self.dropout, "causal": self.causal,
                "cross_attention": self.cross_attention}
