"""pix2pix: paired translation, L1-only baseline, clear errors, presets."""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import count_changed, weights_of

PTINY = dict(image_size=16, width=4, max_width=8, d_layers=2)


@pytest.fixture
def pairs():
    """Input: a square outline; target: the same square filled with a colour."""
    rng = np.random.default_rng(0)
    inputs = np.full((32, 16, 16, 3), 255, dtype="uint8")
    targets = inputs.copy()
    for x, y in zip(inputs, targets):
        r, c = rng.integers(0, 8, size=2)
        x[r:r + 8, c:c + 8] = 0
        x[r + 1:r + 7, c + 1:c + 7] = 255
        y[r:r + 8, c:c + 8] = 0
        y[r + 1:r + 7, c + 1:c + 7] = rng.integers(0, 256, size=3)
    return inputs, targets


def test_fit_updates_both_players(pairs):
    keras.utils.set_random_seed(0)
    model = kgz.Pix2Pix(**PTINY, seed=0)
    g0, d0 = weights_of(model.generator), weights_of(model.discriminator)
    model.compile()
    history = model.fit(*pairs, batch_size=8, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert count_changed(model.generator, g0) == len(g0)
    assert count_changed(model.discriminator, d0) == len(d0)


def test_l1_only_baseline_freezes_the_discriminator_and_learns(pairs):
    keras.utils.set_random_seed(0)
    model = kgz.Pix2Pix(**PTINY, adversarial_weight=0.0, seed=0)
    d0 = weights_of(model.discriminator)
    model.compile(g_optimizer=keras.optimizers.Adam(2e-3))
    assert model.optimizer_names == ["g"]
    start = np.abs(model.translate(pairs[0]) / 255.0 - pairs[1] / 255.0).mean()
    history = model.fit(*pairs, batch_size=8, epochs=15, verbose=0)
    assert set(history.history) == {"g_loss"}
    assert count_changed(model.discriminator, d0) == 0
    end = np.abs(model.translate(pairs[0]) / 255.0 - pairs[1] / 255.0).mean()
    assert end < 0.6 * start


def test_translate_is_deterministic_and_batch_independent(pairs):
    model = kgz.Pix2Pix(**PTINY)
    a = model.translate(pairs[0][:5], output="float")
    np.testing.assert_allclose(a, model.translate(pairs[0][:5], batch_size=2, output="float"), atol=1e-5)
    np.testing.assert_array_equal(model.translate(pairs[0][:5]), model.translate(pairs[0][:5]))
    assert model.translate(pairs[0][:5]).dtype == np.uint8


@pytest.mark.parametrize("images, match", [
    (np.zeros((2, 32, 32, 3), "uint8"), r"shape \(N, 16, 16, 3\).*got shape \(2, 32, 32, 3\)\. Resize them "
                                        r"to 16x16 first, e\.g\. .*load_image_folder\(folder, image_size=16\)"),
    (np.zeros((2, 16, 16, 1), "uint8"), r"got shape \(2, 16, 16, 1\)$"),  # not a size to resize
    (np.zeros((16, 16, 3), "uint8"), r"got one image of shape \(16, 16, 3\): add the batch axis, e\.g\. image\[None\]"),
    (np.zeros((0, 16, 16, 3), "uint8"), r"got an empty batch$"),
    (np.zeros((2, 3, 16, 16), "uint8"), "channels-last"),
    (np.full((2, 16, 16, 3), 2.0, "float32"), r"floats in \[2, 2\]"),
])
def test_translate_rejects_bad_images(images, match):
    with pytest.raises(ValueError, match=match):
        kgz.Pix2Pix(**PTINY).translate(images)


@pytest.mark.parametrize("case, match", [
    ("no targets", "needs pairs"), ("unaligned", "32 inputs but 31 targets"),
    ("wrong size", r"targets of shape \(N, 16, 16, 3\)")])
def test_bad_pairs_change_nothing(pairs, case, match):
    inputs, targets = pairs
    targets = {"no targets": None, "unaligned": targets[:-1], "wrong size": targets[:, :8, :8]}[case]
    model = kgz.Pix2Pix(**PTINY)
    model.compile()
    before = weights_of(model)
    with pytest.raises(ValueError, match=match):
        model.fit(inputs, targets, batch_size=8, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(model)))


def test_bad_configuration():
    with pytest.raises(ValueError, match="power of two"):
        kgz.Pix2Pix(image_size=48)
    with pytest.raises(ValueError, match="in_channels must be 1 or 3"):
        kgz.Pix2Pix(image_size=16, in_channels=2)


def test_preset_ships_the_discriminator_and_fine_tunes(tmp_path, pairs):
    model = kgz.Pix2Pix(**PTINY, seed=0)
    model.fit(*pairs, batch_size=8, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "p2p", metadata={"training": {"dataset": "openmoji_line2color"}})
    loaded = kgz.from_pretrained(folder)
    assert isinstance(loaded, kgz.Pix2Pix)
    for a, b in zip(model.discriminator.weights, loaded.discriminator.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    np.testing.assert_array_equal(model.translate(pairs[0][:4]), loaded.translate(pairs[0][:4]))
    card = (folder / "README.md").read_text()
    assert "license: cc-by-sa-4.0" in card and "openmoji.org" in card
    d0 = weights_of(loaded.discriminator)
    loaded.fit(*pairs, batch_size=8, epochs=1, verbose=0)
    assert count_changed(loaded.discriminator, d0) > 0
