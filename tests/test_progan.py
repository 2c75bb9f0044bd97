"""ProGAN (Karras et al. 2018): pixel norm, the linear fade-in of a new
block in both networks, the growth schedule, and the drift term. The shared
family contract (fit, presets, backends, bad input) is in test_family_contract.py."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gan_zoo as kgz
from keras_gan_zoo.models.progan import PixelNorm

TINY = dict(kgz.ProGAN.tiny_config, seed=0)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_pixel_norm_gives_each_pixel_unit_mean_square():
    x = np.random.default_rng(0).normal(size=(2, 3, 3, 5)).astype("float32") * 7
    y = _numpy(PixelNorm()(x))
    np.testing.assert_allclose(np.mean(y**2, axis=-1), 1.0, rtol=1e-4)


def test_a_new_generator_block_fades_in_from_the_upsampled_level_below():
    gan = kgz.ProGAN(**TINY)
    z = gan.sample_latents(3, seed=0)
    ones, zeros = np.ones((3, 1), "float32"), np.zeros((3, 1), "float32")
    below = _numpy(gan.generator_at(1)([z, ones]))  # 8x8, its own block fully in
    faded_out = _numpy(gan.generator_at(2)([z, zeros]))  # 16x16 with the new block at alpha 0
    np.testing.assert_allclose(faded_out, below.repeat(2, axis=1).repeat(2, axis=2), atol=1e-5)
    full_in = _numpy(gan.generator_at(2)([z, ones]))
    np.testing.assert_allclose(full_in, _numpy(gan.generator(z)[2]), atol=1e-5)
    half = _numpy(gan.generator_at(2)([z, 0.5 * ones]))
    np.testing.assert_allclose(half, 0.5 * (faded_out + full_in), atol=1e-5)


def test_a_new_discriminator_block_fades_in_over_the_downsampled_image():
    gan = kgz.ProGAN(**TINY)
    images = np.random.default_rng(1).uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    pooled = images.reshape(4, 8, 2, 8, 2, 1).mean(axis=(2, 4))
    ones, zeros = np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")
    np.testing.assert_allclose(_numpy(gan.discriminator_at(2)([images, zeros])),
                               _numpy(gan.discriminator_at(1)([pooled, ones])), atol=1e-4)
    np.testing.assert_allclose(_numpy(gan.discriminator_at(2)([images, ones])),
                               _numpy(gan.discriminator(
                                   [np.zeros((4, 4, 4, 1)), np.zeros((4, 8, 8, 1)), images])[2]), atol=1e-4)


def test_growth_schedule_fades_alpha_linearly_and_trains_the_new_level(tiny_images):
    gan = kgz.ProGAN(**TINY)
    gan.compile(level=0)
    gan.fit(tiny_images[:32], batch_size=8, epochs=1, verbose=0)
    assert float(_numpy(gan.alpha)) == 1.0 and gan.resolution == 4
    assert gan.generate(2, seed=0).shape == (2, 16, 16, 1)  # sampled at 4x4, upsampled
    new_block = gan.generator.get_layer("generator_conv0_8")
    before = _numpy(new_block.kernel).copy()
    gan.compile(level=1, fade_steps=8)
    assert float(_numpy(gan.alpha)) == 0.0
    gan.fit(tiny_images[:16], batch_size=8, epochs=1, verbose=0)  # 2 steps
    assert float(_numpy(gan.alpha)) == pytest.approx(0.25)
    gan.fit(tiny_images, batch_size=8, epochs=1, verbose=0)  # 8 more: alpha stops at 1
    assert float(_numpy(gan.alpha)) == pytest.approx(1.0)
    assert not np.allclose(_numpy(new_block.kernel), before)
    assert gan.get_compile_config()["level"] == 1


def test_drift_term_adds_its_weight_times_the_mean_squared_real_logit(tiny_images):
    losses = []
    for drift in (0.0, 1.0):
        keras.utils.set_random_seed(0)
        gan = kgz.ProGAN(**dict(TINY, drift=drift))
        gan.compile(loss="wasserstein", level=2)
        batch = gan.prepare_batch(tiny_images[:8])
        with keras.StatelessScope():
            losses.append(float(_numpy(gan.discriminator_loss(batch))))
    reals = _numpy(gan._reals_at_level(batch["images"]))
    logits = _numpy(gan.discriminator_at(2)([reals, np.ones((8, 1), "float32")]))
    assert losses[1] - losses[0] == pytest.approx(float(np.mean(logits**2)), rel=1e-4)


def test_bad_level_and_image_size_are_clear_errors():
    with pytest.raises(ValueError, match="level must be an integer in \\[0, 2\\]"):
        kgz.ProGAN(**dict(TINY, level=3))
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        kgz.ProGAN(image_size=24)
    gan = kgz.ProGAN(**TINY)
    with pytest.raises(ValueError, match="fade_steps must be >= 0"):
        gan.compile(level=1, fade_steps=-1)


def test_projection_starts_from_a_latent_that_draws_an_image():
    # Pixel norm reads z's direction only: the mean latent 0 is no start.
    model = kgz.ProGAN(**kgz.ProGAN.tiny_config, seed=0)
    z = model.initial_latents(5, "z")
    rms = np.sqrt(np.mean(np.square(z), axis=1))
    assert z.shape == (5, model.latent_dim) and np.all(rms > 0.3) and np.all(rms < 3.0)
    np.testing.assert_array_equal(z, model.initial_latents(5, "z"))  # a fixed start
