"""Data parallelism through Keras's distribution API (JAX)."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import pytest

from keras_gan_zoo import gradients, training

# Run in a fresh interpreter: XLA reads the device count when JAX starts.
SCRIPT = textwrap.dedent("""
    import json, sys
    import keras, numpy as np
    from keras_gan_zoo import gradients, training
    from keras_gan_zoo.models import DCGAN

    def fit(devices):
        with gradients.data_parallel(devices):
            keras.utils.set_random_seed(0)
            model = DCGAN(**DCGAN.tiny_config, seed=0)
            model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
            x, _ = DCGAN.tiny_data(model)
            x = np.concatenate([x, x[::-1]])[:8]
            model.fit(x, batch_size=8, epochs=3, shuffle=False, verbose=0)
            return model.get_weights()

    one, two = fit(1), fit(2)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(one, two))
    from keras_gan_zoo import cli
    RECIPE = cli._find_recipe("dcgan_mnist")
    out = sys.argv[1]
    training.run_recipe(RECIPE, smoke=True, steps=2, devices=2, run_dir=out, output_dir=out + "/preset",
                        verbose=0)
    metadata = json.load(open(out + "/preset/metadata.json"))
    print(json.dumps({"difference": difference, "devices": metadata["training"]["devices"]}))
""")


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="Keras's data parallelism runs on JAX")
def test_two_devices_match_one_on_the_same_global_batch(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2", "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "run")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # Three SGD steps of both players, BatchNorm included (its statistics
    # are over the global batch, as on one device).
    assert result["difference"] <= 1e-5, result
    assert result["devices"]["devices"] == 2 and "cpu:1" in result["devices"]["layout"]


def test_one_device_changes_nothing_and_errors_say_what_to_do():
    with gradients.data_parallel(1) as layout:
        assert layout is None and keras.distribution.distribution() is None
    with pytest.raises(ValueError, match="at least 1"):
        with gradients.data_parallel(0):
            pass
    if keras.backend.backend() == "jax":
        with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
            with gradients.data_parallel(64):
                pass
    else:
        with pytest.raises(ValueError, match="KERAS_BACKEND=jax"):
            with gradients.data_parallel(2):
                pass
    assert keras.distribution.distribution() is None


def test_a_batch_that_does_not_split_is_refused_before_training(tmp_path):
    recipe = {"preset": "x", "batch_size": 64, "model": {}}
    with pytest.raises(ValueError, match="do not split over 3 devices"):
        training.run_recipe(recipe, devices=3, run_dir=tmp_path)
