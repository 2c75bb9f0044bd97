"""Text-image alignment of a text-to-image generator, judged by a model that
is not the generator's own discriminator.

A small dual encoder (a CNN for 64x64 images, a linear map of the frozen
all-MiniLM-L6-v2 caption embedding) is trained contrastively (CLIP's
symmetric cross-entropy over a batch's image-caption similarities) on the
*training* split of the captioned emoji only. It then scores:

- **R-precision** (Xu et al. 2018, AttnGAN): for each image, rank its own
  caption among itself and `num_candidates - 1` captions of other held-out
  emoji; the score is the fraction ranked first (chance: 1/num_candidates).
  On real held-out images it is the judge's own accuracy, the ceiling a
  generator can be compared with.

The judge ships with the package (`keras_gan_zoo/assets/alignment/`, plain
HDF5 weights and a JSON file with its own held-out figures) and is
reproduced by `python recipes/alignment_openmoji.py`.

Example:

>>> from keras_gan_zoo import alignment
>>> judge = alignment.load_judge()
>>> _, (images, captions) = datasets.load("openmoji_captions", image_size=64)
>>> alignment.r_precision(judge, images, captions)["r_precision"]
"""

import json
import pathlib
import time

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import datasets, text, validation

ASSETS = pathlib.Path(__file__).resolve().parent / "assets" / "alignment"
JUDGE_NAME = "openmoji-64"
IMAGE_SIZE = 64


def build_judge(image_size=IMAGE_SIZE, channels=3, text_dim=text.EMBEDDING_DIM, embed_dim=128,
                temperature=0.07):
    """The dual encoder as one Keras model: ([images, caption embeddings]) ->
    the batch's (N, N) similarity logits (image i against caption j), with
    sub-models `image_encoder` and `text_projection`."""
    images = keras.Input((image_size, image_size, channels), name="images")  # floats in [-1, 1]
    x = images
    for filters in (24, 48, 96, 192):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(embed_dim)(x)
    image_vectors = layers.UnitNormalization(dtype="float32")(x)
    image_encoder = keras.Model(images, image_vectors, name="image_encoder")

    embedding = keras.Input((text_dim,), name="caption_embedding")
    y = layers.Dense(256, activation="relu")(embedding)
    y = layers.Dense(embed_dim)(y)
    text_vectors = layers.UnitNormalization(dtype="float32")(y)
    text_projection = keras.Model(embedding, text_vectors, name="text_projection")

    pair_images = keras.Input((image_size, image_size, channels), name="pair_images")
    pair_text = keras.Input((text_dim,), name="pair_caption_embedding")
    logits = ops.matmul(image_encoder(pair_images), ops.transpose(text_projection(pair_text)))
    logits = layers.Rescaling(1.0 / temperature, dtype="float32")(logits)
    return keras.Model([pair_images, pair_text], logits, name="alignment_judge")


def contrastive_loss(_, logits):
    """CLIP's symmetric cross-entropy: image i matches caption i of the batch."""
    labels = ops.arange(ops.shape(logits)[0])
    per_image = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    per_caption = keras.losses.sparse_categorical_crossentropy(labels, ops.transpose(logits),
                                                               from_logits=True)
    return 0.5 * (ops.mean(per_image) + ops.mean(per_caption))


def _images64(images):
    """uint8 images of any square size -> floats in [-1, 1] at 64x64 (area
    averaging for larger images, so a 128x128 sample is judged at 64x64)."""
    images = np.asarray(images)
    size = images.shape[1]
    if size != IMAGE_SIZE:
        if size % IMAGE_SIZE:
            raise ValueError(f"the judge reads {IMAGE_SIZE}x{IMAGE_SIZE} images or multiples; got {size}")
        f = size // IMAGE_SIZE
        images = images.reshape(len(images), IMAGE_SIZE, f, IMAGE_SIZE, f, -1).mean(axis=(2, 4))
    return validation.check_images(np.round(images).astype("uint8"), (IMAGE_SIZE, IMAGE_SIZE, 3))


def train_judge(epochs=15, batch_size=64, seed=0, output_dir=ASSETS, verbose=2):
    """Trains the judge on the training split of `openmoji_captions`
    (both caption styles), measures its R-precision on the held-out emoji,
    and writes `<output_dir>/openmoji-64.weights.h5` and `.json`."""
    keras.utils.set_random_seed(seed)
    (x_train, captions), (x_test, test_captions) = datasets.load(
        "openmoji_captions", image_size=IMAGE_SIZE, caption_style="both")
    judge = build_judge()
    judge.compile(optimizer=keras.optimizers.Adam(1e-3), loss=contrastive_loss)
    embeddings = text.encode_cached(list(captions))
    start = time.time()
    augmented = keras.Sequential([layers.RandomTranslation(0.06, 0.06, fill_mode="constant",
                                                           fill_value=1.0, seed=seed)])
    x = _images64(x_train)
    for epoch in range(epochs):
        order = np.random.default_rng(seed + epoch).permutation(len(x))
        judge.fit([np.asarray(augmented(x[order], training=True)), embeddings[order]],
                  np.zeros(len(x)), batch_size=batch_size, epochs=1, shuffle=False,
                  verbose=verbose if epoch % 5 == 4 else 0)
    wall = time.time() - start
    sample = np.random.default_rng(seed).choice(len(x_train) // 2, len(x_test), replace=False)
    report = {
        "judge": JUDGE_NAME,
        "trained_on": "openmoji_captions train split (image_size 64, caption_style both)",
        "train_pairs": int(len(x)),
        "epochs": epochs,
        "wall_time_s": round(wall, 1),
        "backend": keras.backend.backend(),
        "held_out_real": r_precision(judge, x_test, test_captions),
        # The same number of training pairs, for the generalisation gap.
        "train_real": r_precision(judge, x_train[sample], captions[sample]),
    }
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    judge.save_weights(str(output_dir / f"{JUDGE_NAME}.weights.h5"))
    (output_dir / f"{JUDGE_NAME}.json").write_text(json.dumps(report, indent=2) + "\n")
    return judge, report


def load_judge(directory=ASSETS):
    """The shipped judge (weights only: no pickle, no code)."""
    path = pathlib.Path(directory) / f"{JUDGE_NAME}.weights.h5"
    if not path.is_file():
        raise FileNotFoundError(f"No alignment judge at {path}. Train it with: "
                                "python recipes/alignment_openmoji.py")
    judge = build_judge()
    judge.load_weights(str(path))
    return judge


def judge_report(directory=ASSETS):
    """The judge's own figures (held-out R-precision on real images)."""
    return json.loads((pathlib.Path(directory) / f"{JUDGE_NAME}.json").read_text())


def r_precision(judge, images, captions, num_candidates=100, seed=0, batch_size=256):
    """R-precision of `images` (uint8, one per caption) against `captions`.

    Each image's caption competes with `num_candidates - 1` captions drawn
    from the *other distinct* captions in `captions`; returns
    `{"r_precision", "num_candidates", "num_images", "chance"}`.
    """
    captions = np.asarray(text.check_captions(list(captions)))
    if len(images) != len(captions):
        raise ValueError(f"got {len(images)} images for {len(captions)} captions")
    distinct = np.unique(captions)
    if len(distinct) < num_candidates:
        raise ValueError(f"R-precision with {num_candidates} candidates needs that many distinct "
                         f"captions; got {len(distinct)}")
    image_encoder = judge.get_layer("image_encoder")
    text_projection = judge.get_layer("text_projection")
    image_vectors = np.asarray(image_encoder.predict(_images64(images), batch_size=batch_size, verbose=0))
    caption_vectors = np.asarray(text_projection.predict(text.encode_cached(list(distinct)),
                                                         batch_size=batch_size, verbose=0))
    index = {c: i for i, c in enumerate(distinct)}
    rng = np.random.default_rng(seed)
    hits = 0
    for vector, caption in zip(image_vectors, captions):
        own = index[caption]
        others = rng.choice(len(distinct) - 1, num_candidates - 1, replace=False)
        others = others + (others >= own)  # skip the image's own caption
        scores = caption_vectors[np.concatenate([[own], others])] @ vector
        hits += int(np.argmax(scores) == 0)
    return {"r_precision": hits / len(captions), "num_candidates": num_candidates,
            "num_images": int(len(captions)), "chance": 1.0 / num_candidates}
