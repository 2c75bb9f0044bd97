"""Spectral norm, self-attention and conditional batch norm on every backend."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_gan_zoo.layers import ConditionalBatchNorm, SelfAttention, SNConv2D, SNDense


def test_spectral_norm_converges_to_the_largest_singular_value():
    layer = SNDense(6, use_bias=False)
    layer.build((None, 10))
    kernel = np.random.default_rng(0).normal(size=(10, 6)).astype("float32") * 3
    layer.kernel.assign(kernel)
    x = np.eye(10, dtype="float32")
    for _ in range(30):  # power iterations, one per training call
        layer(x, training=True)
    normalized = ops.convert_to_numpy(layer.normalized_kernel())
    assert np.linalg.svd(normalized, compute_uv=False)[0] == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), normalized, atol=1e-5)


def test_spectral_norm_in_inference_keeps_its_state_and_gradients_reach_the_kernel():
    layer = SNConv2D(4, 3, padding="same")
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    layer(x)
    u = ops.convert_to_numpy(layer.sn_u).copy()
    layer(x, training=False)
    np.testing.assert_array_equal(u, ops.convert_to_numpy(layer.sn_u))
    # Gradients reach the raw kernel through the normalisation: a plain fit moves it.
    model = keras.Sequential([keras.Input((8, 8, 3)), layer, keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    kernel = ops.convert_to_numpy(layer.kernel).copy()
    history = model.fit(x, np.ones((2, 1), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.allclose(kernel, ops.convert_to_numpy(layer.kernel))
    assert not np.array_equal(u, ops.convert_to_numpy(layer.sn_u))  # training advanced u


def test_self_attention_starts_as_the_identity_and_attends_once_gamma_moves():
    layer = SelfAttention()
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 16)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), x, atol=1e-6)
    layer.gamma.assign(1.0)
    assert not np.allclose(ops.convert_to_numpy(layer(x)), x)
    with pytest.raises(ValueError, match="at least 8 channels"):
        SelfAttention()(x[..., :4])


def test_conditional_batch_norm_depends_on_the_condition_after_training_its_projections():
    layer = ConditionalBatchNorm()
    x = np.random.default_rng(3).normal(size=(4, 4, 4, 5)).astype("float32")
    c = np.eye(4, dtype="float32")
    fresh = ops.convert_to_numpy(layer([x, c], training=True))
    plain = keras.layers.BatchNormalization(epsilon=1e-4, center=False, scale=False)
    np.testing.assert_allclose(fresh, ops.convert_to_numpy(plain(x, training=True)), atol=1e-5)
    layer.gain.kernel.assign(np.ones((4, 5), "float32"))
    out = ops.convert_to_numpy(layer([x, c], training=True))
    np.testing.assert_allclose(out[0], 2 * fresh[0], atol=1e-5)


def test_layers_serialize_in_a_functional_model(tmp_path):
    images = keras.Input((8, 8, 16))
    cond = keras.Input((3,))
    y = SNConv2D(16, 3, padding="same")(images)
    y = SelfAttention()(y)
    y = ConditionalBatchNorm()([y, cond])
    model = keras.Model([images, cond], SNDense(2)(keras.layers.Flatten()(y)))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = [np.random.default_rng(4).normal(size=(2, 8, 8, 16)).astype("float32"), np.eye(3, dtype="float32")[:2]]
    np.testing.assert_allclose(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)), atol=1e-5)


def test_token_embedding_can_start_its_positions_as_sinusoids():
    from keras_gan_zoo.layers import TokenEmbedding, sinusoids

    table = sinusoids(8, 6)
    # Vaswani et al.: PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d)).
    assert table[3, 2] == pytest.approx(np.sin(3 / 10000 ** (2 / 6)), abs=1e-6)
    assert table[3, 3] == pytest.approx(np.cos(3 / 10000 ** (2 / 6)), abs=1e-6)
    layer = TokenEmbedding(20, 8, 6, position_init="sinusoidal")
    ids = np.array([[5, 5, 5]], "int32")
    out = np.asarray(keras.ops.convert_to_numpy(layer(ids)))
    token = np.asarray(keras.ops.convert_to_numpy(layer.tokens(ids)))[0, 0] * np.sqrt(6)
    np.testing.assert_allclose(out[0] - token, table[:3], atol=1e-5)  # the same token, told apart by position
    default = TokenEmbedding(20, 8, 6)
    default(ids)
    assert np.abs(keras.ops.convert_to_numpy(default.positions.embeddings)).max() <= 0.05
    assert TokenEmbedding.from_config(layer.get_config()).position_init == "sinusoidal"
    with pytest.raises(ValueError, match="position_init must be one of"):
        TokenEmbedding(20, 8, 6, position_init="learned")


def _with_and_without_torch_fast_paths(run):
    """`run()` with gradients' PyTorch fast paths, then with Keras's own code."""
    from keras_gan_zoo import gradients

    fast = run()
    gradients.set_torch_fast_paths(False)
    try:
        keras_path = run()
    finally:
        gradients.set_torch_fast_paths(True)
    return fast, keras_path


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fix")
def test_torch_half_precision_conv_backward_with_and_without_fast_paths():
    """PyTorch's CPU half-precision convolution backward needs a contiguous
    kernel for some shapes (a 3x3 kernel onto one channel: "slow_conv2d:
    grad_weight must be contiguous", on Keras's own path as well);
    gradients' fix for that is no fast path, so it stays installed when the
    fast paths are switched off."""
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 8, 8, 4)).astype("float32")
    kernel = rng.normal(size=(3, 3, 4, 1)).astype("float32")

    def run():
        inputs = torch.tensor(x, dtype=torch.bfloat16, requires_grad=True)
        k = torch.tensor(kernel, requires_grad=True)  # float32 weights, cast as a mixed policy does
        y = keras.ops.conv(inputs, k.to(torch.bfloat16), strides=1, padding="same")
        grads = torch.autograd.grad(y.float().square().sum(), [inputs, k])
        return [g.float().numpy() for g in grads]

    fast, keras_path = _with_and_without_torch_fast_paths(run)
    for a, b in zip(fast, keras_path):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
def test_torch_channels_last_views_compute_what_keras_does():
    """gradients' torch fast path (no copies around 2-D convolutions) gives
    the outputs and gradients of Keras's own path."""
    import torch
    from keras.src.backend.torch import nn as torch_nn

    assert getattr(torch_nn._transpose_spatial_inputs, "keras_gan_zoo_fast_path", False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 9, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 5)).astype("float32")
    kernel_t = rng.normal(size=(4, 4, 3, 5)).astype("float32")

    def run():
        inputs = torch.tensor(x, requires_grad=True)
        k, kt = torch.tensor(kernel, requires_grad=True), torch.tensor(kernel_t, requires_grad=True)
        y = keras.ops.conv(inputs, k, strides=2, padding="same")
        y = keras.ops.conv_transpose(y, kt, strides=2, padding="same")
        y = keras.ops.average_pool(y, 2, padding="valid") + keras.ops.max_pool(y, 2, padding="same")
        loss = (y ** 2).sum()
        grads = torch.autograd.grad(loss, [inputs, k, kt])
        return [y.detach().numpy()] + [g.numpy() for g in grads]

    with_views, keras_path = _with_and_without_torch_fast_paths(run)
    for a, b in zip(with_views, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
@pytest.mark.parametrize("kernel_size,strides,padding,output_padding,dilation", [
    (4, 2, "same", None, 1), (3, 2, "same", None, 1), (5, 2, "same", None, 1),
    (4, 1, "same", None, 1), (3, 1, "valid", None, 1), (2, 3, "valid", None, 1),
    (3, 2, "same", 1, 1), (4, 2, "valid", 1, 1), (3, 1, "same", None, 2)])
def test_torch_conv_transpose_fast_path_computes_what_keras_does(
        kernel_size, strides, padding, output_padding, dilation):
    """Transposed convolutions through PyTorch's padding arguments give Keras's
    outputs and gradients for every crop, and a contiguous output where the
    fast path applies (kernel 4, stride 2, "same": the zoo's generators)."""
    import torch
    from keras.src.backend.torch import nn as torch_nn

    assert getattr(torch_nn.conv_transpose, "keras_gan_zoo_fast_path", False)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 6, 3)).astype("float32")
    kernel = rng.normal(size=(kernel_size, kernel_size, 4, 3)).astype("float32")
    upstream = None

    def run():
        nonlocal upstream
        inputs = torch.tensor(x, requires_grad=True)
        k = torch.tensor(kernel, requires_grad=True)
        y = keras.ops.conv_transpose(inputs, k, strides=strides, padding=padding,
                                     output_padding=output_padding, dilation_rate=dilation)
        if upstream is None:
            upstream = torch.tensor(rng.normal(size=tuple(y.shape)).astype("float32"))
        grads = torch.autograd.grad((y * upstream).sum(), [inputs, k])
        return [y.detach().numpy(), y.is_contiguous()] + [g.numpy() for g in grads]

    fast, keras_path = _with_and_without_torch_fast_paths(run)
    assert fast[0].shape == keras_path[0].shape
    for a, b in zip(fast[:1] + fast[2:], keras_path[:1] + keras_path[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    if (kernel_size, strides, padding) == (4, 2, "same"):
        assert fast[1] and not keras_path[1]
    with pytest.raises(ValueError):  # a channel mismatch keeps Keras's error
        keras.ops.conv_transpose(torch.tensor(x), torch.tensor(kernel[..., :2]), strides=2)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
@pytest.mark.parametrize("scale_center", [True, False])
@pytest.mark.parametrize("shape", [(4, 5, 6, 3), (12, 3)])
def test_torch_fused_batch_norm_computes_what_keras_does(scale_center, shape):
    """The fused training-mode batch norm gives Keras's outputs, gradients
    (input, gamma, beta) and moving statistics (biased variance, Keras's
    momentum), and leaves inference to Keras's path."""
    import torch

    assert getattr(keras.layers.BatchNormalization.call, "keras_gan_zoo_fast_path", False)
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * [1.0, 3.0, 0.1] + [0.0, 2.0, -1.0]).astype("float32")
    x[..., 2] = 0.5  # a constant channel: zero variance
    upstream = rng.normal(size=x.shape).astype("float32")

    def run():
        layer = keras.layers.BatchNormalization(momentum=0.8, epsilon=1e-3, scale=scale_center,
                                                center=scale_center)
        layer.build(x.shape)
        if scale_center:
            layer.gamma.assign(np.array([1.5, 0.5, -0.7], "float32"))
            layer.beta.assign(np.array([0.1, -0.2, 0.3], "float32"))
        inputs = torch.tensor(x, requires_grad=True)
        y = layer(inputs, training=True)
        y = layer(inputs * 2.0, training=True)  # two updates of the moving statistics
        params = [inputs] + ([layer.gamma.value, layer.beta.value] if scale_center else [])
        grads = torch.autograd.grad((y * torch.tensor(upstream)).sum(), params)
        inference = layer(torch.tensor(x), training=False)
        return ([y.detach().numpy(), inference.detach().numpy(), layer.moving_mean.numpy(),
                 layer.moving_variance.numpy()] + [g.numpy() for g in grads])

    fast, keras_path = _with_and_without_torch_fast_paths(run)
    for a, b in zip(fast, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


class _Doubling(keras.layers.Layer):
    """A layer of this package's kind (not a plain Keras one): Keras's path."""

    def call(self, inputs, training=None):
        return inputs * (2.0 if training else 1.0)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
def test_torch_direct_layer_calls_compute_what_keras_does(monkeypatch):
    """A functional model, and its plain Keras layers, run by their `call`
    (skipping `Layer.__call__`) give Keras's outputs, gradients, batch-norm statistics
    and dropout masks, in training and inference; other layers, mixed-precision
    layers and calls without a `training` flag keep Keras's path."""
    import torch

    from keras_gan_zoo import gradients

    assert getattr(keras.src.models.functional.Functional.call, "keras_gan_zoo_fast_path", False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6)).astype("float32")

    def build():
        keras.utils.set_random_seed(1)
        inputs = keras.Input((6,))
        h = keras.layers.Dense(2 * 2 * 8)(inputs)
        h = keras.layers.Reshape((2, 2, 8))(h)
        h = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)
        h = keras.layers.BatchNormalization(momentum=0.5)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
        h = _Doubling()(h)
        skip = keras.layers.Conv2D(4, 1, dtype="mixed_bfloat16")(h)  # mixed precision: Keras's path
        h = keras.layers.Concatenate()([h, keras.layers.Activation("linear", dtype="float32")(skip)])
        h = keras.layers.Dropout(0.5, seed=3)(keras.layers.Flatten()(h))
        outputs = keras.layers.Dense(1)(h)
        return keras.Model(inputs, outputs)

    model_calls = []  # calls through Keras's `__call__` (and so PyTorch's module call)

    def run():
        model = build()
        model.register_forward_pre_hook(lambda module, args: model_calls.append(module.name))
        inputs = torch.tensor(x)
        y = model(inputs, training=True)
        grads = torch.autograd.grad(y.sum(), [w.value for w in model.trainable_weights])
        return ([y.detach().numpy(), model(inputs, training=False).detach().numpy(),
                 model(inputs).detach().numpy()]
                + [w.numpy() for w in model.non_trainable_weights] + [g.numpy() for g in grads])

    plain_calls = []
    keras_call = keras.layers.Layer.__call__

    def counting(self, *args, **kwargs):
        if type(self) is keras.layers.Dense:
            plain_calls.append(self.name)
        return keras_call(self, *args, **kwargs)

    monkeypatch.setattr(keras.layers.Layer, "__call__", counting)
    fast = run()
    direct_dense_calls, direct_model_calls = len(plain_calls), len(model_calls)
    gradients.set_torch_fast_paths(False)
    try:
        keras_path = run()
    finally:
        gradients.set_torch_fast_paths(True)
    # Building calls each Dense once; with the fast path, only the call without
    # `training` (Keras's path) calls them again.
    assert direct_dense_calls == 2 + 2
    assert len(plain_calls) - direct_dense_calls == 2 + 3 * 2
    # The model itself: only the call without `training` goes through `Layer.__call__`.
    assert (direct_model_calls, len(model_calls) - direct_model_calls) == (1, 3)
    assert len(fast) == len(keras_path)
    for a, b in zip(fast, keras_path):  # (batch-norm's beta gradients are ~1e-6 of rounding)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
def test_torch_fast_paths_train_a_dcgan_to_the_same_weights():
    """A few `fit` steps of a tiny DCGAN end with the same weights (both players,
    the EMA generator, batch-norm statistics) with the fast paths and without."""
    import keras_gan_zoo as kgz

    images = np.random.default_rng(0).integers(0, 256, (12, 16, 16, 1), "uint8")

    def run():
        keras.utils.set_random_seed(0)
        model = kgz.DCGAN(latent_dim=8, image_size=16, channels=1, width=4)
        model.compile()
        model.fit(images, batch_size=4, epochs=1, verbose=0, shuffle=False)
        return [keras.ops.convert_to_numpy(w) for w in model.weights]

    fast, keras_path = _with_and_without_torch_fast_paths(run)
    assert len(fast) == len(keras_path) > 10
    for a, b in zip(fast, keras_path):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="a PyTorch-only fast path")
@pytest.mark.parametrize("tensor_decay", [False, True])
def test_torch_foreach_ema_update_computes_what_keras_does(tensor_decay):
    """The multi-tensor EMA update moves trainable EMA weights by the same rule
    as the generic one (a float or a tensor decay) and copies the rest; the
    sources are left alone."""
    from keras_gan_zoo import gradients

    assert getattr(gradients.ema_update, "keras_gan_zoo_fast_path", False)  # installed on import

    def run():
        rng = np.random.default_rng(0)
        sources = [keras.Variable(rng.normal(size=shape).astype("float32"), trainable=trainable)
                   for shape, trainable in (((3, 4), True), ((4,), True), ((4,), False))]
        emas = [keras.Variable(rng.normal(size=v.shape).astype("float32"), trainable=False) for v in sources]
        decay = ops.minimum(0.9, ops.convert_to_tensor(0.75)) if tensor_decay else 0.9
        before = [keras.ops.convert_to_numpy(v) for v in sources + emas]
        gradients.ema_update(list(zip(sources, emas)), decay)
        for old, v in zip(before, sources):
            np.testing.assert_array_equal(old, keras.ops.convert_to_numpy(v))
        return before, [keras.ops.convert_to_numpy(v) for v in emas]

    (before, fast), (_, keras_path) = _with_and_without_torch_fast_paths(run)
    weight = 0.25 if tensor_decay else 0.1
    expected = [e + weight * (s - e) for s, e in zip(before[:2], before[3:5])]
    for a, b, c in zip(fast[:2], keras_path[:2], expected):
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(b, c, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(fast[2], before[2])  # non-trainable state: copied
    np.testing.assert_array_equal(keras_path[2], before[2])
