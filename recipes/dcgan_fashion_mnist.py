"""Recipe for the `dcgan-fashion-mnist` preset: the dcgan-mnist recipe on Fashion-MNIST.

    python recipes/dcgan_fashion_mnist.py            # full run (writes weights/dcgan-fashion-mnist)
    python recipes/dcgan_fashion_mnist.py --smoke    # the same pipeline in seconds
"""

from dcgan_mnist import RECIPE as MNIST_RECIPE
from keras_gan_zoo.training import main, variant

RECIPE = variant(MNIST_RECIPE, preset="dcgan-fashion-mnist",
                 recipe_file="dcgan_fashion_mnist.py", dataset="fashion_mnist")

if __name__ == "__main__":
    main(RECIPE)
