"""StyleGAN2: the parts, the game and the sampling tools on every backend (tiny configuration)."""

import inspect

import keras
import numpy as np
import pytest
from keras import ops

import keras_gan_zoo as kgz
from conftest import count_changed, weights_of
from keras_gan_zoo import losses as gan_losses
from keras_gan_zoo.layers import MinibatchStdDev, ModulatedConv2D

STINY = dict(latent_dim=12, w_dim=12, image_size=16, channels=1, width=8, max_width=16,
             mapping_layers=3, r1_interval=2)


@pytest.fixture
def images(tiny_images):
    return tiny_images[:32]


def _stylegan(**overrides):
    keras.utils.set_random_seed(0)
    return kgz.StyleGAN(**{**STINY, "seed": 0, **overrides})


def _set_noise_strength(model, value):
    for network in (model.generator, model.ema_generator):
        for variable in network.weights:
            if "noise_strength" in variable.path:
                variable.assign(value)


def test_architecture_has_the_stylegan2_parts():
    model = _stylegan()
    mapping = [type(layer).__name__ for layer in model.mapping_network.layers]
    assert mapping.count("EqualizedDense") == 3 and "WAverage" in mapping
    synthesis = model.synthesis_network
    convs = [layer for layer in synthesis.layers if isinstance(layer, ModulatedConv2D)]
    # 16x16: conv at 4x4, two per block at 8 and 16, one toRGB per resolution.
    assert sum(c.demodulate for c in convs) == 5 and sum(not c.demodulate for c in convs) == 3
    assert sum(c.noise for c in convs) == 5 == len(model.noise_shapes)
    assert model.num_ws == 6 and "ConstantInput" in [type(layer).__name__ for layer in synthesis.layers]
    assert "MinibatchStdDev" in [type(layer).__name__ for layer in model.discriminator.layers]
    assert model.default_loss == "non_saturating"
    assert inspect.signature(kgz.StyleGAN).parameters["mapping_layers"].default == 8


def test_modulated_conv_equals_per_sample_modulated_kernels():
    """Scaling activations (as here) must equal StyleGAN2's per-sample
    modulated and demodulated kernels."""
    rng = np.random.default_rng(0)
    layer = ModulatedConv2D(5, 3)
    x = rng.normal(size=(2, 6, 6, 4)).astype("float32")
    w = rng.normal(size=(2, 7)).astype("float32")
    out = ops.convert_to_numpy(layer([x, w]))
    styles = ops.convert_to_numpy(layer.affine(w))
    kernel = ops.convert_to_numpy(layer.kernel) * layer.scale
    bias = ops.convert_to_numpy(layer.bias)
    for i in range(2):
        modulated = kernel * styles[i][None, None, :, None]
        modulated = modulated / np.sqrt(np.sum(modulated**2, axis=(0, 1, 2), keepdims=True) + 1e-8)
        ref = ops.convert_to_numpy(ops.conv(x[i:i + 1], modulated, padding="same"))[0] + bias
        ref = np.where(ref > 0, ref, 0.2 * ref) * np.sqrt(2.0)
        np.testing.assert_allclose(out[i], ref, atol=1e-4)


@pytest.mark.parametrize("batch", [5, 8])
def test_minibatch_stddev_groups_any_batch_size(batch):
    x = np.random.default_rng(1).normal(size=(batch, 2, 2, 3)).astype("float32")
    out = ops.convert_to_numpy(MinibatchStdDev(4)(x))
    assert out.shape == (batch, 2, 2, 4)
    np.testing.assert_array_equal(out[..., :3], x)
    for i in range(batch):
        group = x[np.arange(batch) % 4 == i % 4]
        expected = np.mean(np.sqrt(group.var(axis=0) + 1e-8))
        np.testing.assert_allclose(out[i, ..., 3], expected, rtol=1e-4)


def test_fit_updates_both_networks_and_tracks_the_mean_of_w(images):
    model = _stylegan()
    g0, d0 = weights_of(model.generator), weights_of(model.discriminator)
    w_avg = model.mapping_network.get_layer("w_average").w_avg
    model.compile()
    history = model.fit(images, batch_size=8, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert count_changed(model.generator, g0) > len(g0) // 2
    assert count_changed(model.discriminator, d0) == len(d0)
    assert np.abs(ops.convert_to_numpy(w_avg)).sum() > 0  # started at zero
    ema_avg = model.ema_generator.get_layer("mapping_network").get_layer("w_average").w_avg
    np.testing.assert_array_equal(ops.convert_to_numpy(ema_avg), ops.convert_to_numpy(w_avg))


def test_lazy_r1_is_added_only_on_its_steps(images):
    model = _stylegan(r1_gamma=10.0, r1_interval=4)
    model.compile()
    batch = model.prepare_batch(ops.convert_to_tensor(images[:8]))
    state = ops.convert_to_numpy(model.seed_generator.state).copy()

    def d_loss(gamma, step):
        model.r1_gamma = gamma
        model.optimizer.iterations.assign(step)
        model.seed_generator.state.assign(state)  # the same fake images each time
        return float(ops.convert_to_numpy(model.discriminator_loss(batch)))

    r1 = float(ops.convert_to_numpy(gan_losses.r1_penalty(
        lambda x: model.discriminator(x, training=True), batch["images"])))
    assert r1 > 0
    assert d_loss(10.0, 8) - d_loss(0.0, 8) == pytest.approx(0.5 * 10.0 * 4 * r1, rel=1e-3)
    assert d_loss(10.0, 9) == pytest.approx(d_loss(0.0, 9), abs=1e-6)


def test_seeds_truncation_and_noise():
    model = _stylegan()
    _set_noise_strength(model, 0.5)
    a = model.generate(4, seed=0)
    assert a.shape == (4, 16, 16, 1) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, model.generate(4, seed=0))
    assert not np.array_equal(a, model.generate(4, seed=1))
    np.testing.assert_array_equal(a, model.generate(4, seed=0, truncation_psi=1.0))
    z = model.sample_latents(4, seed=3)
    # psi = 0 collapses every latent onto the mean of W: one image (without noise).
    mean = model.generate(latents=z, truncation_psi=0.0, noise="none", output="float")
    np.testing.assert_allclose(mean, np.broadcast_to(mean[:1], mean.shape), atol=1e-5)
    half = model.generate(latents=z, truncation_psi=0.5, noise="none", output="float")
    full = model.generate(latents=z, noise="none", output="float")
    assert np.abs(half - mean).mean() < np.abs(full - mean).mean()
    # Noise variations: the same latent with other noise maps; no noise, no variation.
    variations = model.noise_variations(4, seed=0, output="float")
    assert np.abs(variations - variations[:1]).mean() > 1e-4
    np.testing.assert_allclose(variations[0], model.generate(latents=model.sample_latents(1, seed=0),
                                                             seed=0, output="float")[0], atol=1e-5)
    _set_noise_strength(model, 0.0)
    variations = model.noise_variations(4, seed=0, output="float")
    np.testing.assert_allclose(variations, np.broadcast_to(variations[:1], variations.shape), atol=1e-5)


def test_style_mix_takes_coarse_and_fine_layers_from_each_side():
    model = _stylegan()
    a, b = model.sample_latents(3, seed=1), model.sample_latents(3, seed=2)
    image = lambda z: model.generate(latents=z, noise_seed=0, output="float")
    np.testing.assert_allclose(model.style_mix(a, b, crossover=0, output="float"), image(b), atol=1e-5)
    np.testing.assert_allclose(model.style_mix(a, b, crossover=model.num_ws, output="float"),
                               image(a), atol=1e-5)
    mixed = model.style_mix(a, b, crossover=3, output="float")
    assert np.abs(mixed - image(a)).mean() > 1e-4 and np.abs(mixed - image(b)).mean() > 1e-4
    assert model.style_mix(a, b[:1]).shape == (3, 16, 16, 1)  # one fine latent for every row


def test_bad_input_is_a_clear_error_and_leaves_the_weights(images):
    model = _stylegan()
    model.compile()
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 16, 16, 1\)"):
        model.fit(images[:, :8], batch_size=8, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="channels-last"):
        model.fit(np.zeros((8, 1, 16, 16), "uint8"), batch_size=8, verbose=0)
    with pytest.raises(ValueError, match=r"latents of shape \(N, 12\)"):
        model.generate(latents=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="truncation_psi must be a finite"):
        model.generate(2, truncation_psi=float("nan"))
    with pytest.raises(ValueError, match="noise must be"):
        model.generate(2, noise="const")
    with pytest.raises(ValueError, match="crossover must be in"):
        model.style_mix(model.sample_latents(2), model.sample_latents(2), crossover=9)
    with pytest.raises(ValueError, match="same number"):
        model.style_mix(model.sample_latents(2), model.sample_latents(3))
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        kgz.StyleGAN(**{**STINY, "image_size": 28})
    assert count_changed(model, before) == 0


def test_preset_round_trip_and_fine_tune(tmp_path, images):
    model = _stylegan()
    model.fit(images, batch_size=8, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "stylegan", metadata={"training": {"dataset": "fashion_mnist"}})
    loaded = kgz.StyleGAN.from_pretrained(folder)
    np.testing.assert_array_equal(model.generate(4, seed=0, truncation_psi=0.7),
                                  loaded.generate(4, seed=0, truncation_psi=0.7))
    with pytest.raises(ValueError, match="StyleGAN"):
        kgz.DCGAN.from_pretrained(folder)
    history = loaded.fit(images, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
