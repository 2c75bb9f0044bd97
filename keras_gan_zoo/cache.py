"""Where keras-gan-zoo caches what it derives from data (rendered sets,
reference features, text embeddings): plain `.npy` / `.npz` files, no pickle.

Everything lives under `$KERAS_HOME/keras_gan_zoo/<kind>` by default. The
kinds that do not depend on the Keras backend (rendered data sets, the
converted Inception network, reference Inception features) go to
`$KERAS_GAN_ZOO_SHARED_CACHE/<kind>` instead when that variable is set, so
several `KERAS_HOME`s (one per backend, as the test suite runs) share them.
"""

import contextlib
import os
import pathlib
import uuid

SHARED_KINDS = ("datasets", "inception_keras", "fid_features")


def cache_dir(kind):
    """The folder of cached `kind` files (see the module docstring)."""
    shared = os.environ.get("KERAS_GAN_ZOO_SHARED_CACHE")
    if shared and kind in SHARED_KINDS:
        return pathlib.Path(shared) / kind
    root = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return pathlib.Path(root) / "keras_gan_zoo" / kind


@contextlib.contextmanager
def replacing(path):
    """Yields a temporary path beside `path` to write; on success it replaces
    `path` in one step, so a reader, or another process writing the same
    cache entry at the same time, never sees a half-written file.

    The temporary name keeps `path`'s suffixes (NumPy adds `.npy`/`.npz` to a
    name without one; Keras wants `.weights.h5`) and is unique per call.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffixes = "".join(path.suffixes)  # all of them: Keras wants "*.weights.h5"
    tmp = path.with_name(f".{path.name[: len(path.name) - len(suffixes)]}.{uuid.uuid4().hex}{suffixes}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
