"""keras_gan_zoo.latent: interpolation, projection, "was this generated?",
nearest neighbours and the memorisation check."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import keras_gan_zoo as kgz
from conftest import TINY
from keras_gan_zoo import latent


def test_interpolation_ends_exactly_and_slerp_follows_the_sphere():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    for method in latent.METHODS:
        path = latent.interpolate(a, b, steps=7, method=method)
        assert path.shape == (7, 16) and path.dtype == np.float32
        np.testing.assert_array_equal(path[0], a.astype(np.float32))
        np.testing.assert_array_equal(path[-1], b.astype(np.float32))
    # Two orthogonal latents of one norm: slerp keeps the norm, lerp dips to 1/sqrt(2) of it.
    e1, e2 = np.eye(4)[0] * 3.0, np.eye(4)[1] * 3.0
    slerp = latent.interpolate(e1, e2, steps=5)
    np.testing.assert_allclose(np.linalg.norm(slerp, axis=1), 3.0, rtol=1e-6)
    np.testing.assert_allclose(slerp[2], [3 / np.sqrt(2), 3 / np.sqrt(2), 0, 0], rtol=1e-6)
    assert np.linalg.norm(latent.interpolate(e1, e2, 5, "linear")[2]) == pytest.approx(3 / np.sqrt(2))
    # Parallel latents: slerp is the straight line (no division by sin 0).
    np.testing.assert_allclose(latent.interpolate(e1, 2 * e1, 3), [e1, 1.5 * e1, 2 * e1], rtol=1e-6)
    batch = latent.interpolate(rng.standard_normal((3, 8)), rng.standard_normal((3, 8)), steps=4)
    assert batch.shape == (3, 4, 8)


@pytest.mark.parametrize("kwargs, match", [
    ({"end": np.zeros(5)}, "one shape"),
    ({"steps": 1}, "steps must be an integer >= 2"),
    ({"method": "cubic"}, "method must be one of"),
    ({"start": np.full(4, np.nan)}, "NaN"),
])
def test_interpolation_rejects_bad_input(kwargs, match):
    args = {"start": np.ones(4), "end": np.zeros(4), **kwargs}
    with pytest.raises(ValueError, match=match):
        latent.interpolate(**args)


def test_strip_and_gif_are_written(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 8, 6, 1), dtype=np.uint8)
    strip = Image.open(latent.save_strip(images, tmp_path / "strip.png"))
    assert strip.size == (30, 8)
    np.testing.assert_array_equal(np.asarray(strip)[:, 6:12], images[1, ..., 0])
    gif = Image.open(latent.save_gif(images, tmp_path / "path.gif", scale=2))
    assert gif.size == (12, 16) and gif.n_frames == 8  # there and back: 5 + 3
    with pytest.raises(ValueError, match="uint8 images"):
        latent.save_strip(images.astype("float32"), tmp_path / "bad.png")


def test_nearest_neighbours_match_brute_force_and_memorisation_spots_copies():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (40, 6, 6, 1), dtype=np.uint8)
    queries = rng.integers(0, 256, (7, 6, 6, 1), dtype=np.uint8)
    indices, distances = latent.nearest_neighbours(queries, train, k=3)
    flat = lambda x: x.reshape(len(x), -1).astype(np.float64) / 255.0
    brute = np.linalg.norm(flat(queries)[:, None] - flat(train)[None], axis=2)
    np.testing.assert_array_equal(indices, np.argsort(brute, axis=1)[:, :3])
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :3], rtol=1e-5)
    with pytest.raises(ValueError, match="k must be an integer"):
        latent.nearest_neighbours(queries, train, k=0)
    with pytest.raises(ValueError, match="differ in shape"):
        latent.nearest_neighbours(queries, train[:, :5], k=1)
    # A "generator" that returns training images, lightly perturbed, against new images.
    held_out = rng.integers(0, 256, (400, 6, 6, 1), dtype=np.uint8)
    copies = np.clip(train[:20].astype(int) + rng.integers(-2, 3, train[:20].shape), 0, 255).astype(np.uint8)
    copied = latent.memorisation(copies, train, held_out)
    fresh = latent.memorisation(rng.integers(0, 256, (400, 6, 6, 1), dtype=np.uint8), train, held_out)
    assert copied["ratio"] < 0.1 and copied["near_copies"] == 1.0
    assert 0.9 < fresh["ratio"] < 1.1 and fresh["near_copies"] < 0.05


def test_roc_auc():
    assert latent.roc_auc([3, 4], [1, 2]) == 1.0
    assert latent.roc_auc([1, 2], [3, 4]) == 0.0
    assert latent.roc_auc([1, 3], [2, 2]) == 0.5


def _own_images(model, n=6, seed=1):
    return model.generate(n, seed=seed)


def test_projection_reconstructs_the_models_own_images_better_than_noise():
    gan = kgz.DCGAN(**TINY, seed=0)
    own = _own_images(gan)
    noise = np.random.default_rng(0).integers(0, 256, own.shape, dtype=np.uint8)
    fit = latent.project(gan, own, steps=30, progress=False)
    assert fit.latents.shape == (6, TINY["latent_dim"]) and fit.images.shape == own.shape
    assert fit.images.dtype == np.uint8 and fit.space == "z"
    assert fit.history[-1] <= fit.history[0]
    scores_own = latent.generated_score(gan, own, steps=30, progress=False)
    scores_noise = latent.generated_score(gan, noise, steps=30, progress=False)
    assert latent.roc_auc(scores_own, scores_noise) == 1.0
    # The first restart is the single descent: more restarts are never worse.
    more = latent.project(gan, own, steps=30, restarts=3, progress=False)
    assert np.all(more.errors <= fit.errors + 1e-4)


def test_a_projection_killed_midway_goes_on_from_its_checkpoint_with_the_same_result(tmp_path, monkeypatch):
    from keras_gan_zoo import gradients

    gan = kgz.DCGAN(**TINY, seed=0)
    own = _own_images(gan, n=7)
    settings = {"steps": 4, "restarts": 2, "batch_size": 3, "seed": 5, "progress": False}
    whole = latent.project(gan, own, **settings)
    real_step, calls = gradients.value_and_input_gradient, {"n": 0}

    def counted(fn):
        step = real_step(fn)

        def run(z):
            calls["n"] += 1
            if calls["n"] > calls.get("kill_after", 10**9):
                raise KeyboardInterrupt  # the kill, during the second batch's descent
            return step(z)
        return run

    monkeypatch.setattr(gradients, "value_and_input_gradient", counted)
    calls["kill_after"] = 5 + 2  # batch 1 done (5 evaluations), two into batch 2
    with pytest.raises(KeyboardInterrupt):
        latent.project(gan, own, checkpoint=tmp_path / "fit", **settings)
    assert sorted(f.name for f in (tmp_path / "fit").iterdir()) == ["batch-000000.npz"]
    calls.update(n=0, kill_after=10**9)
    resumed = latent.project(gan, own, checkpoint=tmp_path / "fit", **settings)
    assert calls["n"] == 2 * 5  # only batches 2 and 3 descended again
    np.testing.assert_array_equal(resumed.latents, whole.latents)
    np.testing.assert_array_equal(resumed.errors, whole.errors)
    assert resumed.history == whole.history
    # Everything kept: nothing descends; other images or settings are refused.
    calls["n"] = 0
    np.testing.assert_array_equal(latent.project(gan, own, checkpoint=tmp_path / "fit", **settings).latents,
                                  whole.latents)
    assert calls["n"] == 0
    with pytest.raises(ValueError, match="written by another projection"):
        latent.project(gan, own[::-1], checkpoint=tmp_path / "fit", **settings)
    with pytest.raises(ValueError, match="written by another projection"):
        latent.project(gan, own, checkpoint=tmp_path / "fit", **{**settings, "steps": 5})


def test_projection_into_each_stylegan_space_and_with_labels():
    style = kgz.StyleGAN(**kgz.StyleGAN.tiny_config, seed=0)
    own = _own_images(style, n=2)
    assert style.check_latent_space() == "w"  # "w" differs from "z" only by the mapping
    shapes = {"w+": (2, style.num_ws, style.w_dim), "z": (2, style.latent_dim)}
    for space, shape in shapes.items():
        fit = latent.project(style, own, space=space, steps=3, progress=False)
        assert fit.latents.shape == shape and np.all(np.isfinite(fit.errors)), space
    cgan = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config, seed=0)
    labels = np.arange(3) % cgan.num_classes
    images = cgan.generate(labels=labels, seed=0)
    assert latent.project(cgan, images, steps=3, labels=labels, progress=False).errors.shape == (3,)
    with pytest.raises(ValueError, match="pass labels="):
        latent.project(cgan, images, steps=3)


def test_a_bank_starts_each_descent_at_the_latent_whose_image_is_nearest():
    gan = kgz.DCGAN(**TINY, seed=0)
    bank = np.random.default_rng(3).standard_normal((16, TINY["latent_dim"])).astype("float32")
    # Float images: the untrained generator's images differ by less than one uint8 level.
    targets = np.asarray(keras.ops.convert_to_numpy(gan.render_latents(bank[[11, 2, 7]], [], "z")))
    # A rate too small to move: the result is where the descents started.
    fit = latent.project(gan, targets, steps=1, learning_rate=1e-12, bank=bank, restarts=2, progress=False)
    np.testing.assert_allclose(fit.latents, bank[[11, 2, 7]], atol=1e-5)
    assert fit.errors.max() < 1e-6
    mean_start = latent.project(gan, targets, steps=1, learning_rate=1e-12, progress=False)
    assert mean_start.errors.min() > 10 * fit.errors.max()
    drawn = latent.project(gan, targets, steps=5, bank=64, progress=False)  # drawn from the prior
    assert drawn.latents.shape == (3, TINY["latent_dim"])
    for kwargs, match in [({"bank": -1}, "bank must be 0"), ({"bank": 1, "restarts": 2}, "at least one latent"),
                          ({"bank": bank[:, :3]}, "latents of DCGAN's space"),
                          ({"bank": 8, "method": "hybrid", "encoder": object()}, "one or the other")]:
        with pytest.raises(ValueError, match=match):
            latent.project(gan, targets, steps=1, progress=False, **kwargs)


class NoLatentSpace(kgz.DCGAN):
    """A family that declares no latent space (as Pix2Pix or CycleGAN)."""

    latent_spaces = ()


def test_families_driven_by_an_input_image_declare_no_latent_space():
    for family in (kgz.Pix2Pix, kgz.CycleGAN):
        assert family.latent_spaces == ()
    assert kgz.DCGAN.latent_spaces == kgz.ProGAN.latent_spaces == ("z",)
    assert kgz.StackGAN(**kgz.StackGAN.tiny_config).latent_spaces == ("z+noise", "z")
    assert kgz.StackGAN(**kgz.StackGAN.tiny_config, conditioning_augmentation=False).latent_spaces == ("z",)


@pytest.mark.parametrize("case, match", [
    ("no space", "no latent space"),
    ("not images", "draws no images"),
    ("space", r"projects into \['z'\]"),
    ("encoder", "needs an inverting encoder"),
    ("shape", r"\(N, 16, 16, 1\)"),
    ("option", r"does not take \['labels'\]"),
    ("rate", "learning_rate must be positive"),
])
def test_projection_errors_are_clear(case, match):
    gan = kgz.DCGAN(**TINY, seed=0)
    images = _own_images(gan, n=2)
    calls = {
        "no space": lambda: latent.project(NoLatentSpace(**TINY), images),
        "not images": lambda: latent.project(object(), images),
        "space": lambda: latent.project(gan, images, space="w"),
        "encoder": lambda: latent.project(gan, images, method="encoder"),
        "shape": lambda: latent.project(gan, images[:, :8]),
        "option": lambda: latent.project(gan, images, labels=[0, 1]),
        "rate": lambda: latent.project(gan, images, learning_rate=-0.1),
    }
    with pytest.raises(ValueError, match=match):
        calls[case]()


def test_cli_latent_commands(tmp_path, capsys):
    from keras_gan_zoo import cli

    gan = kgz.DCGAN(latent_dim=8, image_size=28, channels=1, width=4, seed=0)
    folder = str(gan.save_pretrained(tmp_path / "tiny", metadata={"training": {"dataset": "mnist"}}))
    assert cli.main(["interpolate", folder, "--steps", "5", "--out", str(tmp_path / "i.png"),
                     "--gif", str(tmp_path / "i.gif")]) == 0
    assert Image.open(tmp_path / "i.png").size == (5 * 28, 28) and Image.open(tmp_path / "i.gif").n_frames == 8
    sample = tmp_path / "sample.png"
    Image.fromarray(gan.generate(1, seed=3)[0, ..., 0]).resize((56, 56)).save(sample)  # resized on reading
    assert cli.main(["project", folder, str(sample), "--steps", "5", "--restarts", "2",
                     "--out", str(tmp_path / "p.png")]) == 0
    assert Image.open(tmp_path / "p.png").size == (28, 56)
    assert cli.main(["detect", folder, str(sample), "--steps", "5"]) == 0
    assert "generated_score" in capsys.readouterr().out
    assert cli.main(["detect", folder, str(sample), "--steps", "3", "--discriminator", "--calibration", "4",
                     "--bank", "8"]) == 0
    assert "4 of the preset's own samples score median" in capsys.readouterr().out
    assert cli.main(["neighbours", folder, "--num", "4", "--num-check", "50", "--write",
                     "--out", str(tmp_path / "n.png")]) == 0
    assert "ratio" in capsys.readouterr().out and Image.open(tmp_path / "n.png").size == (4 * 28, 56)
    assert cli.main(["detection", folder, "--num", "6", "--steps", "3", "--discriminator", "--bank", "16",
                     "--write"]) == 0
    assert "discriminator alone" in capsys.readouterr().out
    card = (tmp_path / "tiny" / "README.md").read_text()
    assert "Memorisation check (pixels)" in card and "of the 60,000 training images" in card
    assert "Was it generated by this model?" in card and "--num 6 --method optimize --steps 3 --restarts 1 --learning-rate 0.1 --seed 0 --bank 16 --discriminator" in card
    assert "the preset's own discriminator logit" in card and "discriminator alone" in card
    assert cli.main(["interpolate", "pix2pix-openmoji-line2color"]) == 2
    assert "no latent space" in capsys.readouterr().err
    assert cli.main(["interpolate", folder, "--label", "3", "--out", str(tmp_path / "i.png")]) == 2
    assert "which has no classes: drop --label" in capsys.readouterr().err
    assert cli.main(["project", folder, str(tmp_path), "--steps", "2"]) == 2
    assert "is a folder: pass image files" in capsys.readouterr().err
    # A class by name: the strip of a class-conditional preset draws that class throughout.
    cgan = kgz.ConditionalGAN(**{**kgz.ConditionalGAN.tiny_config, "num_classes": 10}, seed=0)
    named = str(cgan.save_pretrained(tmp_path / "cgan", metadata={"training": {"dataset": "fashion_mnist"}}))
    assert cli.main(["interpolate", named, "--label", "bag", "--steps", "3", "--out", str(tmp_path / "c.png")]) == 0
    ends = cgan.sample_latents(2, seed=0)
    first = cgan.generate(latents=ends[:1], labels=[8])[0]
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "c.png"))[:, :first.shape[1]], first[..., 0])


def test_cli_detection_against_another_preset_of_the_same_data_set(tmp_path, capsys):
    # A class-conditional preset in a 32x32 frame against an unconditional one
    # at 28x28: the other's samples are padded into the frame, and their
    # classes read by the data set's shipped classifier.
    from keras_gan_zoo import cli

    metadata = {"training": {"dataset": "mnist"}}
    cgan = kgz.ConditionalGAN(num_classes=10, latent_dim=8, image_size=32, channels=1, width=4, seed=0)
    own = str(cgan.save_pretrained(tmp_path / "cgan", metadata={"training": {
        "dataset": "mnist", "dataset_args": {"image_size": 32}}}))
    other = str(kgz.DCGAN(latent_dim=8, image_size=28, channels=1, width=4, seed=1).save_pretrained(
        tmp_path / "dcgan", metadata=metadata))
    assert cli.main(["detection", own, "--num", "6", "--steps", "2", "--other", other, "--batch-size", "4",
                     "--checkpoint", str(tmp_path / "kept"), "--write"]) == 0
    assert "ROC AUC own samples vs" in capsys.readouterr().out
    assert len(list((tmp_path / "kept" / "real").iterdir())) == 2  # two batches of 4 and 2 images
    recorded = json.loads((tmp_path / "cgan" / "metadata.json").read_text())["metrics"]["detection"]
    assert recorded["batch_size"] == 4 and recorded["command"].endswith("--batch-size 4 --write")
    rgb = str(kgz.DCGAN(latent_dim=8, image_size=32, channels=3, width=4, seed=1).save_pretrained(
        tmp_path / "rgb", metadata=metadata))
    assert cli.main(["detection", own, "--num", "6", "--steps", "2", "--other", rgb]) == 2
    assert "choose a preset of the same data set" in capsys.readouterr().err


def test_attribute_vector_moves_the_measured_attribute():
    gan = kgz.DCGAN(**TINY, seed=0)
    z = gan.sample_latents(64, seed=5)
    np.testing.assert_array_equal(latent.render(gan, z), gan.generate(latents=z))
    for groups in (None, lambda images: np.arange(len(images)) % 3):
        found = latent.attribute_vector(gan, latent.ink, num=300, fraction=0.2, groups=groups, seed=1)
        assert found.vector.shape == (TINY["latent_dim"],) and found.space == "z"
        assert found.low_score < found.mean_score < found.high_score
        before = latent.ink(latent.render(gan, z)).mean()
        assert latent.ink(latent.render(gan, latent.shift(z, found.vector, 1.0))).mean() > before
        assert latent.ink(latent.render(gan, latent.shift(z, found.vector, -1.0))).mean() < before
    assert latent.ink(np.full((2, 4, 4, 1), 255, np.uint8)).tolist() == [1.0, 1.0]


def test_detection_tells_own_samples_from_other_images(tmp_path):
    gan = kgz.DCGAN(**TINY, seed=0)
    shape = (6,) + tuple(gan.image_shape)
    noise = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    flat = np.full(shape, 128, np.uint8)
    result = latent.detection(gan, noise, num=6, steps=30, seed=2, other_images=flat, progress=False)
    assert result["auc_own_vs_real"] == 1.0 and result["num"] == 6 and result["space"] == "z"
    assert result["rms_error_own"] < result["rms_error_real"]
    assert 0.0 <= result["auc_own_vs_other"] <= 1.0 and "rms_error_other" in result
    # With a checkpoint every side keeps its batches apart, and a second call reuses them all.
    options = {"num": 6, "steps": 3, "seed": 2, "other_images": flat, "progress": False, "batch_size": 4,
               "discriminator": True}
    first = latent.detection(gan, noise, checkpoint=tmp_path / "kept", **options)
    assert sorted(f.name for f in (tmp_path / "kept").iterdir()) == ["calibration", "other", "own", "real"]
    assert first == latent.detection(gan, noise, checkpoint=tmp_path / "kept", **options)
    assert first == latent.detection(gan, noise, **options) and first["batch_size"] == 4
    with pytest.raises(ValueError, match="needs 6 real images; got 2"):
        latent.detection(gan, noise[:2], num=6, steps=2, progress=False)
    cgan = kgz.ConditionalGAN(**{**TINY, "num_classes": 3}, seed=0)
    with pytest.raises(ValueError, match="draws each image from its labels: pass the real images' labels"):
        latent.detection(cgan, noise, num=6, steps=2, progress=False)
    labelled = latent.detection(cgan, noise, real_labels=[0, 1, 2, 0, 1, 2], num=6, steps=5, progress=False)
    assert 0.0 <= labelled["auc_own_vs_real"] <= 1.0
    with pytest.raises(ValueError, match="class-conditional ConditionalGAN draws per class: use bank=0"):
        latent.detection(cgan, noise, real_labels=[0, 1, 2, 0, 1, 2], num=6, steps=2, bank=8, progress=False)
    # A bank of given latents is recorded by its size and digest.
    given = np.random.default_rng(0).standard_normal((8, TINY["latent_dim"])).astype("float32")
    banked = latent.detection(gan, noise, num=6, steps=2, seed=2, bank=given, progress=False)
    assert banked["bank"] == 8 and len(banked["bank_sha256"]) == 16
    assert latent.detection(gan, noise, num=6, steps=2, seed=2, bank=8, progress=False)["bank"] == 8
    # Ragged or wrongly shaped bank latents are a clear error before anything is projected.
    ragged = [list(given[0]), list(given[1][:3])]
    for bad in (ragged, given[:, :3]):
        with pytest.raises(ValueError, match="latents of DCGAN's space 'z'"):
            latent.detection(gan, noise, num=6, steps=2, bank=bad, progress=False)


def test_discriminator_score_is_the_discriminators_logit_one_image_at_a_time():
    gan = kgz.DCGAN(**TINY, seed=0)
    own = _own_images(gan)
    direct = gan.discriminator(own.astype("float32") / 127.5 - 1.0, training=False)
    np.testing.assert_allclose(latent.discriminator_score(gan, own, batch_size=4),
                               np.asarray(keras.ops.convert_to_numpy(direct)).reshape(-1), atol=1e-5)
    # StyleGAN's discriminator reads the batch's spread (minibatch stddev):
    # an image's score must still not depend on the images passed with it.
    style = kgz.StyleGAN(**kgz.StyleGAN.tiny_config, seed=0)
    images = _own_images(style, n=3)
    scores = latent.discriminator_score(style, images)
    np.testing.assert_allclose(latent.discriminator_score(style, images[::-1]), scores[::-1], atol=1e-5)
    np.testing.assert_allclose(latent.discriminator_score(style, images[1:2]), scores[1:2], atol=1e-5)
    cgan = kgz.ConditionalGAN(**kgz.ConditionalGAN.tiny_config, seed=0)
    labelled = latent.discriminator_score(cgan, cgan.generate(3, seed=0), labels=[0, 1, 2])
    assert labelled.shape == (3,) and np.all(np.isfinite(labelled))
    with pytest.raises(ValueError, match="pass labels="):
        latent.discriminator_score(cgan, cgan.generate(3, seed=0))
    with pytest.raises(ValueError, match="expected images of shape"):
        latent.discriminator_score(gan, own[:, :8])


def test_the_score_with_the_discriminator_is_calibrated_on_own_samples():
    rng = np.random.default_rng(0)
    own_reconstructed = rng.normal(-1.0, 1.0, 50)
    own = (rng.uniform(0.01, 0.03, 50), own_reconstructed + rng.normal(0.0, 0.3, 50), own_reconstructed)
    # An own-like image first; a larger error, a higher logit, or a logit
    # higher than its reconstruction's predicts: each lowers the score.
    errors, logits, reconstructed = np.array([0.02, 0.08, 0.02, 0.02]), np.array([-1.0, -1.0, 3.0, 1.0]), \
        np.array([-1.0, -1.0, 3.0, -1.0])
    score = latent._calibrated_score((errors, logits, reconstructed), own)
    assert score[0] > score[1] and score[0] > score[2] and score[2] > score[3]
    # Each signal is measured in its spread on the own samples: its units do not matter.
    np.testing.assert_allclose(latent._calibrated_score((errors, 10 * logits, 10 * reconstructed),
                                                        (own[0], 10 * own[1], 10 * own[2])), score)
    np.testing.assert_allclose(latent._calibrated_score((3 * errors, logits, reconstructed), (3 * own[0],) + own[1:]),
                               score - np.log(3) / np.std(np.log(own[0])))
    gan = kgz.DCGAN(**TINY, seed=0)
    noise = np.random.default_rng(0).integers(0, 256, (6,) + tuple(gan.image_shape), dtype=np.uint8)
    plain = latent.detection(gan, noise, num=6, steps=5, seed=2, progress=False)
    both = latent.detection(gan, noise, num=6, steps=5, seed=2, progress=False, discriminator=True)
    assert both["score"] == latent.DISCRIMINATOR_SCORE and both["calibration"] == 6
    assert both["auc_own_vs_real_projection"] == plain["auc_own_vs_real"]
    assert 0.0 <= both["auc_own_vs_real_discriminator"] <= 1.0 and 0.0 <= both["auc_own_vs_real"] <= 1.0
    scores = latent.generated_score(gan, noise[:2], steps=5, discriminator=True, calibration=4, progress=False)
    assert scores.shape == (2,) and np.all(np.isfinite(scores))


@pytest.mark.parametrize("call, match", [
    (lambda gan: latent.render(gan, np.zeros((2, 5))), r"have shape \(N,\) \+ \(8,\)"),
    (lambda gan: latent.render(gan, np.full((2, 8), np.nan)), "NaN"),
    (lambda gan: latent.attribute_vector(gan, latent.ink, num=20, fraction=0.7), "fraction"),
    (lambda gan: latent.attribute_vector(gan, lambda images: [1.0], num=20), "20 finite numbers"),
    (lambda gan: latent.attribute_vector(gan, latent.ink, num=20, groups=lambda images: [0]),
     "20 labels"),
    (lambda gan: latent.attribute_vector(gan, latent.ink, num=4, fraction=0.1), "raise num"),
    (lambda gan: latent.shift(np.zeros((2, 8)), np.zeros(5)), "vector has shape"),
])
def test_vector_arithmetic_errors_are_clear(call, match):
    with pytest.raises(ValueError, match=match):
        call(kgz.DCGAN(**TINY, seed=0))
