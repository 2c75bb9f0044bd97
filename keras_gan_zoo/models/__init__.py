"""The families. A new family adds one import line here (its registration)."""

from keras_gan_zoo.models.adversarial_model import AdversarialModel, Player
from keras_gan_zoo.models.image_gan import ImageGAN
from keras_gan_zoo.models.dcgan import DCGAN
from keras_gan_zoo.models.cgan import ConditionalGAN
from keras_gan_zoo.models.pix2pix import Pix2Pix
from keras_gan_zoo.models.cyclegan import CycleGAN
from keras_gan_zoo.models.biggan import BigGAN
from keras_gan_zoo.models.stylegan import StyleGAN
from keras_gan_zoo.models.stackgan import StackGAN
from keras_gan_zoo.models.unmt import UNMT
from keras_gan_zoo.models.progan import ProGAN

# Every class above is public API (`keras_gan_zoo.DCGAN`, ...).
__all__ = [name for name, value in dict(globals()).items() if isinstance(value, type)]
