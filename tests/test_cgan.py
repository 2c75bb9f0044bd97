"""Class-conditional GAN: labels in, the right classes out, on every backend."""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import count_changed, weights_of
from keras_gan_zoo import classifier

CTINY = dict(num_classes=3, latent_dim=8, image_size=16, channels=1, width=4, embedding_dim=4)


@pytest.fixture
def labelled_images():
    """Class k: a bright square in corner k; a learnable conditional toy set."""
    rng = np.random.default_rng(0)
    labels = np.arange(48) % 3
    images = np.zeros((48, 16, 16, 1), dtype="uint8")
    for image, label in zip(images, labels):
        r, c = [(0, 0), (0, 8), (8, 0)][label] + rng.integers(0, 2, size=2)
        image[r:r + 6, c:c + 6] = 255
    return images, labels


@pytest.mark.parametrize("mode", ["projection", "concat"])
def test_fit_updates_generator_discriminator_and_label_embeddings(mode, labelled_images):
    keras.utils.set_random_seed(0)
    model = kgz.ConditionalGAN(**CTINY, discriminator=mode, seed=0)
    g0, d0 = weights_of(model.generator), weights_of(model.discriminator)
    model.compile()
    history = model.fit(*labelled_images, batch_size=16, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert count_changed(model.generator, g0) == len(g0)
    assert count_changed(model.discriminator, d0) == len(d0)


def test_generate_follows_the_labels(labelled_images):
    model = kgz.ConditionalGAN(**CTINY, seed=0)
    z = model.sample_latents(3, seed=0)
    same_z = np.repeat(z[:1], 3, axis=0)
    images = model.generate(latents=same_z, labels=[0, 1, 2], output="float")
    # Same latent, different label: different images (the label is used).
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])
    np.testing.assert_array_equal(model.generate(4, labels=2, seed=1), model.generate(4, labels=[2] * 4, seed=1))
    # Default labels cycle through the classes.
    np.testing.assert_array_equal(model.generate(6, seed=3), model.generate(6, labels=[0, 1, 2, 0, 1, 2], seed=3))


def test_labels_by_the_names_of_the_data_sets_classes():
    model = kgz.ConditionalGAN(**{**CTINY, "num_classes": 10}, seed=0)
    model.preset_metadata = {"training": {"dataset": "fashion_mnist"}}  # as from_pretrained records it
    np.testing.assert_array_equal(model.generate(3, labels="Sneaker", seed=1), model.generate(3, labels=7, seed=1))
    np.testing.assert_array_equal(model.generate(labels=["bag", "1", 2], seed=1),
                                  model.generate(labels=[8, 1, 2], seed=1))
    with pytest.raises(ValueError, match=r"unknown class 'shoe' for data set 'fashion_mnist': use one of \['t-shirt"):
        model.generate(labels=["shoe"])
    with pytest.raises(ValueError, match="unknown class 'bag' for data set 'mnist'"):  # the family's default set
        kgz.ConditionalGAN(**{**CTINY, "num_classes": 10}).generate(labels=["bag"])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.generate(2, labels=[0, 3]), r"labels must be in \[0, 2\]"),
        (lambda m: m.generate(2, labels=[-1, 0]), r"labels must be in \[0, 2\]"),
        (lambda m: m.generate(2, labels=[0.5, 1]), "integers"),
        (lambda m: m.generate(3, labels=[0, 1]), "got 2 labels for num_images=3"),
        (lambda m: m.generate(labels=[]), "non-empty"),
        (lambda m: m.generate(latents=np.zeros((2, 8)), labels=[0]), "got 1 labels for num_images=2"),
    ],
)
def test_bad_labels_are_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(kgz.ConditionalGAN(**CTINY))


@pytest.mark.parametrize("bad, match", [
    ("missing", "needs labels"), ("out of range", r"labels must be in \[0, 2\]"), ("short", "48 images but 47 labels")])
def test_bad_training_labels_change_nothing(labelled_images, bad, match):
    images, labels = labelled_images
    labels = {"missing": None, "out of range": labels + 1, "short": labels[:-1]}[bad]
    model = kgz.ConditionalGAN(**CTINY)
    model.compile()
    before = weights_of(model)
    with pytest.raises(ValueError, match=match):
        model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(model)))


def test_preset_round_trip_and_wrong_family(tmp_path, labelled_images):
    model = kgz.ConditionalGAN(**CTINY, seed=0)
    model.fit(*labelled_images, batch_size=16, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "cgan", metadata={"training": {"dataset": "mnist"}})
    loaded = kgz.ConditionalGAN.from_pretrained(folder)
    np.testing.assert_array_equal(model.generate(6, seed=0), loaded.generate(6, seed=0))
    assert "labels=range(10)" in (folder / "README.md").read_text()
    with pytest.raises(ValueError, match="is a ConditionalGAN, not a Pix2Pix"):
        kgz.Pix2Pix.from_pretrained(folder)
    loaded.fit(*labelled_images, batch_size=16, epochs=1, verbose=0)  # fine-tunes


def test_class_fidelity_counts_the_requested_classes():
    """A classifier that always answers 1: fidelity is exactly 1/3, and 100% for class 1."""
    model = kgz.ConditionalGAN(**CTINY)
    inputs = keras.Input((16, 16, 1))
    always_one = keras.Model(inputs, keras.layers.Dense(3, kernel_initializer="zeros",
                                                        bias_initializer=keras.initializers.Constant([0, 1, 0]))(
        keras.layers.Flatten()(inputs)))
    result = classifier.class_fidelity(model, "mnist", num_per_class=5,
                                       classifier=(always_one, {"test_accuracy": 1.0}))
    assert result["per_class"] == [0.0, 1.0, 0.0]
    assert result["accuracy"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="not class-conditional"):
        classifier.class_fidelity(kgz.DCGAN(latent_dim=4, image_size=16, width=2), "mnist")


def test_shipped_classifiers_classify_held_out_images():
    """Measured here, not read back: the shipped weights on 500 test images."""
    from keras_gan_zoo import datasets

    for name, floor in (("mnist", 0.97), ("fashion_mnist", 0.85)):
        model, info = classifier.load_classifier(name)
        _, (x_test, y_test) = datasets.load(name)
        accuracy = np.mean(classifier.predict_labels(model, x_test[:500]) == y_test[:500])
        assert accuracy >= floor and abs(accuracy - info["test_accuracy"]) < 0.03
    with pytest.raises(ValueError, match="No class-fidelity classifier"):
        classifier.load_classifier("cifar10")
