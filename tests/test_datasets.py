import io
import pickle

import numpy as np
import pytest
from PIL import Image

from keras_gan_zoo import datasets


@pytest.mark.parametrize("name, first_labels", [("mnist", [5, 0, 4, 1, 9]), ("fashion_mnist", [9, 0, 0, 3, 0])])
def test_standard_sets_match_the_official_files(name, first_labels):
    (x_train, y_train), (x_test, y_test) = datasets.load(name)
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_train.dtype == np.uint8 and x_train.max() == 255 and x_train.min() == 0
    assert list(y_train[:5]) == first_labels
    assert sorted(np.unique(y_test)) == list(range(10))
    assert np.bincount(y_test).min() >= 890  # test sets are roughly balanced


def test_unknown_set_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown data set 'cifar10'"):
        datasets.load("cifar10")


def test_numpy_only_unpickler_refuses_code():
    payload = pickle.dumps(print)  # any global other than numpy arrays
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        datasets._NumpyOnlyUnpickler(io.BytesIO(payload)).load()
    array = np.arange(6, dtype="float32").reshape(2, 3)
    loaded = datasets._NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(array))).load()
    np.testing.assert_array_equal(loaded, array)


def test_fashion_mnist_missing_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIRS", (str(tmp_path),))
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    monkeypatch.setenv("KERAS_GAN_ZOO_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.load_fashion_mnist()


def _write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_image_folder_with_classes_resizes_and_converts(tmp_path):
    rng = np.random.default_rng(0)
    _write(tmp_path / "cats" / "a.png", rng.integers(0, 255, (40, 40, 3), dtype=np.uint8))
    _write(tmp_path / "cats" / "b.jpg", rng.integers(0, 255, (28, 28, 3), dtype=np.uint8))
    _write(tmp_path / "dogs" / "c.png", np.full((28, 28), 200, dtype=np.uint8))
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    images, labels, names = datasets.load_image_folder(tmp_path, image_size=28, channels=1, with_labels=True)
    assert images.shape == (3, 28, 28, 1) and images.dtype == np.uint8
    assert names == ["cats", "dogs"] and list(labels) == [0, 0, 1]
    assert images[2].min() == 200 and images[2].max() == 200
    rgb = datasets.load_image_folder(tmp_path, image_size=16, channels=3)
    assert rgb.shape == (3, 16, 16, 3)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        datasets.load_image_folder(tmp_path / "nope", image_size=8)
    with pytest.raises(ValueError, match="No images"):
        datasets.load_image_folder(tmp_path, image_size=8)
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="Could not read image"):
        datasets.load_image_folder(tmp_path, image_size=8)


def test_a_user_folder_fine_tunes_a_model(tmp_path):
    import keras_gan_zoo as kgz

    for i in range(8):
        _write(tmp_path / f"{i}.png", np.full((20, 20), 30 * i, dtype=np.uint8))
    images = datasets.load_image_folder(tmp_path, image_size=16, channels=1)
    model = kgz.DCGAN(latent_dim=4, image_size=16, channels=1, width=2)
    model.compile()
    history = model.fit(images, batch_size=4, epochs=1, verbose=0)
    assert len(history.history["d_loss"]) == 1


def test_padded_sets_keep_the_original_pixels():
    (x28, y28), (t28, _) = datasets.load("fashion_mnist")
    (x32, y32), (t32, _) = datasets.load("fashion_mnist", image_size=32)
    assert x32.shape == (60000, 32, 32, 1) and t32.shape == (10000, 32, 32, 1)
    np.testing.assert_array_equal(datasets.center_crop(t32, 28), t28)
    np.testing.assert_array_equal(y32, y28)
    assert t32[:, :2].max() == 0 and t32[:, :, -2:].max() == 0  # a black border
    with pytest.raises(ValueError, match="differ from it by an even number"):
        datasets.pad_images(t28[:2], 31)
    with pytest.raises(ValueError, match="must be >= 28"):
        datasets.pad_images(t28[:2], 24)


def test_backend_independent_caches_can_be_shared_between_keras_homes(tmp_path, monkeypatch):
    from keras_gan_zoo.cache import cache_dir

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KERAS_GAN_ZOO_SHARED_CACHE", raising=False)
    assert cache_dir("datasets") == tmp_path / "home" / "keras_gan_zoo" / "datasets"
    monkeypatch.setenv("KERAS_GAN_ZOO_SHARED_CACHE", str(tmp_path / "shared"))
    for kind in ("datasets", "inception_keras", "fid_features"):
        assert cache_dir(kind) == tmp_path / "shared" / kind
    # Text embeddings are computed by the Keras backend: never shared.
    assert cache_dir("text") == tmp_path / "home" / "keras_gan_zoo" / "text"


def test_cache_entries_are_replaced_whole_or_not_at_all(tmp_path):
    # The test suite runs backends side by side on one shared cache, so two
    # processes may write the same entry: each writes its own temporary file
    # and swaps it in; a failed write leaves the old entry and no debris.
    from keras_gan_zoo.cache import replacing

    path = tmp_path / "cache" / "features.npy"
    with replacing(path) as first, replacing(path) as second:
        assert first != second and first.suffix == second.suffix == ".npy"
        np.save(first, np.zeros(3))
        np.save(second, np.ones(3))
    np.testing.assert_array_equal(np.load(path), np.zeros(3))  # the last to finish wins
    with pytest.raises(RuntimeError, match="disk full"):
        with replacing(path) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("disk full")
    np.testing.assert_array_equal(np.load(path), np.zeros(3))
    assert sorted(p.name for p in path.parent.iterdir()) == ["features.npy"]
    with replacing(tmp_path / "net" / "model.weights.h5") as tmp:  # Keras checks the whole ending
        assert tmp.name.endswith(".weights.h5") and tmp.name.startswith(".model.")
        tmp.write_bytes(b"weights")
