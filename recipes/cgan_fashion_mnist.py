"""Recipe for the `cgan-fashion-mnist` preset: the cgan-mnist recipe on Fashion-MNIST.

    python recipes/cgan_fashion_mnist.py            # full run (writes weights/cgan-fashion-mnist)
    python recipes/cgan_fashion_mnist.py --smoke    # the same pipeline in seconds
"""

from cgan_mnist import RECIPE as MNIST_RECIPE
from keras_gan_zoo.training import main, variant

RECIPE = variant(MNIST_RECIPE, preset="cgan-fashion-mnist",
                 recipe_file="cgan_fashion_mnist.py", dataset="fashion_mnist")

if __name__ == "__main__":
    main(RECIPE)
