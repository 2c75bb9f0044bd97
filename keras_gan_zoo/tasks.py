"""The tasks a family can declare (`Family.task`), and what follows from each.

A family states its task; the command line, evaluation and model cards
dispatch on it (never on a family's name, its attributes or its data set).

Example:

>>> from keras_gan_zoo import tasks
>>> kgz.DCGAN.task is tasks.UNCONDITIONAL_IMAGE
True
"""

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Task:
    """A task.

    Attributes:
        name: short name (`"unconditional-image"`), the key evaluators use.
        hub_tag: the Hugging Face pipeline tag of its model cards.
        output: `"images"` or `"text"`: what its sampling call returns.
        description: one line for cards and the CLI.
    """

    name: str
    hub_tag: str
    output: str
    description: str


UNCONDITIONAL_IMAGE = Task("unconditional-image", "unconditional-image-generation", "images",
                           "images from random latents")
CLASS_CONDITIONAL_IMAGE = Task("class-conditional-image", "image-generation", "images",
                               "images of a requested class")
PAIRED_IMAGE_TO_IMAGE = Task("paired-image-to-image", "image-to-image", "images",
                             "an image translated into its paired domain")
UNPAIRED_IMAGE_TO_IMAGE = Task("unpaired-image-to-image", "image-to-image", "images",
                               "an image translated into another, unpaired domain")
TEXT_TO_IMAGE = Task("text-to-image", "text-to-image", "images", "images of a caption")
TRANSLATION = Task("translation", "translation", "text", "sentences translated between languages")

ALL = (UNCONDITIONAL_IMAGE, CLASS_CONDITIONAL_IMAGE, PAIRED_IMAGE_TO_IMAGE,
       UNPAIRED_IMAGE_TO_IMAGE, TEXT_TO_IMAGE, TRANSLATION)


@dataclasses.dataclass
class Showcase:
    """What `Family.showcase` returns for the CLI's `sample` verb.

    Attributes:
        images: uint8 `(N, H, W, C)` to tile into a grid (image tasks), or None.
        columns: grid columns (None: square).
        lines: text to print (translations, captions).
        summary: one line saying what was sampled.
    """

    images: object = None
    columns: int = None
    lines: tuple = ()
    summary: str = ""


def image_grid(images, columns=None):
    """Tiles uint8 images (N, H, W, C) into one (rows*H, cols*W, C) image."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * h, columns * w, c), dtype=images.dtype)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * h:(r + 1) * h, col * w:(col + 1) * w] = image
    return grid
