import keras
import numpy as np
import pytest
from keras import ops

from keras_gan_zoo import losses


def np_value(x):
    return float(keras.ops.convert_to_numpy(ops.stop_gradient(x)))


REAL = np.array([[2.0], [-1.0], [0.5]], dtype="float32")
FAKE = np.array([[-3.0], [0.0], [1.5]], dtype="float32")


def softplus(x):
    return np.log1p(np.exp(x))


def test_minimax_and_non_saturating_match_their_formulas():
    expected_d = np.mean(softplus(-REAL)) + np.mean(softplus(FAKE))
    assert np_value(losses.minimax_d_loss(REAL, FAKE)) == pytest.approx(expected_d, rel=1e-5)
    # minimax G minimises log(1 - D(G(z))) = -softplus(logit).
    assert np_value(losses.minimax_g_loss(FAKE)) == pytest.approx(-np.mean(softplus(FAKE)), rel=1e-5)
    assert np_value(losses.non_saturating_g_loss(FAKE)) == pytest.approx(np.mean(softplus(-FAKE)), rel=1e-5)


def test_wasserstein_hinge_least_squares():
    assert np_value(losses.wasserstein_d_loss(REAL, FAKE)) == pytest.approx(FAKE.mean() - REAL.mean(), rel=1e-5)
    assert np_value(losses.wasserstein_g_loss(FAKE)) == pytest.approx(-FAKE.mean(), rel=1e-5)
    hinge = np.mean(np.maximum(0, 1 - REAL)) + np.mean(np.maximum(0, 1 + FAKE))
    assert np_value(losses.hinge_d_loss(REAL, FAKE)) == pytest.approx(hinge, rel=1e-5)
    lsq = 0.5 * np.mean((REAL - 1) ** 2) + 0.5 * np.mean(FAKE**2)
    assert np_value(losses.least_squares_d_loss(REAL, FAKE)) == pytest.approx(lsq, rel=1e-5)
    assert np_value(losses.least_squares_g_loss(FAKE)) == pytest.approx(0.5 * np.mean((FAKE - 1) ** 2), rel=1e-5)


def test_a_perfect_discriminator_has_lower_loss_than_a_confused_one():
    for name, loss in losses.LOSSES.items():
        confident = np_value(loss.d_loss(np.full((4, 1), 5.0), np.full((4, 1), -5.0)))
        confused = np_value(loss.d_loss(np.full((4, 1), -5.0), np.full((4, 1), 5.0)))
        assert confident < confused, name


def test_gradient_penalty_of_a_linear_critic_is_exact():
    # D(x) = <w, x>: the input gradient is w everywhere, so GP = (||w|| - 1)^2.
    w = ops.convert_to_tensor(np.array([3.0, 4.0, 0.0, 0.0], dtype="float32").reshape(1, 2, 2, 1))
    critic = lambda x: ops.sum(x * w, axis=(1, 2, 3))
    real = np.random.default_rng(0).normal(size=(5, 2, 2, 1)).astype("float32")
    fake = np.random.default_rng(1).normal(size=(5, 2, 2, 1)).astype("float32")
    penalty = losses.gradient_penalty(critic, ops.convert_to_tensor(real), ops.convert_to_tensor(fake),
                                      seed=keras.random.SeedGenerator(0))
    assert np_value(penalty) == pytest.approx((5.0 - 1.0) ** 2, rel=1e-4)


def test_r1_penalty_of_a_quadratic_discriminator():
    # D(x) = sum(x^2): gradient 2x, so R1 = E[sum (2x)^2].
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    r1 = losses.r1_penalty(lambda t: ops.sum(t * t, axis=1), ops.convert_to_tensor(x))
    assert np_value(r1) == pytest.approx(np.mean(np.sum((2 * x) ** 2, axis=1)), rel=1e-4)


def test_orthogonal_regularization_is_zero_for_orthogonal_kernels():
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))
    assert np_value(losses.orthogonal_regularization([q.astype("float32")])) == pytest.approx(0.0, abs=1e-8)
    assert np_value(losses.orthogonal_regularization([np.ones((4, 3), "float32")])) > 0


def test_unknown_loss_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown GAN loss 'nope'.*hinge"):
        losses.get("nope")
