"""Trains the class-fidelity classifiers shipped in keras_gan_zoo/assets/classifiers.

    python recipes/classifiers.py                 # MNIST and Fashion-MNIST
    python recipes/classifiers.py fashion_mnist   # one of them

Each is trained on the training split only; its accuracy on the test split
is stored next to its weights and quoted in the model cards.
"""

import sys

from keras_gan_zoo.classifier import train_classifier

if __name__ == "__main__":
    for name in sys.argv[1:] or ["mnist", "fashion_mnist"]:
        train_classifier(name)
