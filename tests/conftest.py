import os
import tempfile

# Before keras is imported: one KERAS_HOME per run (keras writes keras.json on
# first import), a persistent JAX compilation cache, and quiet TensorFlow.
os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp(prefix="kgz-keras-home-"))
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.path.join(os.environ["KERAS_HOME"], "jax-cache"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_GAN_ZOO_OFFLINE", "1")
# The tests' tiny models run a few steps each, so XLA's compile time (JAX, and
# TensorFlow's jit_compile) is most of their time; without LLVM's backend
# optimisations a tiny BigGAN's first fit takes 30 s instead of 47 s, a
# StyleGAN's 23 s instead of 54 s (`KERAS_BACKEND=jax OMP_NUM_THREADS=1 python
# benchmarks/tiny_fit_compile.py BigGAN StyleGAN`, with and without the flag).
# Users' runs keep XLA's defaults. Set the flag yourself to override.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    # First: XLA stops reading the variable at a word that is not a flag.
    os.environ["XLA_FLAGS"] = ("--xla_backend_optimization_level=0 " + os.environ.get("XLA_FLAGS", "")).strip()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import keras_gan_zoo as kgz  # noqa: E402

TINY = dict(latent_dim=8, image_size=16, channels=1, width=4)


def load_recipe(file_name):
    """The module of `recipes/<file_name>` (recipes are scripts, not a package)."""
    import importlib.util

    from keras_gan_zoo.training import REPO_ROOT

    spec = importlib.util.spec_from_file_location(file_name.removesuffix(".py"), REPO_ROOT / "recipes" / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def weights_of(model_or_layer):
    return [keras.ops.convert_to_numpy(v).copy() for v in model_or_layer.weights]


def count_changed(model_or_layer, before, atol=0.0):
    after = weights_of(model_or_layer)
    return sum(not np.allclose(a, b, atol=atol, rtol=0) for a, b in zip(after, before))


class PixelFeatures:
    """A stand-in feature network for FID-style tests: a few pixel statistics per image (fast)."""

    def __call__(self, images, progress=True, desc=None):
        x = images.reshape(len(images), -1).astype(np.float64) / 255.0
        return np.stack([x.mean(1), x.std(1), (x > 0.5).mean(1), x[:, : x.shape[1] // 2].mean(1)], 1)


@pytest.fixture
def tiny_dcgan():
    keras.utils.set_random_seed(0)
    return kgz.DCGAN(**TINY, seed=0)


@pytest.fixture
def tiny_images():
    rng = np.random.default_rng(0)
    # Bright squares on a dark background: a learnable toy distribution.
    images = np.zeros((64, 16, 16, 1), dtype="uint8")
    for image in images:
        r, c = rng.integers(0, 10, size=2)
        image[r:r + 6, c:c + 6] = 255
    return images


# Seconds per test file (setup, call and teardown), written as JSON where
# tests/backends.py asks (it balances its shards with them).
_SECONDS_PER_FILE = {}


def pytest_runtest_logreport(report):
    name = report.nodeid.split("::")[0]
    _SECONDS_PER_FILE[name] = _SECONDS_PER_FILE.get(name, 0.0) + report.duration


def pytest_sessionfinish(session):
    path = os.environ.get("KERAS_GAN_ZOO_TEST_TIMES")
    if path:
        import json

        with open(path, "w") as out:
            json.dump(_SECONDS_PER_FILE, out)


# A test that compares all three backends runs the other two in subprocesses,
# so it runs in one backend's run of the suite (CI runs the suite once per
# backend): PyTorch's, whose in-process half is the quickest.
CROSS_BACKEND_HOST = "torch"
cross_backend = pytest.mark.skipif(
    keras.backend.backend() != CROSS_BACKEND_HOST,
    reason=f"compares every backend from the {CROSS_BACKEND_HOST} run of the suite")


# Shipped presets are checked in one backend's run (TensorFlow's: the preset
# fingerprints were written there); the family contract's cross-backend test
# shows the same weights give the same outputs on the other two.
SHIPPED_PRESET_HOST = "tensorflow"
SHIPPED_PRESET_MARKS = [pytest.mark.large,
                        pytest.mark.skipif(keras.backend.backend() != SHIPPED_PRESET_HOST,
                                           reason=f"shipped presets are checked in the {SHIPPED_PRESET_HOST} run")]


def shipped_preset(test):
    """Marks one test of a shipped preset (a module: `pytestmark = SHIPPED_PRESET_MARKS`)."""
    for mark in SHIPPED_PRESET_MARKS:
        test = mark(test)
    return test


def outputs_on_other_backends(tmp_path, child_source, args):
    """Runs `child_source` (a script that writes an .npz to argv[1] from the
    rest of `args`) under each other Keras backend; yields (backend, npz)."""
    import subprocess
    import sys

    script = tmp_path / "child.py"
    script.write_text(child_source)
    this = keras.backend.backend()
    for other in [b for b in ("tensorflow", "torch", "jax") if b != this]:
        out = tmp_path / f"{other}.npz"
        subprocess.run([sys.executable, str(script), str(out)] + [str(a) for a in args],
                       env=dict(os.environ, KERAS_BACKEND=other), check=True, timeout=300)
        yield other, np.load(out)
