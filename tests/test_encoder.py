"""keras_gan_zoo.encoder: iGAN's inverting encoder, shipped in a preset
folder, and the encoder / hybrid projections of keras_gan_zoo.latent."""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import TINY, weights_of
from keras_gan_zoo import cli, latent
from keras_gan_zoo import encoder as encoders


@pytest.fixture(scope="module")
def trained():
    gan = kgz.DCGAN(**TINY, seed=0)
    images = gan.generate(96, seed=3)
    before = weights_of(gan)
    encoder = encoders.train_encoder(gan, images, epochs=8, batch_size=16, verbose=0)
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(gan)))  # G stays frozen
    return gan, images, encoder


def test_encoder_learns_to_invert_and_hybrid_refines_it(trained):
    gan, images, encoder = trained
    assert encoder.encode(images[:5]).shape == (5, TINY["latent_dim"])
    mean_latent = latent.render(gan, gan.initial_latents(len(images), "z"))
    start_error = np.sqrt(np.mean(np.square(mean_latent / 127.5 - images / 127.5))) / 2
    table = latent.compare_inversions(gan, images[:24], steps=40, encoder=encoder, progress=False)
    errors = {row["method"]: row["mean_rms_error"] for row in table["rows"]}
    assert list(errors) == ["encoder", "optimize", "hybrid"] and table["space"] == "z"
    assert errors["encoder"] < start_error  # it learned something
    assert errors["hybrid"] <= errors["encoder"] * 1.05  # descending from E(x) does not lose it
    fit = latent.project(gan, images[:4], method="encoder", encoder=encoder)
    np.testing.assert_allclose(fit.latents, encoder.encode(images[:4]), atol=1e-6)
    assert fit.method == "encoder" and fit.images.shape == images[:4].shape


def test_encoder_ships_in_the_preset_folder_and_survives_a_resave(tmp_path, trained):
    gan, images, encoder = trained
    folder = gan.save_pretrained(tmp_path / "tiny", metadata={"training": {"dataset": "mnist"}})
    loaded = kgz.from_pretrained(folder)
    with pytest.raises(ValueError, match="needs an inverting encoder: this DCGAN has none"):
        latent.project(loaded, images[:2], method="hybrid")
    encoder.save(folder)
    loaded = kgz.from_pretrained(folder)
    np.testing.assert_allclose(latent.project(loaded, images[:3], method="encoder").latents,
                               encoder.encode(images[:3]), atol=1e-5)
    loaded.save_pretrained(folder)  # a later save keeps the optional part
    assert encoders.of(kgz.from_pretrained(folder)) is not None
    (folder / encoders.WEIGHTS_FILE).write_bytes(b"not the weights")
    with pytest.raises(ValueError, match="does not match the sha256"):
        encoders.of(kgz.from_pretrained(folder))


def test_encoder_errors_are_clear(trained):
    gan, images, encoder = trained
    with pytest.raises(ValueError, match="method must be one of"):
        latent.project(gan, images[:2], method="encode")
    other = kgz.DCGAN(**{**TINY, "image_size": 32}, seed=0)
    with pytest.raises(ValueError, match="reads images of shape"):
        latent.project(other, other.generate(2), method="encoder", encoder=encoder)
    cgan = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config, seed=0)
    with pytest.raises(ValueError, match="pass labels="):
        encoders.train_encoder(cgan, cgan.generate(labels=[0, 1]), epochs=1)
    with pytest.raises(ValueError, match="DCGAN does not take"):
        encoders.train_encoder(gan, images[:2], epochs=1, labels=[0, 1])
    with pytest.raises(ValueError, match=r"expected images of shape \(N, 16, 16, 1\)"):
        encoders.train_encoder(gan, images[:, :8], epochs=1)


def test_class_conditional_encoder_trains_with_the_classes_and_inverts_with_them(tmp_path):
    cgan = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config, seed=0)
    labels = np.arange(32) % cgan.num_classes
    # Floats: a tiny untrained generator's images differ by less than one uint8 level.
    images = cgan.generate(labels=labels, seed=1, output="float")
    before = weights_of(cgan)
    encoder = encoders.train_encoder(cgan, images, epochs=1, batch_size=16, width=8, labels=labels,
                                     verbose=0, backup_dir=tmp_path / "backup")  # as the recipe runs it
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(cgan)))  # G stays frozen
    assert np.isfinite(encoder.config["training"]["final_rms_error"])
    # What the encoder was trained through: the generator drawing each latent with the image's class.
    trainer = encoders._Trainer(encoder.network, lambda z, given: cgan.render_latents(z, given, "z"))
    z = encoder.encode(images[:6])
    drawn = keras.ops.convert_to_numpy(trainer([images[:6], labels[:6]]))
    redrawn = cgan.render_latents(keras.ops.convert_to_tensor(z), [labels[:6]], "z")
    # (An untrained tiny generator draws values near 0: compare relative to their size.)
    np.testing.assert_allclose(drawn, keras.ops.convert_to_numpy(redrawn), rtol=1e-3, atol=1e-9)
    other = keras.ops.convert_to_numpy(trainer([images[:6], (labels[:6] + 1) % cgan.num_classes]))
    assert np.abs(drawn - other).max() > 0.1 * np.abs(drawn).max()  # the class reaches the generator
    fit = latent.project(cgan, images[:6], method="encoder", encoder=encoder, labels=labels[:6])
    np.testing.assert_allclose(fit.latents, z, atol=1e-6)
    hybrid = latent.project(cgan, images[:6], method="hybrid", encoder=encoder, steps=10, labels=labels[:6])
    assert hybrid.errors.mean() <= fit.errors.mean() + 1e-4


@pytest.mark.skipif(keras.backend.backend() != "torch",
                    reason="space and shape plumbing only (numpy); StyleGAN's rendering of W+ runs on "
                           "every backend in test_latent.py")
def test_stylegan_encoder_predicts_w_plus():
    style = kgz.StyleGAN(**kgz.StyleGAN.tiny_config, seed=0)
    images = style.generate(2, seed=0)
    initial = style.initial_latents(1, "w+")
    network = encoders.build_network(style.image_shape, initial.shape[1:], 8, initial_latent=initial[0])
    encoder = encoders.Encoder(network, "w+", {"width": 8})
    latents = latent.project(style, images, method="encoder", encoder=encoder).latents
    assert latents.shape == (2, style.num_ws, style.w_dim)
    bias = network.layers[-2].bias  # the dense layer's bias starts at w_avg
    np.testing.assert_allclose(np.asarray(bias), initial.reshape(-1), rtol=1e-6)
    with pytest.raises(ValueError, match="predicts latents of space 'w\\+', not 'w'"):
        latent.project(style, images, method="hybrid", encoder=encoder, space="w")


def test_cli_inversion_table_is_recorded_in_the_card(tmp_path, capsys):
    gan = kgz.DCGAN(latent_dim=8, image_size=28, channels=1, width=4, seed=0)
    folder = gan.save_pretrained(tmp_path / "tiny", metadata={"training": {"dataset": "mnist"}})
    (x_train, _), _ = gan.data_splits()
    encoders.train_encoder(gan, x_train[:64], epochs=1, verbose=0).save(folder)
    assert cli.main(["inversion", str(folder), "--num", "6", "--steps", "3", "--write"]) == 0
    assert "| hybrid |" in capsys.readouterr().out
    card = (folder / "README.md").read_text()
    assert "Projection of 6 held-out images into z" in card and "| encoder |" in card


def test_a_backup_torn_mid_write_falls_back_to_the_one_before(tmp_path):
    """A run killed while it writes its backup leaves a broken latest file;
    the next run resumes from the backup before it."""
    gan = kgz.DCGAN(**TINY, seed=0)
    images = gan.generate(32, seed=3)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        encoders.train_encoder(gan, images, epochs=5, batch_size=16, verbose=0, backup_dir=backup,
                               callbacks=[Kill()])
    (backup / "latest.weights.h5").write_bytes(b"")  # torn by a kill mid-write
    seen = []

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    encoder = encoders.train_encoder(gan, images, epochs=5, batch_size=16, verbose=0, backup_dir=backup,
                                     callbacks=[Epochs()])
    assert seen == [2, 3, 4]  # resumed after epoch 2 of the backup before the torn one
    assert np.isfinite(encoder.config["training"]["final_rms_error"])


def test_text_to_image_encoder_trains_with_the_captions_and_inverts_with_them():
    """StackGAN: the encoder predicts "z+noise" from the image; the
    generator draws it with the image's caption (unit embeddings here)."""
    gan = kgz.StackGAN(**kgz.StackGAN.tiny_config, seed=0)
    images, captions = kgz.StackGAN.tiny_data(gan, 32)
    images = gan.generate(captions, seed=1, stage=1, output="float")
    before = weights_of(gan)
    encoder = encoders.train_encoder(gan, images, epochs=1, batch_size=16, width=8, captions=captions,
                                     verbose=0)
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(gan)))  # G stays frozen
    assert encoder.space == "z+noise"
    fit = latent.project(gan, images[:6], method="encoder", encoder=encoder, captions=captions[:6])
    assert fit.latents.shape == (6, gan.latent_dim + 2 * gan.cond_dim)
    np.testing.assert_allclose(fit.latents, encoder.encode(images[:6]), atol=1e-6)
    hybrid = latent.project(gan, images[:6], method="hybrid", encoder=encoder, steps=10, captions=captions[:6])
    assert hybrid.errors.mean() <= fit.errors.mean() + 1e-4
    with pytest.raises(ValueError, match="pass captions="):
        encoders.train_encoder(gan, images, epochs=1, verbose=0)
