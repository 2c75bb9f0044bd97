"""Building blocks of the large GANs (BigGAN, SAGAN, StyleGAN), in `keras.ops` only.

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

Example:

>>> x = keras.Input((16, 16, 32))
>>> y = SNConv2D(64, 3, padding="same")(x)
>>> y = SelfAttention()(y)
"""

import keras
from keras import layers, ops


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
