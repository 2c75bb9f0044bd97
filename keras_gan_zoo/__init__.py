"""keras-gan-zoo: adversarial models for Keras 3 on TensorFlow, PyTorch and JAX.

Example:

>>> import keras_gan_zoo as kgz
>>> kgz.list_presets()
>>> images = kgz.from_pretrained("dcgan-mnist").generate(16, seed=0)
"""

from keras_gan_zoo import augment, datasets, losses, presets, tasks
from keras_gan_zoo.models import *  # noqa: F401,F403  (every family, from models/__init__.py)
from keras_gan_zoo.presets import list_presets
from keras_gan_zoo.version import __version__


def from_pretrained(name_or_path, compile=True):
    """Loads any preset: a shipped name, a folder, or `"hf://org/repo"`.

    Example:

    >>> model = from_pretrained("dcgan-mnist")
    >>> model.generate(4, seed=0).shape
    (4, 28, 28, 1)
    """
    return presets.load(name_or_path, compile=compile)
