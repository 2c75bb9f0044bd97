"""Input checks that fail early with a message saying what to do."""

import numpy as np


def _shape_str(shape):
    return "(N, " + ", ".join(str(d) for d in shape) + ")"


def check_images(images, image_shape, name="images"):
    """Validates a numpy batch of images and returns float32 in [-1, 1].

    Accepts uint8 (or other integer) values in [0, 255] and floats in
    [-1, 1], channels-last. A single-channel image shape also accepts
    `(N, H, W)` arrays.

    Raises:
        ValueError: wrong rank or shape, channels-first layout, NaN or
            infinite values, or values outside [0, 255] / [-1, 1].
    """
    image_shape = tuple(image_shape)
    expected = (
        f"expected {name} of shape {_shape_str(image_shape)} with values in "
        "[0, 255] (integers) or [-1, 1] (floats)"
    )
    try:
        array = np.asarray(images)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{expected}; could not convert the input to an array: {error}")
    if array.dtype == bool:
        raise ValueError(f"{expected}; got a boolean array: convert masks to images first, "
                         "e.g. images.astype('uint8') * 255")
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{expected}; got an array of dtype {array.dtype}")
    if tuple(array.shape) == image_shape:
        raise ValueError(f"{expected}; got one image of shape {array.shape}: add the batch axis, "
                         "e.g. image[None]")
    if array.ndim == len(image_shape) and image_shape[-1] == 1:
        array = array[..., None]
    if array.ndim != len(image_shape) + 1:
        raise ValueError(f"{expected}; got shape {array.shape}")
    if tuple(array.shape[1:]) != image_shape:
        channels_first = (image_shape[-1],) + image_shape[:-1]
        if tuple(array.shape[1:]) == channels_first and image_shape[-1] != image_shape[0]:
            raise ValueError(
                f"{expected}; got {array.shape}: channels-last is required, "
                "transpose with np.moveaxis(images, 1, -1)"
            )
        if array.shape[-1] == image_shape[-1]:  # the size alone differs
            size = image_shape[0]
            raise ValueError(f"{expected}; got shape {array.shape}. Resize them to {size}x{size} first, "
                             f"e.g. keras_gan_zoo.datasets.load_image_folder(folder, image_size={size})")
        raise ValueError(f"{expected}; got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{expected}; got an empty batch")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{expected}; the data contains NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < -1.0 - 1e-6 or high > 1.0 + 1e-6:
            raise ValueError(
                f"{expected}; got floats in [{low:g}, {high:g}]. Scale them "
                "with images / 127.5 - 1, or pass uint8 values"
            )
        return array.astype("float32")
    low, high = int(array.min()), int(array.max())
    if low < 0 or high > 255:
        raise ValueError(f"{expected}; got integers in [{low}, {high}]")
    return (array.astype("float32") / 127.5 - 1.0).astype("float32")


def to_uint8(images):
    """Maps [-1, 1] floats to uint8 [0, 255] by rounding."""
    images = np.asarray(images, dtype="float32")
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype("uint8")


def check_count(num, name="num_images"):
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f"{name} must be a positive integer; got {num!r}")
    return int(num)


def random_generator(seed):
    """`np.random.default_rng(seed)` for a seed a user passed: None (fresh
    randomness) or a non-negative integer, else a clear error."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"seed must be None or a non-negative integer; got {seed!r}")
    return np.random.default_rng(seed)


def check_latents(latents, latent_dim, name="latents"):
    """Latent vectors as float32 `(N, latent_dim)`; a wrong shape, an empty
    batch or NaN/infinite values are clear errors."""
    latents = np.asarray(latents, dtype="float32")
    if latents.ndim != 2 or latents.shape[1] != latent_dim or len(latents) == 0:
        raise ValueError(f"expected {name} of shape (N, {latent_dim}); got {latents.shape}")
    if not np.all(np.isfinite(latents)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return latents


def check_strings(texts, what="captions", example="a red heart"):
    """A list of non-empty strings (a single string is one), such as captions
    or sentences to translate; `what` names them and `example` shows one in
    the error messages.

    Raises TypeError for non-text input and ValueError for an empty list or
    an empty string, naming the first bad index.
    """
    if isinstance(texts, (str, np.str_)):
        texts = [texts]
    if isinstance(texts, np.ndarray):
        if texts.ndim != 1:
            raise ValueError(f"{what} must be a 1-D list of strings; got an array of shape {texts.shape}")
        texts = texts.tolist()
    if not isinstance(texts, (list, tuple)):
        raise TypeError(f"{what} must be a string or a list of strings; got {type(texts).__name__}")
    if not texts:
        raise ValueError(f"{what} is empty: give at least one, e.g. [{example!r}]")
    out = []
    for i, text in enumerate(texts):
        if isinstance(text, (bytes, np.bytes_)):
            raise TypeError(f"{what}[{i}] is bytes, not a string: decode it first, "
                            f"e.g. text.decode('utf-8')")
        if not isinstance(text, (str, np.str_)):
            raise TypeError(f"{what}[{i}] is a {type(text).__name__}, not a string: "
                            f"{what} must be text such as {example!r}")
        if not text.strip():
            raise ValueError(f"{what}[{i}] is an empty string: each needs at least one word")
        out.append(str(text))
    return out
