"""Class fidelity and mode coverage: a small CNN trained on a real training
set judges whether a class-conditional generator draws the class it was
asked for, and how many classes an unconditional generator draws, how
evenly.

The classifiers ship with the package (`keras_gan_zoo/assets/classifiers/`,
plain HDF5 weights and a JSON file with their own test accuracy) and are
reproduced by `python recipes/classifiers.py`.

Example:

>>> from keras_gan_zoo import classifier
>>> model = kgz.from_pretrained("cgan-mnist")
>>> classifier.class_fidelity(model, "mnist", num_per_class=1000)["accuracy"]
"""

import json
import pathlib
import time

import keras
import numpy as np
from keras import layers

from keras_gan_zoo import datasets, gradients, tasks, validation

ASSETS = pathlib.Path(__file__).resolve().parent / "assets" / "classifiers"


def build_classifier(image_shape=(28, 28, 1), num_classes=10):
    """Two conv blocks and a dense head: ~99% on MNIST in a few epochs."""
    images = keras.Input(image_shape, name="images")  # floats in [-1, 1]
    x = images
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    logits = layers.Dense(num_classes, dtype="float32")(x)
    return keras.Model(images, logits, name="classifier")


def train_classifier(dataset, epochs=4, batch_size=128, seed=0, output_dir=ASSETS, verbose=2):
    """Trains the classifier on `dataset`'s training split and stores its
    weights and its accuracy on the test split in `output_dir`."""
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = datasets.load(dataset)
    model = build_classifier(x_train.shape[1:], int(y_train.max()) + 1)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.time()
    model.fit(validation.check_images(x_train, x_train.shape[1:]), y_train, batch_size=batch_size, epochs=epochs,
              shuffle=True, verbose=verbose)
    wall = time.time() - start
    predicted = predict_labels(model, x_test)
    info = {
        "dataset": dataset,
        "image_shape": list(x_train.shape[1:]),
        "num_classes": int(y_train.max()) + 1,
        "test_accuracy": float(np.mean(predicted == y_test)),
        "num_test": int(len(y_test)),
        "epochs": epochs,
        "command": "python recipes/classifiers.py",
        "backend": keras.backend.backend(),
        "device": gradients.device_description(),
        "wall_time_s": round(wall, 1),
    }
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(output_dir / f"{dataset}.weights.h5"))
    (output_dir / f"{dataset}.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"{dataset} classifier: test accuracy {info['test_accuracy']:.4f}")
    return model, info


def load_classifier(dataset, directory=ASSETS):
    """The shipped classifier of `dataset` and its info dict."""
    directory = pathlib.Path(directory)
    info_path = directory / f"{dataset}.json"
    if not info_path.is_file():
        available = sorted(p.stem for p in directory.glob("*.json"))
        raise ValueError(
            f"No class-fidelity classifier for {dataset!r}; available: {available}. "
            "Train one with keras_gan_zoo.classifier.train_classifier(dataset)."
        )
    info = json.loads(info_path.read_text())
    model = build_classifier(tuple(info["image_shape"]), info["num_classes"])
    model.load_weights(str(directory / f"{dataset}.weights.h5"))
    return model, info


def predict_labels(model, images, batch_size=1000):
    """The class the classifier `model` reads in each image (numpy ints);
    images larger than its input by a zero-padded border (ProGAN's and the
    32x32 presets' frame) are centre-cropped to its size first."""
    shape = tuple(model.input_shape[1:])
    if images.ndim == 4 and images.shape[1] > shape[0] and images.shape[3:] == shape[2:]:
        images = datasets.center_crop(images, shape[0])  # e.g. 32x32 zero-padded -> 28x28
    images = validation.check_images(images, shape)
    chunks = [
        np.argmax(keras.ops.convert_to_numpy(model.predict_on_batch(images[i:i + batch_size])), axis=-1)
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(chunks)


def class_fidelity(model, dataset, num_per_class=1000, seed=123, classifier=None,
                   generate_args=None):
    """Fraction of generated images that the classifier assigns to the
    requested class, overall and per class.

    Args:
        model: a class-conditional model with `num_classes` and
            `generate(n, labels=..., seed=...)`.
        dataset: the data set whose shipped classifier judges the images
            (images larger than its input, e.g. 32x32 zero-padded
            Fashion-MNIST, are centre-cropped to it).
        num_per_class: images generated for each class.
        generate_args: extra arguments of `generate` (e.g. `{"truncation": 0.5}`).
    """
    if getattr(model, "task", None) is not tasks.CLASS_CONDITIONAL_IMAGE:
        raise ValueError(f"{type(model).__name__} is not class-conditional.")
    classifier, info = classifier or load_classifier(dataset)
    labels = np.repeat(np.arange(model.num_classes), validation.check_count(num_per_class))
    images = model.generate(labels=labels, seed=seed, **(generate_args or {}))
    predicted = predict_labels(classifier, images)
    per_class = [float(np.mean(predicted[labels == c] == c)) for c in range(model.num_classes)]
    return {
        "accuracy": float(np.mean(predicted == labels)),
        "per_class": per_class,
        "num_generated": int(len(labels)),
        "classifier_test_accuracy": info["test_accuracy"],
        "seed": seed,
        **datasets.named_classes(dataset),
    }


def has_classifier(dataset, directory=ASSETS):
    """Whether a classifier ships for `dataset`."""
    return (pathlib.Path(directory) / f"{dataset}.json").is_file()


def mode_coverage(model, dataset, num_images=10000, seed=123, classifier=None,
                  dataset_args=None, real_images=None, images=None):
    """How many of the data set's classes an unconditional generator draws,
    and how evenly: the mode-collapse check for class-labelled data.

    The shipped classifier reads `num_images` samples and the real test
    images; the same classifier on both sides, so its own errors count on
    both.

    Returns:
        A dict: `histogram` (share of samples per class), `classes_covered`
        (classes with at least a tenth of a fair share, 1 / (10 K)),
        `normalized_entropy` (H(p) / log K: 1 is perfectly even, 0 a single
        class), `total_variation` (half the L1 distance between the
        generated and the real test images' class shares: 0 is the same
        mix), `real_histogram`, and counts.

    `real_images` replaces the test split as the real side (e.g. a subset);
    `images` are generated images to read instead of `model.generate`'s
    (e.g. `sampling.discriminator_resample`'s; `num_images` is then their
    count).
    """
    classifier, info = classifier or load_classifier(dataset)
    if images is None:
        num_images = validation.check_count(num_images)
        images = model.generate(num_images, seed=seed)
    num_images = len(images)
    k = int(info["num_classes"])
    generated = predict_labels(classifier, images)
    if real_images is None:
        real_images, _ = datasets.load_held_out(dataset, **(dataset_args or {}))
    real = predict_labels(classifier, real_images)
    p = np.bincount(generated, minlength=k) / len(generated)
    q = np.bincount(real, minlength=k) / len(real)
    nonzero = p[p > 0]
    return {
        "histogram": [round(float(v), 5) for v in p],
        "real_histogram": [round(float(v), 5) for v in q],
        "classes_covered": int(np.sum(p >= 0.1 / k)),
        "num_classes": k,
        "normalized_entropy": float(-np.sum(nonzero * np.log(nonzero)) / np.log(k)),
        "total_variation": float(0.5 * np.abs(p - q).sum()),
        "num_generated": int(num_images), "num_real": int(len(real)), "seed": seed,
        "classifier_test_accuracy": info["test_accuracy"],
        **datasets.named_classes(dataset),
    }
