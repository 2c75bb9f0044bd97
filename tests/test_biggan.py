"""BigGAN: the tricks are there and train on every backend (tiny configuration)."""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import count_changed, weights_of

BTINY = dict(num_classes=3, latent_dim=12, image_size=16, channels=1, width=8, embedding_dim=8,
             attention_resolution=8)


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (16, 16, 16, 1), dtype=np.uint8), np.arange(16) % 3


def test_architecture_has_the_biggan_parts():
    model = kgz.BigGAN(**BTINY)
    names = [type(layer).__name__ for layer in model.generator.layers]
    assert names.count("ConditionalBatchNorm") == 4 and "SelfAttention" in names
    assert "SNConv2D" in names and "SNDense" in names
    d_names = [type(layer).__name__ for layer in model.discriminator.layers]
    assert "SelfAttention" in d_names and "SNConv2D" in d_names
    assert model.gan_loss is None and model.default_loss == "hinge" and model.d_steps == 2


def test_fit_plays_two_d_steps_and_updates_both(labelled):
    keras.utils.set_random_seed(0)
    model = kgz.BigGAN(**BTINY, seed=0)
    g0, d0 = weights_of(model.generator), weights_of(model.discriminator)
    model.compile()
    history = model.fit(*labelled, batch_size=8, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    steps = {n: int(keras.ops.convert_to_numpy(o.iterations)) for n, o in model.player_optimizers.items()}
    assert steps == {"d": 4, "g": 2}
    assert count_changed(model.generator, g0) > len(g0) // 2
    assert count_changed(model.discriminator, d0) > len(d0) // 2


def test_truncation_bounds_the_latents_and_changes_the_images():
    model = kgz.BigGAN(**BTINY)
    z = model.sample_latents(50, seed=0, truncation=0.5)
    assert np.abs(z).max() <= 0.5 and z.std() > 0.2
    a = model.generate(4, labels=[0, 1, 2, 0], seed=0, truncation=0.5)
    np.testing.assert_array_equal(a, model.generate(4, labels=[0, 1, 2, 0], seed=0, truncation=0.5))
    assert a.shape == (4, 16, 16, 1)
    with pytest.raises(ValueError, match="truncation must be a positive"):
        model.generate(2, truncation=0)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\]"):
        model.generate(2, labels=[0, 3], truncation=0.5)
    with pytest.raises(ValueError, match="4 \\* 2\\^k"):
        kgz.BigGAN(**{**BTINY, "image_size": 24})


def test_preset_round_trip(tmp_path, labelled):
    model = kgz.BigGAN(**BTINY, seed=0)
    model.fit(*labelled, batch_size=8, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "biggan", metadata={"training": {"dataset": "fashion_mnist"}})
    loaded = kgz.BigGAN.from_pretrained(folder)
    np.testing.assert_array_equal(model.generate(6, seed=0), loaded.generate(6, seed=0))
    loaded.fit(*labelled, batch_size=8, epochs=1, verbose=0)
