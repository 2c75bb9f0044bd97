"""Differentiable augmentation (DiffAugment / ADA): the transforms, their
gradients, determinism across backends, and ADA's adaptive probability."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_gan_zoo as kgz
from keras_gan_zoo import augment, gradients

from conftest import TINY, count_changed, cross_backend, outputs_on_other_backends, weights_of


def _batch(n=6, size=16, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, size, size, channels)).astype("float32")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_probability_zero_is_the_identity_and_one_changes_every_image():
    x = _batch()
    assert np.array_equal(_numpy(augment.augment(x, seed=0, probability=0.0)), x)
    out = _numpy(augment.augment(x, seed=0))
    assert out.shape == x.shape
    assert all(np.abs(out[i] - x[i]).max() > 0.05 for i in range(len(x)))


def test_translation_shifts_the_image_and_fills_with_zeros():
    x = np.zeros((1, 16, 16, 1), "float32")
    x[0, 4:8, 4:8] = 1.0
    # Uniforms (gate, dy, dx): dy draw -> shift floor(u * 5) - 2 with 16 * 0.125 = 2.
    u = np.array([[0.0, 0.99, 0.0]], "float32")  # shift +2 rows, -2 columns
    out = _numpy(augment.apply(x, ("translation",), u))
    assert np.array_equal(out[0, 6:10, 2:6], np.ones((4, 4, 1)))
    assert out.sum() == 16.0
    edge = np.ones((1, 16, 16, 1), "float32")
    shifted = _numpy(augment.apply(edge, ("translation",), u))
    assert np.all(shifted[0, :2] == 0) and np.all(shifted[0, :, -2:] == 0)


def test_cutout_blanks_a_square_of_half_the_image():
    x = np.ones((3, 16, 16, 2), "float32")
    out = _numpy(augment.augment(x, "cutout", seed=1))
    for image in out:
        blank = np.all(image == 0, axis=-1)
        rows, cols = np.where(blank)
        # A square of 8x8, clipped where its centre lies near the border.
        assert 0 < blank.sum() <= 64
        assert blank.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)


def test_colour_transforms_follow_their_definitions():
    x = _batch(n=2, channels=3)
    u = np.full((2, 2), [0.0, 0.75], "float32")  # (gate: applied, the transform's draw)
    out = _numpy(augment.apply(x, ("brightness",), u))
    np.testing.assert_allclose(out, x + 0.25, atol=1e-6)
    out = _numpy(augment.apply(x, ("contrast",), u))
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) * 1.25 + mean, atol=1e-5)


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment.parse_policy("color,rotate")
    with pytest.raises(ValueError, match="augment must be"):
        augment.get(3)


def test_gradients_reach_the_generator_through_an_augmented_fake():
    keras.utils.set_random_seed(0)
    gan = kgz.DCGAN(**TINY, seed=0)
    gan.compile(augment="diffaugment")
    z = ops.convert_to_tensor(gan.sample_latents(4, seed=0))

    # JAX differentiates inside a stateless scope, as in the train step.
    with keras.StatelessScope():
        loss, grads = gradients.value_and_grad(
            lambda: gan.adversarial_g_loss(lambda x: gan.discriminator(x, training=True),
                                           gan.generator(z, training=True)),
            gan.generator.trainable_variables)
    norms = [float(np.linalg.norm(_numpy(g))) for g in grads if g is not None]
    assert len(norms) == len(gan.generator.trainable_variables) and max(norms) > 0


def test_fit_with_augmentation_updates_both_players_and_logs_p(tiny_images):
    keras.utils.set_random_seed(0)
    gan = kgz.DCGAN(**TINY, seed=0)
    gan.compile(augment="diffaugment")
    d_before, g_before = weights_of(gan.discriminator), weights_of(gan.generator)
    history = gan.fit(tiny_images, batch_size=16, epochs=1, verbose=0)
    assert history.history["augment_p"][-1] == pytest.approx(1.0)
    assert count_changed(gan.discriminator, d_before) > 0 and count_changed(gan.generator, g_before) > 0


def test_ada_probability_rises_when_the_discriminator_overfits():
    # A discriminator that calls every real image real (logits > 0): r_t = 1 > 0.6.
    ada = augment.Augmentation(adaptive=True, interval=2, speed_images=100)
    for _ in range(4):
        ada.update_state(np.full((10, 1), 3.0, "float32"))
        ada.adjust()
    assert float(_numpy(ada.result())) == pytest.approx(0.4, abs=1e-6)  # two adjustments of 20/100
    # One that is unsure of them (r_t = 0 < 0.6) lowers it again.
    for _ in range(2):
        ada.update_state(np.array([[1.0], [-1.0]] * 5, "float32"))
        ada.adjust()
    assert float(_numpy(ada.result())) == pytest.approx(0.2, abs=1e-6)


def test_ada_reads_the_sign_about_the_losss_decision_boundary():
    # Least squares scores real 1 and fake 0: an output of 0.3 leans "fake",
    # though it is positive. About 0 it would count as real and raise p.
    ada = augment.Augmentation(adaptive=True, interval=1, speed_images=10, probability=0.5)
    ada.update_state(np.full((4, 1), 0.3, "float32"), decision_boundary=0.5)
    ada.adjust()
    assert float(_numpy(ada.result())) == pytest.approx(0.1, abs=1e-6)
    ada.update_state(np.full((4, 1), 0.8, "float32"), decision_boundary=0.5)
    ada.adjust()
    assert float(_numpy(ada.result())) == pytest.approx(0.5, abs=1e-6)


def test_a_least_squares_family_steers_ada_from_its_boundary():
    gan = kgz.CycleGAN(**kgz.CycleGAN.tiny_config, seed=0)
    gan.compile(augment=augment.Augmentation(adaptive=True, interval=1, speed_images=10,
                                             probability=0.5))
    assert gan.gan_loss.decision_boundary == 0.5
    gan.observe_real_logits(np.full((4, 1), 0.3, "float32"))  # below 0.5: unsure of the reals
    gan.augmentation.adjust()
    assert float(_numpy(gan.augmentation.result())) == pytest.approx(0.1, abs=1e-6)


def test_ada_is_refused_for_a_loss_without_a_decision_boundary(tiny_dcgan):
    before = weights_of(tiny_dcgan.discriminator)
    with pytest.raises(ValueError, match="decision boundary.*augment='diffaugment'"):
        tiny_dcgan.compile(loss="wgan_gp", augment="ada")
    assert count_changed(tiny_dcgan.discriminator, before) == 0
    tiny_dcgan.compile(loss="wgan_gp", augment="diffaugment")  # a fixed probability plays it


def test_ada_probability_rises_while_a_toy_discriminator_overfits(tiny_images):
    keras.utils.set_random_seed(0)
    gan = kgz.DCGAN(**TINY, seed=0)
    # A fast ADA on 64 images: D quickly tells them apart from an untrained G.
    gan.compile(augment=augment.Augmentation(adaptive=True, interval=1, speed_images=2_000),
                d_optimizer=keras.optimizers.Adam(2e-3))
    history = gan.fit(tiny_images[:32], batch_size=16, epochs=6, verbose=0)
    assert history.history["augment_p"][-1] > 0.0
    config = gan.get_compile_config()["augment"]
    assert config["adaptive"] and config["probability"] == pytest.approx(history.history["augment_p"][-1])


def test_ada_state_travels_in_the_weights_file(tmp_path):
    """`load_weights` (and so a run BackupAndRestore resumes) continues from
    the saved p and ADA statistics; a file saved without augmentation loads
    and keeps the state, and an augmented file loads into a plain model."""
    def ada_model(p=None):
        gan = kgz.DCGAN(**TINY, seed=0)
        gan.compile(augment=augment.Augmentation(adaptive=True, interval=3, probability=p))
        return gan

    trained = ada_model(p=0.3)
    trained.augmentation.update_state(np.full((4, 1), 2.0, "float32"))  # one recorded batch
    trained.save_weights(tmp_path / "ada.weights.h5")
    restored = ada_model()
    restored.load_weights(tmp_path / "ada.weights.h5")
    for name in ("probability", "sign_sum", "sign_count", "batches"):
        assert _numpy(getattr(restored.augmentation, name).value) == pytest.approx(
            _numpy(getattr(trained.augmentation, name).value)), name
    assert float(_numpy(restored.augmentation.probability.value)) == pytest.approx(0.3)
    plain = kgz.DCGAN(**TINY, seed=0)
    plain.save_weights(tmp_path / "plain.weights.h5")
    restored.load_weights(tmp_path / "plain.weights.h5")
    assert float(_numpy(restored.augmentation.probability.value)) == pytest.approx(0.3)
    plain.load_weights(tmp_path / "ada.weights.h5")


def test_augmentation_is_off_by_default_and_refused_where_there_are_no_images(tiny_dcgan):
    tiny_dcgan.compile()
    assert tiny_dcgan.augmentation is None and "augment" not in tiny_dcgan.get_compile_config()
    assert not kgz.UNMT.supports_augmentation


CHILD = """
import sys, numpy as np, keras
from keras_gan_zoo import augment
x = np.random.default_rng(0).uniform(-1, 1, (5, 16, 16, 3)).astype("float32")
np.savez(sys.argv[1], out=keras.ops.convert_to_numpy(augment.augment(x, seed=7)))
"""


@cross_backend
def test_same_seed_gives_the_same_augmented_images_on_every_backend(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (5, 16, 16, 3)).astype("float32")
    here = _numpy(augment.augment(x, seed=7))
    assert np.array_equal(here, _numpy(augment.augment(x, seed=7)))
    assert not np.allclose(here, _numpy(augment.augment(x, seed=8)))
    for backend, result in outputs_on_other_backends(tmp_path, CHILD, []):
        np.testing.assert_allclose(result["out"], here, atol=1e-5, err_msg=backend)
