"""Where keras-gan-zoo caches what it derives from data (rendered sets,
reference features, text embeddings): plain `.npy` / `.npz` files, no pickle.

Everything lives under `$KERAS_HOME/keras_gan_zoo/<kind>` by default. The
kinds that do not depend on the Keras backend (rendered data sets, the
converted Inception network, reference Inception features) go to
`$KERAS_GAN_ZOO_SHARED_CACHE/<kind>` instead when that variable is set, so
several `KERAS_HOME`s (one per backend, as the test suite runs) share them.
"""

import os
import pathlib

SHARED_KINDS = ("datasets", "inception_keras", "fid_features")


def cache_dir(kind):
    """The folder of cached `kind` files (see the module docstring)."""
    shared = os.environ.get("KERAS_GAN_ZOO_SHARED_CACHE")
    if shared and kind in SHARED_KINDS:
        return pathlib.Path(shared) / kind
    root = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(root) / "keras_gan_zoo" / kind
