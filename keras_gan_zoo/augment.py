"""Differentiable augmentation of what a discriminator sees: DiffAugment and ADA.

With a few thousand training images the discriminator memorises them and the
generator collapses. Augmenting *every* image the discriminator sees, real and
generated, in both players' losses, with transforms the generator's gradient
flows through, lets the discriminator see more variety without the generator
learning to produce augmented images:

- DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for
  Data-Efficient GAN Training"): colour (brightness, saturation, contrast),
  translation (up to 1/8 of the image, zero padded) and cutout (a square of
  half the image size), applied to every image.
- ADA (Karras et al. 2020, "Training Generative Adversarial Networks with
  Limited Data"): each transform is applied with a probability p that is
  raised when the discriminator is too sure of the real images
  (E[sign(D(real))] above a target, 0.6 in the paper) and lowered otherwise.

Images are floats in [-1, 1], channels-last. Every transform is written with
`keras.ops`, so it runs (and is differentiated) on each backend. Its random
parameters are uniforms: drawn with numpy for a seed (so `augment(x, seed=0)`
gives the same images on TensorFlow, PyTorch and JAX) or with a Keras
`SeedGenerator` inside training.

Example:

>>> from keras_gan_zoo import augment
>>> out = augment.augment(images, "color,translation,cutout", seed=0)  # floats in [-1, 1]
>>> gan.compile(augment="diffaugment")      # always on, DiffAugment's policy
>>> gan.compile(augment="ada")              # adaptive probability, target 0.6
>>> gan.compile(augment=augment.Augmentation("translation,cutout", adaptive=True, target=0.5))
"""

import keras
import numpy as np
from keras import ops

DEFAULT_POLICY = "color,translation,cutout"
TRANSLATION_RATIO = 0.125  # DiffAugment: shifts of up to 1/8 of the image
CUTOUT_RATIO = 0.5  # DiffAugment: a square of half the image size

# Uniforms each transform draws per image: one gate (applied or not) and its parameters.
_DRAWS = {"brightness": 1, "saturation": 1, "contrast": 1, "translation": 2, "cutout": 2}
POLICIES = {
    "color": ("brightness", "saturation", "contrast"),
    "translation": ("translation",),
    "cutout": ("cutout",),
}


def parse_policy(policy):
    """`"color,translation"` -> `("brightness", "saturation", "contrast",
    "translation")`; an unknown name is a ValueError."""
    if not isinstance(policy, str) or not policy.strip():
        raise ValueError(f"policy must be a comma-separated string of {sorted(POLICIES)}; got {policy!r}")
    names = [name.strip() for name in policy.split(",") if name.strip()]
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown augmentation {unknown} in policy {policy!r}; use any of "
                         f"{sorted(POLICIES)}, e.g. {DEFAULT_POLICY!r}")
    return tuple(t for name in names for t in POLICIES[name])


def _brightness(x, u):
    return x + (u[0] - 0.5)  # U(-0.5, 0.5) added to every channel


def _saturation(x, u):
    mean = ops.mean(x, axis=-1, keepdims=True)
    return (x - mean) * (2.0 * u[0]) + mean  # factor U(0, 2)


def _contrast(x, u):
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (u[0] + 0.5) + mean  # factor U(0.5, 1.5)


def _shift_matrix(shift, size):
    """(B, size, size): row i picks source pixel i - shift, zero outside."""
    rows = ops.arange(size, dtype="float32")[None, :, None]
    cols = ops.arange(size, dtype="float32")[None, None, :]
    return ops.cast(ops.equal(cols, rows - shift[:, None, None]), "float32")


def _translation(x, u):
    height, width = x.shape[1], x.shape[2]
    max_y, max_x = int(height * TRANSLATION_RATIO + 0.5), int(width * TRANSLATION_RATIO + 0.5)
    # Integer shifts uniform in [-max, max]; as one-hot matrices, so the shift is a
    # matmul (differentiable, no gather) and pixels moved in from outside are 0.
    shift_y = ops.floor(u[0][:, 0, 0, 0] * (2 * max_y + 1)) - max_y
    shift_x = ops.floor(u[1][:, 0, 0, 0] * (2 * max_x + 1)) - max_x
    x = ops.einsum("bij,bjwc->biwc", _shift_matrix(shift_y, height), x)
    return ops.einsum("bkw,biwc->bikc", _shift_matrix(shift_x, width), x)


def _cutout(x, u):
    height, width = x.shape[1], x.shape[2]
    size_y, size_x = int(height * CUTOUT_RATIO + 0.5), int(width * CUTOUT_RATIO + 0.5)
    # DiffAugment: centre uniform over the image, the square clipped at its border.
    centre_y = ops.floor(u[0][:, 0, 0, 0] * (height + (1 - size_y % 2)))
    centre_x = ops.floor(u[1][:, 0, 0, 0] * (width + (1 - size_x % 2)))
    top, left = centre_y - size_y // 2, centre_x - size_x // 2
    rows = ops.arange(height, dtype="float32")[None, :]
    cols = ops.arange(width, dtype="float32")[None, :]
    in_rows = ops.logical_and(rows >= top[:, None], rows < top[:, None] + size_y)
    in_cols = ops.logical_and(cols >= left[:, None], cols < left[:, None] + size_x)
    inside = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    return x * (1.0 - ops.cast(inside, x.dtype))[..., None]


_TRANSFORMS = {"brightness": _brightness, "saturation": _saturation, "contrast": _contrast,
               "translation": _translation, "cutout": _cutout}


def num_uniforms(transforms):
    """Uniforms drawn per image for `transforms`: a gate plus parameters each."""
    return sum(1 + _DRAWS[t] for t in transforms)


def apply(images, transforms, uniforms, probability=1.0):
    """Applies `transforms` to a batch with the given random draws.

    Args:
        images: (B, H, W, C) floats in [-1, 1].
        transforms: names from `parse_policy`.
        uniforms: (B, num_uniforms(transforms)) uniforms in [0, 1).
        probability: each transform is applied to an image when its gate
            uniform is below this (a float or a scalar tensor); 1 always.

    Returns:
        The augmented batch, differentiable with respect to `images`.
    """
    x = ops.convert_to_tensor(images, "float32")
    uniforms = ops.convert_to_tensor(uniforms, "float32")
    column = 0
    for name in transforms:
        draws = [ops.reshape(uniforms[:, column + 1 + k], (-1, 1, 1, 1)) for k in range(_DRAWS[name])]
        gate = ops.reshape(uniforms[:, column], (-1, 1, 1, 1)) < probability
        x = ops.where(gate, _TRANSFORMS[name](x, draws), x)
        column += 1 + _DRAWS[name]
    return x


def augment(images, policy=DEFAULT_POLICY, seed=None, probability=1.0):
    """Augments a batch with DiffAugment's transforms, the same on every backend.

    Args:
        images: (B, H, W, C) floats in [-1, 1] (numpy or a backend tensor).
        policy: e.g. `"color,translation,cutout"`.
        seed: seed of the numpy draws; the same seed gives the same images on
            TensorFlow, PyTorch and JAX.
        probability: probability of each transform (ADA's p); 0 is identity.

    Returns:
        A backend tensor of the same shape.
    """
    transforms = parse_policy(policy)
    shape = tuple(ops.shape(images))
    if len(shape) != 4:
        raise ValueError(f"expected images of shape (B, H, W, C); got {shape}")
    uniforms = np.random.default_rng(seed).random((shape[0], num_uniforms(transforms)))
    return apply(images, transforms, uniforms.astype("float32"), probability)


class Augmentation(keras.metrics.Metric):
    """The augmentation a model applies while it trains, and its state.

    It is a Keras metric so that its state (ADA's probability and the
    statistics that steer it) travels in the train state on JAX, and `fit`
    logs the current probability as `augment_p`. It never resets between
    epochs.

    Args:
        policy: transforms, e.g. `"color,translation,cutout"`.
        adaptive: ADA's adaptive probability (`False`: DiffAugment, every
            transform always applied, unless `probability` says otherwise).
        probability: the probability to start from (ADA starts at 0).
        target: ADA's target for E[sign(D(real logits))] (0.6 in the paper),
            the sign taken about the loss's decision boundary.
        interval: adjust p every this many discriminator batches (4).
        speed_images: images over which p can move from 0 to 1 (ADA's
            500k; shorter CPU runs need a faster 100k).
    """

    def __init__(self, policy=DEFAULT_POLICY, adaptive=False, probability=None, target=0.6,
                 interval=4, speed_images=100_000, name="augment_p", **kwargs):
        super().__init__(name=name, **kwargs)
        self.transforms = parse_policy(policy)
        self.policy = policy
        self.adaptive = bool(adaptive)
        if probability is None:
            probability = 0.0 if self.adaptive else 1.0
        if not 0.0 <= float(probability) <= 1.0:
            raise ValueError(f"probability must be in [0, 1]; got {probability}")
        if not 0.0 < float(target) < 1.0 or int(interval) < 1 or float(speed_images) <= 0:
            raise ValueError("need 0 < target < 1, interval >= 1 and speed_images > 0; got "
                             f"{target}, {interval}, {speed_images}")
        self.target, self.interval, self.speed_images = float(target), int(interval), float(speed_images)
        self.initial_probability = float(probability)
        self.probability = self.add_variable((), initializer=keras.initializers.Constant(probability),
                                             name="probability")
        self.sign_sum = self.add_variable((), initializer="zeros", name="sign_sum")
        self.sign_count = self.add_variable((), initializer="zeros", name="sign_count")
        self.batches = self.add_variable((), initializer="zeros", name="batches")

    def __call__(self, images, seed_generator):
        """Augments a training batch (one draw per image)."""
        uniforms = keras.random.uniform((ops.shape(images)[0], num_uniforms(self.transforms)),
                                        seed=seed_generator)
        return apply(images, self.transforms, uniforms, self.probability.value)

    def update_state(self, real_logits, decision_boundary=0.0):
        """Records the discriminator's outputs on (augmented) real images:
        the sign of each output's distance from the loss's decision boundary
        (`GANLoss.decision_boundary`: 0 for logits, 0.5 for least squares)."""
        if not self.adaptive:
            return
        real_logits = ops.stop_gradient(ops.convert_to_tensor(real_logits, "float32"))
        signs = ops.sign(real_logits - float(decision_boundary))
        self.sign_sum.assign_add(ops.sum(signs))
        self.sign_count.assign_add(ops.cast(ops.size(signs), "float32"))
        self.batches.assign_add(1.0)

    def adjust(self):
        """ADA's update, once `interval` batches were recorded: p moves by
        sign(r_t - target) * images seen / speed_images, within [0, 1]."""
        if not self.adaptive:
            return
        due = self.batches.value >= self.interval
        r_t = self.sign_sum.value / ops.maximum(self.sign_count.value, 1.0)
        step = ops.sign(r_t - self.target) * self.sign_count.value / self.speed_images
        moved = ops.clip(self.probability.value + step, 0.0, 1.0)
        self.probability.assign(ops.where(due, moved, self.probability.value))
        for variable in (self.sign_sum, self.sign_count, self.batches):
            variable.assign(ops.where(due, 0.0, variable.value))

    def result(self):
        return self.probability.value

    def reset_state(self):
        pass  # p carries over epochs (Keras resets metrics at each epoch's start)

    # Keras saves a metric's variables nowhere; these two put the state in
    # the model's weights file (under "augmentation"), so `load_weights` and
    # a run resumed by BackupAndRestore continue from the saved p and ADA
    # statistics rather than from the start.
    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable

    def load_own_variables(self, store):
        keys = list(store.keys())
        if not keys:  # a file saved without augmentation: keep this state
            return
        if len(keys) != len(self.variables):
            raise ValueError(f"the weights file holds {len(keys)} augmentation variables; this "
                             f"augmentation has {len(self.variables)}")
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    def get_config(self):
        return {"policy": self.policy, "adaptive": self.adaptive,
                "probability": float(ops.convert_to_numpy(self.probability.value)),
                "target": self.target, "interval": self.interval, "speed_images": self.speed_images}


def get(identifier):
    """`None`, `"diffaugment"`, `"ada"`, a policy string (DiffAugment with
    those transforms), `"ada:<policy>"`, a config dict or an `Augmentation`."""
    if identifier is None or isinstance(identifier, Augmentation):
        return identifier
    if isinstance(identifier, dict):
        return Augmentation(**identifier)
    if isinstance(identifier, str):
        if identifier == "diffaugment":
            return Augmentation(DEFAULT_POLICY)
        if identifier == "ada":
            return Augmentation(DEFAULT_POLICY, adaptive=True)
        if identifier.startswith("ada:"):
            return Augmentation(identifier[len("ada:"):], adaptive=True)
        return Augmentation(identifier)
    raise ValueError(f"augment must be None, 'diffaugment', 'ada', a policy such as "
                     f"{DEFAULT_POLICY!r}, 'ada:<policy>' or an Augmentation; got {identifier!r}")
