"""Discriminator resampling (`keras_gan_zoo.sampling`): each image is drawn
among candidates by the weight exp(logit / temperature)."""

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import cli, datasets, latent, presets, sampling
from conftest import PixelFeatures


def _brightness_critic(image_shape, scale=3000.0):
    """A stand-in discriminator whose logit is `scale` times the mean pixel:
    it finds brighter images more real (an untrained generator draws nearly
    uniform grey, so the scale is large)."""
    images = keras.Input(image_shape)
    logits = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(scale), use_bias=False)(
        keras.layers.GlobalAveragePooling2D()(images))
    return keras.Model(images, logits)


def _mean_pixel(images):
    return images.reshape(len(images), -1).mean(axis=1)


@pytest.fixture()
def gan():
    model = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4, seed=0)
    model.discriminator = _brightness_critic(model.image_shape)
    return model


def test_the_pick_follows_the_weights():
    """Gumbel-max over each image's candidates draws candidate j with
    probability softmax(logit / temperature)_j."""
    logits = np.tile([0.0, np.log(3.0)], 20000)
    for temperature, expected in ((1.0, 0.75), (0.5, 0.9)):
        best = sampling.pick(logits, 2, temperature, np.random.default_rng(0))
        assert best.mean() == pytest.approx(expected, abs=0.01)
    assert (sampling.pick(np.zeros(10), 1, 1.0, np.random.default_rng(0)) == 0).all()


def test_resampling_draws_what_the_discriminator_finds_real(gan):
    weights = [w.copy() for w in gan.get_weights()]
    plain = sampling.discriminator_resample(gan, 300, seed=1, candidates=1, progress=False)
    picked = sampling.discriminator_resample(gan, 300, seed=1, candidates=8, progress=False)
    choosy = sampling.discriminator_resample(gan, 300, seed=1, candidates=8, temperature=0.1, progress=False)
    assert plain.shape == picked.shape == (300, 8, 8, 1) and picked.dtype == np.uint8
    assert _mean_pixel(plain).mean() < _mean_pixel(picked).mean() < _mean_pixel(choosy).mean()
    # The same seed gives the same images; the weights are untouched.
    again = sampling.discriminator_resample(gan, 300, seed=1, candidates=8, progress=False)
    np.testing.assert_array_equal(picked, again)
    for before, after in zip(weights, gan.get_weights()):
        np.testing.assert_array_equal(before, after)
    # Each image is one of the model's own samples (a candidate), not a blend.
    pool = gan.generate(8 * 300, seed=int(np.random.SeedSequence(1).spawn(1)[0].generate_state(2)[0]))
    own = {image.tobytes() for image in pool}
    assert all(image.tobytes() in own for image in picked)


def test_bad_arguments_are_clear_errors(gan):
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature must be a positive number"):
            sampling.discriminator_resample(gan, 4, temperature=bad)
    with pytest.raises(ValueError, match="candidates"):
        sampling.discriminator_resample(gan, 4, candidates=0)
    with pytest.raises(ValueError, match="unconditional: drop labels"):
        sampling.discriminator_resample(gan, 4, labels=[1, 2, 3, 4])
    gan.discriminator = None
    with pytest.raises(ValueError, match="no discriminator to resample with"):
        sampling.discriminator_resample(gan, 4)
    translator = kgz.Pix2Pix(**kgz.Pix2Pix.tiny_config)
    with pytest.raises(ValueError, match="no latent space"):
        sampling.discriminator_resample(translator, 4)


def test_class_conditional_candidates_keep_the_class_of_their_image():
    model = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config)
    seen = []
    original = model.discriminator_logits

    def logits(images, conditions, batch_size=256, batched=False):
        seen.append(conditions[0].copy())
        return original(images, conditions, batch_size=batch_size, batched=batched)

    model.discriminator_logits = logits
    images = sampling.discriminator_resample(model, 3, seed=0, candidates=4, labels=[2, 0, 1], progress=False)
    assert images.shape == (3,) + tuple(model.image_shape)
    np.testing.assert_array_equal(seen[0], [2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1])


def test_evaluation_is_recorded_next_to_the_plain_figures(gan, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # the fake reference features stay in this test
    monkeypatch.delenv("KERAS_GAN_ZOO_SHARED_CACHE", raising=False)
    real = np.full((40, 8, 8, 1), 200, np.uint8)  # bright "test images": resampling moves towards them
    monkeypatch.setattr(datasets, "load", lambda name, **kw: ((real, None), (real, None)))
    monkeypatch.setattr(datasets, "load_held_out", lambda name, **kw: (real, None))
    # A preset folder whose loaded model is `gan`, brightness critic included.
    folder = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4).save_pretrained(
        tmp_path / "toy", metadata={"training": {"dataset": "toy"}})

    def load(path, compile=False):
        gan.preset_metadata = presets.read_json(folder / presets.METADATA_FILE, "metadata")
        return gan

    monkeypatch.setattr(presets, "load", load)
    plain = sampling.evaluate_preset(folder, candidates=1, num_images=40, num_reference=40, write=False,
                                     extractor=PixelFeatures(), progress=False)
    presets.update_metadata(folder, {"metrics": {"fid": {
        "value": plain["fid"], "num_generated": 40, "num_reference": 40, "seed": 123, "command": "c",
        "backend": "jax", "device": "d", "wall_time_s": 1.0}}})
    record = sampling.evaluate_preset(folder, candidates=8, temperature=0.5, num_images=40, num_reference=40,
                                      extractor=PixelFeatures(), progress=False)
    assert record["fid"] < plain["fid"]
    assert record["command"] == "keras-gan-zoo evaluate toy --resample 8 --temperature 0.5 --num 40 --num-reference 40"
    assert record["backend"] == keras.backend.backend() and record["wall_time_s"] >= 0
    metadata = presets.read_json(folder / presets.METADATA_FILE, "metadata")
    assert metadata["metrics"]["resampling"]["fid"] == record["fid"]
    card = (folder / "README.md").read_text()
    assert f"FID **{record['fid']:.2f}** against **{plain['fid']:.2f}** for plain sampling" in card
    assert "candidates=8, temperature=0.5" in card and record["command"] in card
    assert f"plain sampling: {plain['fid']:.3f}" in capsys.readouterr().out


def test_evaluation_with_calibration_fits_on_training_images_and_restores_the_discriminator(tmp_path,
                                                                                           monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_GAN_ZOO_SHARED_CACHE", raising=False)
    train = np.full((64, 8, 8, 1), 200, np.uint8)
    test = np.full((40, 8, 8, 1), 50, np.uint8)
    monkeypatch.setattr(datasets, "load", lambda name, **kw: ((train, None), (test, None)))
    monkeypatch.setattr(datasets, "load_held_out", lambda name, **kw: (test, None))
    folder = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4).save_pretrained(
        tmp_path / "toy", metadata={"training": {"dataset": "toy"}})
    fitted_on, real_calibration = [], sampling.calibrated_discriminator

    def spy(model, images, **kwargs):
        fitted_on.append(np.asarray(images))
        return real_calibration(model, images, **kwargs)

    monkeypatch.setattr(sampling, "calibrated_discriminator", spy)
    before = kgz.DCGAN.from_pretrained(str(folder)).get_weights()
    record = sampling.evaluate_preset(folder, candidates=3, num_images=40, num_reference=40, calibrate=5,
                                      extractor=PixelFeatures(), progress=False)
    assert len(fitted_on) == 1 and np.array_equal(fitted_on[0], train)  # never the test images
    assert record["calibration"]["steps"] == 5 and record["command"].endswith("--calibrate 5")
    after = kgz.DCGAN.from_pretrained(str(folder))
    assert all(np.array_equal(a, b) for a, b in zip(before, after.get_weights()))
    card = (folder / "README.md").read_text()
    assert "after 5 steps of calibration on the training images" in card
    assert cli.main(["evaluate", str(folder), "--calibrate", "5"]) == 2  # needs --resample


def test_cli_samples_and_evaluates_with_resampling(tmp_path, monkeypatch):
    folder = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4).save_pretrained(tmp_path / "toy")
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(folder), "--num", "4", "--resample", "3", "--temperature", "0.5",
                     "--out", str(out)]) == 0
    assert Image.open(out).size == (16, 16)
    assert cli.main(["sample", str(folder), "--resample", "0", "--out", str(out)]) == 2  # not plain sampling
    calls = []
    monkeypatch.setattr(sampling, "evaluate_preset", lambda preset, **kw: calls.append((preset, kw)))
    assert cli.main(["evaluate", str(folder), "--resample", "5", "--temperature", "0.25", "--no-write"]) == 0
    assert calls == [(str(folder), {"candidates": 5, "temperature": 0.25, "num_images": 10000, "seed": 123,
                                    "num_reference": None, "write": False, "calibrate": None})]


def test_a_minibatch_std_discriminator_scores_candidates_in_training_sized_batches():
    """StyleGAN's discriminator reads the spread of its batch: candidates are
    scored in batches of 32 of each other (as generated batches in training),
    so a logit reads its own batch and no other."""
    model = kgz.StyleGAN(**kgz.StyleGAN.tiny_config)
    images = model.generate(64, seed=0, output="float")
    logits = model.discriminator_logits(images, [], batched=True)
    changed = images.copy()
    changed[40:] = -changed[40:]  # the second batch only
    again = model.discriminator_logits(changed, [], batched=True)
    np.testing.assert_allclose(again[:32], logits[:32], atol=1e-6)
    assert not np.allclose(again[32:40], logits[32:40], atol=1e-6)  # batch-mates of the changed images
    assert sampling.discriminator_resample(model, 5, seed=0, candidates=3, progress=False).shape == (
        (5,) + tuple(model.image_shape))


def _moving_statistics(model):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in model.discriminator.non_trainable_variables]


def test_calibration_fits_the_discriminator_to_its_generator_and_restores_it():
    """Bright real images against an untrained generator's grey samples: the
    calibrated discriminator tells them apart better, as it scores
    (`discriminator_score`, inference mode: the batch norms' moving
    statistics stay as they were); on leaving the block every weight is
    back, also when the block raises."""
    model = kgz.DCGAN(**kgz.DCGAN.tiny_config, seed=0)
    reals = np.random.default_rng(0).integers(200, 256, (256, 16, 16, 1)).astype("uint8")
    before = [w.copy() for w in model.get_weights()]
    statistics = _moving_statistics(model)
    with sampling.calibrated_discriminator(model, reals, steps=20, learning_rate=1e-3, progress=False) as record:
        inside = [w.copy() for w in model.get_weights()]
        for a, b in zip(statistics, _moving_statistics(model)):
            np.testing.assert_array_equal(a, b)
    assert record["after"]["loss"] < record["before"]["loss"] - 0.1
    assert (record["after"]["real_logit"] - record["after"]["generated_logit"]
            > record["before"]["real_logit"] - record["before"]["generated_logit"])
    assert record["steps"] == 20 and record["batch_size"] == 64 and record["images"] == 256
    assert any(not np.array_equal(a, b) for a, b in zip(before, inside))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="stop"):
        with sampling.calibrated_discriminator(model, reals, steps=2, progress=False):
            raise RuntimeError("stop")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_calibration_of_a_class_conditional_model_and_its_clear_errors():
    model = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config)
    reals = np.zeros((70, 16, 16, 1), "uint8")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="reads the class: pass labels"):
        with sampling.calibrated_discriminator(model, reals, steps=1):
            pass
    with pytest.raises(ValueError, match="got 3 labels for 70 images"):
        with sampling.calibrated_discriminator(model, reals, steps=1, labels=[0, 1, 2]):
            pass
    with sampling.calibrated_discriminator(model, reals, steps=2, labels=np.arange(70) % 3,
                                           progress=False) as record:
        images = sampling.discriminator_resample(model, 3, seed=0, candidates=2, labels=[0, 1, 2],
                                                 progress=False)
    assert images.shape == (3, 16, 16, 1) and record["steps"] == 2
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    dcgan = kgz.DCGAN(**kgz.DCGAN.tiny_config)
    for kwargs, message in (({"steps": 0}, "steps"), ({"learning_rate": -1.0}, "learning_rate must be"),
                            ({"labels": [0] * 70}, "unconditional: drop labels"),
                            ({"batch_size": 128}, "at least a batch of real images")):
        with pytest.raises(ValueError, match=message):
            with sampling.calibrated_discriminator(dcgan, reals, **kwargs):
                pass
    with pytest.raises(ValueError, match="expected images of shape"):
        with sampling.calibrated_discriminator(dcgan, np.zeros((70, 8, 8, 1), "uint8")):
            pass


@pytest.mark.parametrize("level", [0, 1])
def test_calibration_of_progan_trains_its_levels_discriminator_alone(level):
    """ProGAN scores at its current level (pooled images, the fade-in's
    alpha): calibration fine-tunes that level's discriminator as it scores,
    moves no generator weight and no alpha, and puts everything back."""
    progan = kgz.ProGAN(**kgz.ProGAN.tiny_config, seed=0)
    progan.compile(level=level, fade_steps=4 if level else 0)
    progan.alpha.assign(0.5 if level else 1.0)  # mid-fade: the scorer must blend as the model does
    reals = np.random.default_rng(0).integers(200, 256, (128,) + tuple(progan.image_shape)).astype("uint8")
    scorer = progan.scoring_network()
    probe = progan.generate(8, seed=3)
    np.testing.assert_allclose(
        np.asarray(keras.ops.convert_to_numpy(scorer(keras.ops.convert_to_tensor(probe / 127.5 - 1)))).ravel(),
        latent.discriminator_score(progan, probe, batched=True), rtol=1e-4, atol=1e-4)  # one batch as well
    generator = [np.array(keras.ops.convert_to_numpy(v)) for v in progan.generator.variables]
    before = [w.copy() for w in progan.get_weights()]
    with sampling.calibrated_discriminator(progan, reals, steps=10, learning_rate=1e-3, batch_size=16,
                                           progress=False) as record:
        for a, v in zip(generator, progan.generator.variables):
            np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(v))
        assert float(keras.ops.convert_to_numpy(progan.alpha)) == (0.5 if level else 1.0)
        images = sampling.discriminator_resample(progan, 4, seed=0, candidates=2, progress=False)
    assert images.shape == (4,) + tuple(progan.image_shape)
    assert record["after"]["loss"] < record["before"]["loss"]
    for a, b in zip(before, progan.get_weights()):
        np.testing.assert_array_equal(a, b)
