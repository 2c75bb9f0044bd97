import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import TINY, weights_of


def test_generate_shapes_dtype_and_seeds(tiny_dcgan):
    images = tiny_dcgan.generate(5, seed=0)
    assert images.shape == (5, 16, 16, 1) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, tiny_dcgan.generate(5, seed=0))
    assert not np.array_equal(images, tiny_dcgan.generate(5, seed=1))
    floats = tiny_dcgan.generate(5, seed=0, output="float")
    assert floats.dtype == np.float32 and floats.min() >= -1 and floats.max() <= 1


def test_explicit_latents_and_batching_agree(tiny_dcgan):
    z = tiny_dcgan.sample_latents(7, seed=4)
    a = tiny_dcgan.generate(latents=z, output="float")
    b = tiny_dcgan.generate(latents=z, batch_size=3, output="float")
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, tiny_dcgan.generate(7, seed=4, output="float"), atol=1e-6)


@pytest.mark.parametrize("size, channels", [(8, 1), (28, 1), (32, 3)])
def test_resolutions(size, channels):
    model = kgz.DCGAN(latent_dim=4, image_size=size, channels=channels, width=2)
    assert model.generate(2, seed=0).shape == (2, size, size, channels)
    assert tuple(model.discriminator.output.shape) == (None, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(image_size=30), "image_size"),
        (dict(channels=2), "channels must be 1 or 3"),
        (dict(d_steps=0), "d_steps"),
        (dict(ema_decay=1.5), "ema_decay"),
    ],
)
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kgz.DCGAN(**{**TINY, **kwargs})


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: m.generate(), "num_images"),
        (lambda m: m.generate(0), "positive integer"),
        (lambda m: m.generate(latents=np.zeros((2, 3))), r"latents of shape \(N, 8\)"),
        (lambda m: m.generate(latents=np.full((2, 8), np.nan)), "NaN"),
        (lambda m: m.generate(2, output="png"), "output"),
    ],
)
def test_bad_generate_arguments(tiny_dcgan, call, match):
    with pytest.raises(ValueError, match=match):
        call(tiny_dcgan)


def _bad_batches(images):
    floats = images.astype("float32") / 127.5 - 1
    nan = floats.copy()
    nan[0, 0, 0, 0] = np.nan
    return {
        "wrong size": (images[:, :8, :8], r"shape \(N, 16, 16, 1\).*got shape \(64, 8, 8, 1\)"),
        "channels first": (np.repeat(images, 3, -1).transpose(0, 3, 1, 2)[:, :1], "shape"),
        "floats out of range": (images.astype("float32"), r"floats in \[0, 255\]"),
        "ints out of range": (images.astype("int32") * 2, r"integers in \[0, 510\]"),
        "nan": (nan, "NaN"),
        "strings": (np.array([["a"]]), "dtype"),
    }


@pytest.mark.parametrize("case", ["wrong size", "floats out of range", "ints out of range", "nan", "strings"])
def test_bad_training_data_is_rejected_and_changes_nothing(tiny_dcgan, tiny_images, case):
    data, match = _bad_batches(tiny_images)[case]
    tiny_dcgan.compile()
    before = weights_of(tiny_dcgan)
    with pytest.raises(ValueError, match=match):
        tiny_dcgan.fit(data, batch_size=16, epochs=1, verbose=0)
    after = weights_of(tiny_dcgan)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))


def test_channels_first_data_gets_a_channels_last_hint(tiny_images):
    model = kgz.DCGAN(latent_dim=4, image_size=16, channels=3, width=2)
    rgb = np.repeat(tiny_images, 3, -1)
    with pytest.raises(ValueError, match="channels-last is required"):
        model.fit(rgb.transpose(0, 3, 1, 2), epochs=1, verbose=0)


def test_streamed_data_with_the_wrong_shape_is_rejected(tiny_dcgan, tiny_images):
    tiny_dcgan.compile()
    before = weights_of(tiny_dcgan)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return tiny_images[:16, :8, :8]

    with pytest.raises(ValueError, match=r"expected images of shape \(N, 16, 16, 1\)"):
        tiny_dcgan.fit(Batches(), epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights_of(tiny_dcgan)))


def test_fit_accepts_floats_uint8_and_pydataset(tiny_dcgan, tiny_images):
    tiny_dcgan.compile()
    tiny_dcgan.fit(tiny_images.astype("float32") / 127.5 - 1, batch_size=32, epochs=1, verbose=0)
    tiny_dcgan.fit(tiny_images[..., 0], batch_size=32, epochs=1, verbose=0)  # (N, H, W) grayscale

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return tiny_images[i * 32:(i + 1) * 32]

    history = tiny_dcgan.fit(Batches(), epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][-1])


def test_labels_given_to_an_unconditional_model_are_named_unused(tiny_dcgan, tiny_images):
    """(images, labels), as keras.utils.image_dataset_from_directory yields by
    default, trains on the images and says the labels went unused; images
    alone say nothing."""
    import warnings

    tiny_dcgan.compile()
    with pytest.warns(UserWarning, match="the labels that come with the images are not used"):
        tiny_dcgan.fit(tiny_images, np.zeros(len(tiny_images)), batch_size=32, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_dcgan.fit(tiny_images, batch_size=32, epochs=1, verbose=0)


def test_config_round_trip(tiny_dcgan):
    config = tiny_dcgan.get_config()
    clone = kgz.DCGAN.from_config(config)
    assert clone.get_config() == config
    assert [v.shape for v in clone.weights] == [v.shape for v in tiny_dcgan.weights]


def test_fit_accepts_tf_data_and_torch_dataloader(tiny_dcgan, tiny_images):
    tf = pytest.importorskip("tensorflow")
    torch = pytest.importorskip("torch")
    tiny_dcgan.compile()
    before = weights_of(tiny_dcgan.discriminator)
    tiny_dcgan.fit(tf.data.Dataset.from_tensor_slices(tiny_images).batch(32), epochs=1, verbose=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(tiny_images))
    loader = torch.utils.data.DataLoader(dataset, batch_size=32)
    history = tiny_dcgan.fit(loader, epochs=1, verbose=0)
    assert np.isfinite(history.history["g_loss"][-1])
    assert any(not np.array_equal(a, b) for a, b in zip(weights_of(tiny_dcgan.discriminator), before))
