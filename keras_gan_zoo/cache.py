"""Where keras-gan-zoo caches what it derives from data (rendered sets,
reference features, text embeddings): plain `.npy` / `.npz` files, no pickle."""

import os
import pathlib


def cache_dir(kind):
    """`$KERAS_HOME/keras_gan_zoo/<kind>` (default `~/.keras/...`)."""
    root = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(root) / "keras_gan_zoo" / kind
