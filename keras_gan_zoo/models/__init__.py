from keras_gan_zoo.models.adversarial_model import AdversarialModel, Player
from keras_gan_zoo.models.dcgan import DCGAN
