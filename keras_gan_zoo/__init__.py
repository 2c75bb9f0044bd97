"""keras-gan-zoo: adversarial models for Keras 3 on TensorFlow, PyTorch and JAX."""

from keras_gan_zoo import losses
from keras_gan_zoo.models import AdversarialModel, DCGAN, Player
from keras_gan_zoo.version import __version__
