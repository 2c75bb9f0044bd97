"""Presets: save/load, checksums, family checks, cross-backend identity."""

import json

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import outputs_on_other_backends
from keras_gan_zoo import presets

SHIPPED = ("dcgan-mnist", "dcgan-fashion-mnist")


@pytest.fixture
def saved_preset(tmp_path, tiny_dcgan, tiny_images):
    tiny_dcgan.compile()
    tiny_dcgan.fit(tiny_images, batch_size=32, epochs=1, verbose=0)
    folder = tiny_dcgan.save_pretrained(tmp_path / "tiny-preset", metadata={"training": {"dataset": "mnist"}})
    return tiny_dcgan, folder


def test_preset_folder_layout(saved_preset):
    _, folder = saved_preset
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "metadata.json", "model.weights.h5"]
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["files"]["model.weights.h5"]["sha256"] == presets.sha256(folder / "model.weights.h5")
    assert metadata["parameters"]["generator"] > 0 and metadata["parameters"]["discriminator"] > 0
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: keras\n") and "datasets:\n- mnist" in card
    # No pickle anywhere: the weights are HDF5 and the rest is JSON/markdown.
    assert (folder / "model.weights.h5").read_bytes()[:8] == b"\x89HDF\r\n\x1a\n"


def test_round_trip_keeps_every_player(saved_preset):
    model, folder = saved_preset
    loaded = kgz.from_pretrained(str(folder))
    assert isinstance(loaded, kgz.DCGAN)
    for part in ("generator", "discriminator", "ema_generator"):
        for a, b in zip(getattr(model, part).weights, getattr(loaded, part).weights):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    np.testing.assert_array_equal(model.generate(4, seed=0), loaded.generate(4, seed=0))


def test_fine_tuning_continues_from_the_preset(saved_preset, tiny_images):
    model, folder = saved_preset
    loaded = kgz.DCGAN.from_pretrained(folder)
    start = keras.ops.convert_to_numpy(loaded.discriminator.weights[0]).copy()
    np.testing.assert_array_equal(start, keras.ops.convert_to_numpy(model.discriminator.weights[0]))
    loaded.fit(tiny_images, batch_size=32, epochs=1, verbose=0)
    moved = keras.ops.convert_to_numpy(loaded.discriminator.weights[0])
    assert not np.array_equal(moved, start)
    # A small step from the preset, not a re-initialisation.
    assert np.abs(moved - start).max() < 0.05


def test_corrupt_weights_fail_the_checksum(saved_preset):
    _, folder = saved_preset
    data = bytearray((folder / "model.weights.h5").read_bytes())
    data[-100] ^= 0xFF
    (folder / "model.weights.h5").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Checksum mismatch"):
        kgz.from_pretrained(folder)


def test_missing_weights_file(saved_preset):
    _, folder = saved_preset
    (folder / "model.weights.h5").unlink()
    with pytest.raises(FileNotFoundError, match="has no model.weights.h5"):
        kgz.from_pretrained(folder)


def test_missing_or_broken_config(saved_preset):
    _, folder = saved_preset
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        kgz.from_pretrained(folder)
    (folder / "config.json").unlink()
    with pytest.raises(FileNotFoundError, match="has no config.json"):
        kgz.from_pretrained(folder)


def test_unknown_class_in_a_preset_is_refused(saved_preset):
    _, folder = saved_preset
    config = json.loads((folder / "config.json").read_text())
    config["class_name"] = "os.system"
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="does not have"):
        kgz.from_pretrained(folder)


def test_unknown_preset_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match=r"Unknown preset 'dcgan-cifar10'.*dcgan-mnist"):
        kgz.from_pretrained("dcgan-cifar10")


class OtherFamily(kgz.DCGAN):
    """Stands in for a second model family in the family check."""


def test_a_preset_of_another_family_is_a_clear_error(saved_preset):
    _, folder = saved_preset
    with pytest.raises(ValueError, match="is a DCGAN, not a OtherFamily"):
        OtherFamily.from_pretrained(folder)
    # presets.load takes the class or its name
    assert type(presets.load(folder, expected_class="DCGAN", compile=False)).__name__ == "DCGAN"
    with pytest.raises(ValueError, match="is a DCGAN, not a StackGAN"):
        presets.load(folder, expected_class="StackGAN")
    with pytest.raises(ValueError, match="not a model class of keras-gan-zoo"):
        presets.load(folder, expected_class="NoSuchGAN")


def test_shipped_presets_are_listed_and_load():
    assert set(SHIPPED) <= set(kgz.list_presets())
    for name in SHIPPED:
        model = kgz.DCGAN.from_pretrained(name)
        images = model.generate(8, seed=0)
        assert images.shape == (8, 28, 28, 1)
        # A trained generator draws varied images with real black and white.
        assert images.std(axis=0).mean() > 20
        assert images.min() == 0 and images.max() >= 250
        size = sum(p.stat().st_size for p in (presets.weights_dir() / name).iterdir())
        assert size <= 30 * 2**20


CHILD = """
import sys, numpy as np, keras_gan_zoo as kgz
pairs = zip(sys.argv[2::2], sys.argv[3::2])
out = {str(i): kgz.from_pretrained(name, compile=False).generate(latents=np.load(z), output="float")
       for i, (name, z) in enumerate(pairs)}
np.savez(sys.argv[1], **out)
"""


def test_same_images_on_every_backend(tmp_path, saved_preset):
    """A preset saved on this backend, and the shipped presets, give the same
    [-1, 1] images for the same latents on the other two backends."""
    model, folder = saved_preset
    cases = [(str(folder), model)] + [(n, kgz.from_pretrained(n, compile=False)) for n in SHIPPED]
    args, here = [], []
    for i, (name, m) in enumerate(cases):
        z = m.sample_latents(6, seed=i)
        np.save(tmp_path / f"z{i}.npy", z)
        args += [name, str(tmp_path / f"z{i}.npy")]
        here.append(m.generate(latents=z, output="float"))
    for other, there in outputs_on_other_backends(tmp_path, CHILD, args):
        for i, images in enumerate(here):
            np.testing.assert_allclose(there[str(i)], images, atol=1e-4,
                                       err_msg=f"{cases[i][0]}: vs {other}")


def test_presets_ship_weights_without_optimizer_state(saved_preset):
    import h5py

    _, folder = saved_preset
    with h5py.File(folder / "model.weights.h5", "r") as f:
        assert {"generator", "discriminator", "ema_generator"} <= set(f.keys())
        assert "optimizer" not in f


def test_names_resolve_from_the_env_folder_then_the_checkout_and_say_where_they_looked(tmp_path, monkeypatch):
    import keras_gan_zoo as kgz

    kgz.DCGAN(latent_dim=8, image_size=16, channels=1, width=4).save_pretrained(tmp_path / "mine" / "tiny-dcgan")
    monkeypatch.setenv("KERAS_GAN_ZOO_WEIGHTS", str(tmp_path / "mine"))
    assert presets.resolve("tiny-dcgan") == tmp_path / "mine" / "tiny-dcgan"
    assert {"tiny-dcgan", "dcgan-mnist"} <= set(presets.list_presets())
    monkeypatch.setattr(presets, "CHECKOUT_WEIGHTS", tmp_path / "not-a-checkout")  # an installed package
    monkeypatch.setenv("KERAS_GAN_ZOO_OFFLINE", "1")
    with pytest.raises(ValueError, match=r"mine/dcgan-mnist, hf://keras-gan-zoo/dcgan-mnist \(skipped: offline\)"):
        presets.resolve("dcgan-mnist")


def test_save_replaces_a_preset_atomically_and_a_killed_save_leaves_the_old_one(tmp_path):
    import keras_gan_zoo as kgz

    folder = tmp_path / "p"
    old = kgz.DCGAN(latent_dim=8, image_size=16, channels=1, width=4, seed=0)
    old.save_pretrained(folder)
    (folder / "extra.json").write_text("{}")  # a file another tool added is kept
    new = kgz.DCGAN(latent_dim=8, image_size=16, channels=1, width=4, seed=1)
    new.save_pretrained(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]  # no temporary or old folder left
    assert (folder / "extra.json").is_file()
    np.testing.assert_array_equal(kgz.from_pretrained(folder).generate(2, seed=0), new.generate(2, seed=0))
    # A kill between moving the old folder aside and moving the new one in:
    folder.rename(tmp_path / ".p.old-123")
    assert presets._interrupted_save(folder) == tmp_path / ".p.old-123"
    new.save_pretrained(folder)  # the next save picks the old folder's files up and cleans it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"] and (folder / "extra.json").is_file()
