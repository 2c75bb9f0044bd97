"""GAN losses as small pure functions of discriminator logits.

Each `GANLoss` pairs a discriminator loss `d_loss(real_logits, fake_logits)`
with a generator loss `g_loss(fake_logits)`. All take `keras.ops` tensors and
run on every backend. Regularisers (gradient penalty, R1, orthogonal) are
plain functions too; the gradient they need comes from
`keras_gan_zoo.gradients.input_gradients`.

Example:

>>> import numpy as np
>>> loss = get("hinge")
>>> float(loss.d_loss(np.ones((4, 1)), -np.ones((4, 1))))
0.0
"""

import dataclasses
from typing import Callable

import keras
from keras import ops

from keras_gan_zoo import gradients


def _softplus(x):
    return ops.softplus(ops.convert_to_tensor(x, "float32"))


def _mean(x):
    return ops.mean(ops.convert_to_tensor(x, "float32"))


# Minimax (Goodfellow et al. 2014): D maximises log D(x) + log(1 - D(G(z))).
def minimax_d_loss(real_logits, fake_logits):
    """Discriminator cross-entropy, Goodfellow et al. 2014, eq. 1."""
    return _mean(_softplus(-real_logits)) + _mean(_softplus(fake_logits))


def minimax_g_loss(fake_logits):
    """Saturating generator loss: minimise log(1 - D(G(z)))."""
    return -_mean(_softplus(fake_logits))


def non_saturating_g_loss(fake_logits):
    """Goodfellow et al. 2014, section 3: maximise log D(G(z)) instead."""
    return _mean(_softplus(-fake_logits))


def wasserstein_d_loss(real_logits, fake_logits):
    """Critic loss of WGAN (Arjovsky et al. 2017): E[D(fake)] - E[D(real)]."""
    return _mean(fake_logits) - _mean(real_logits)


def wasserstein_g_loss(fake_logits):
    """Generator loss of WGAN: -E[D(fake)]."""
    return -_mean(fake_logits)


def hinge_d_loss(real_logits, fake_logits):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""
    return _mean(ops.relu(1.0 - real_logits)) + _mean(ops.relu(1.0 + fake_logits))


def hinge_g_loss(fake_logits):
    """Generator side of the hinge loss: -E[D(fake)]."""
    return -_mean(fake_logits)


def least_squares_d_loss(real_logits, fake_logits):
    """LSGAN (Mao et al. 2017), a=0, b=c=1."""
    real = ops.convert_to_tensor(real_logits, "float32")
    fake = ops.convert_to_tensor(fake_logits, "float32")
    return 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(ops.square(fake))


def least_squares_g_loss(fake_logits):
    """LSGAN generator loss: 0.5 * E[(D(G(z)) - 1)^2]."""
    fake = ops.convert_to_tensor(fake_logits, "float32")
    return 0.5 * ops.mean(ops.square(fake - 1.0))


def gradient_penalty(discriminator_fn, real_images, fake_images, seed=None):
    """WGAN-GP penalty (Gulrajani et al. 2017): E[(||grad D(x_hat)|| - 1)^2].

    `x_hat` is a random interpolation between real and fake images.
    """
    # float32 under mixed precision too: the generator's images may be bfloat16.
    real_images, fake_images = ops.cast(real_images, "float32"), ops.cast(fake_images, "float32")
    batch = ops.shape(real_images)[0]
    alpha_shape = (batch,) + (1,) * (len(real_images.shape) - 1)
    alpha = keras.random.uniform(alpha_shape, seed=seed)
    mixed = alpha * real_images + (1.0 - alpha) * fake_images
    grads = gradients.input_gradients(discriminator_fn, mixed)
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=list(range(1, len(grads.shape)))) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(discriminator_fn, real_images):
    """R1 penalty (Mescheder et al. 2018): E[||grad D(x_real)||^2] / 2 is
    conventional; this returns E[||grad D(x_real)||^2] and leaves gamma/2 to
    the caller."""
    grads = gradients.input_gradients(discriminator_fn, real_images)
    return ops.mean(ops.sum(ops.square(grads), axis=list(range(1, len(grads.shape)))))


def orthogonal_regularization(kernels, strength=1e-4):
    """BigGAN's orthogonal regulariser (Brock et al. 2019, eq. 3):
    strength * sum ||W^T W * (1 - I)||_F^2 over the given kernels."""
    total = 0.0
    for kernel in kernels:
        w = ops.reshape(kernel, (-1, ops.shape(kernel)[-1]))
        gram = ops.matmul(ops.transpose(w), w)
        off_diagonal = gram * (1.0 - ops.eye(ops.shape(gram)[0]))
        total = total + ops.sum(ops.square(off_diagonal))
    return strength * total


def clip_weights(variables, clip_value=0.01):
    """WGAN weight clipping (Arjovsky et al. 2017) applied after a D update."""
    for v in variables:
        v.assign(ops.clip(v, -clip_value, clip_value))


@dataclasses.dataclass(frozen=True)
class GANLoss:
    """A named pair of discriminator and generator losses.

    Attributes:
        name: registry name, e.g. `"non_saturating"`.
        d_loss: `(real_logits, fake_logits) -> scalar`.
        g_loss: `fake_logits -> scalar`.
        clip_value: if set, discriminator weights are clipped to
            `[-clip_value, clip_value]` after each update (WGAN).
        gradient_penalty_weight: if set, the WGAN-GP penalty with this weight
            is added to the discriminator loss.
        decision_boundary: the discriminator output between "real" and
            "fake" under this loss (0 for the logistic and hinge losses, 0.5
            for least squares with targets 0 and 1): ADA's overfitting
            signal is the share of real images scored above it. None where
            the loss fixes no boundary (a Wasserstein critic's outputs can
            all shift by a constant without changing its loss), so ADA
            cannot be steered from it.
    """

    name: str
    d_loss: Callable
    g_loss: Callable
    clip_value: float = None
    gradient_penalty_weight: float = None
    decision_boundary: float = 0.0


LOSSES = {
    "minimax": GANLoss("minimax", minimax_d_loss, minimax_g_loss),
    "non_saturating": GANLoss("non_saturating", minimax_d_loss, non_saturating_g_loss),
    "wasserstein": GANLoss("wasserstein", wasserstein_d_loss, wasserstein_g_loss, clip_value=0.01,
                           decision_boundary=None),
    "wgan_gp": GANLoss("wgan_gp", wasserstein_d_loss, wasserstein_g_loss, gradient_penalty_weight=10.0,
                       decision_boundary=None),
    "hinge": GANLoss("hinge", hinge_d_loss, hinge_g_loss),
    "least_squares": GANLoss("least_squares", least_squares_d_loss, least_squares_g_loss,
                             decision_boundary=0.5),
}


def get(identifier):
    """Returns the `GANLoss` named `identifier` (or `identifier` itself)."""
    if isinstance(identifier, GANLoss):
        return identifier
    if isinstance(identifier, str) and identifier in LOSSES:
        return LOSSES[identifier]
    raise ValueError(
        f"Unknown GAN loss {identifier!r}. Use one of {sorted(LOSSES)} or a "
        "keras_gan_zoo.losses.GANLoss instance."
    )
