"""Data parallelism through the backends' engines: Keras's distribution API
(JAX) and processes under torchrun (PyTorch)."""

import json
import os
import socket
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
    elif keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="torchrun --nproc_per_node 2 -m keras_gan_zoo train"):
            with gradients.data_parallel(2):
                pass
    else:
        with pytest.raises(ValueError, match="KERAS_BACKEND=jax"):
            with gradients.data_parallel(2):
                pass
    assert keras.distribution.distribution() is None
    assert gradients.replica() == (0, 1) and gradients.any_replica(True) and not gradients.any_replica(0)


def test_a_batch_that_does_not_split_is_refused_before_training(tmp_path):
    recipe = {"preset": "x", "batch_size": 64, "model": {}}
    with pytest.raises(ValueError, match="do not split over 3 devices"):
        training.run_recipe(recipe, devices=3, run_dir=tmp_path)


# Run under torchrun (two gloo processes on the CPU). CycleGAN with no
# history pool draws nothing at random and normalises each image alone
# (instance norm), so two processes with half a batch each must take the
# very steps that one process takes on the whole batch. (At SGD 0.1 this tiny
# network amplifies float rounding, the order of the sums, from 1e-7 after one
# step to 3e-3 after three; at 0.01 three steps stay within 3e-7.)
TORCH_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras, numpy as np
    from keras_gan_zoo import checkpoint, gradients
    from keras_gan_zoo.models import CycleGAN

    def fit(shard):
        keras.utils.set_random_seed(0)
        model = CycleGAN(**{**CycleGAN.tiny_config, "pool_size": 0}, seed=0)
        if shard[0]:  # another start on rank 1: rank 0's weights must win
            model.set_weights([w + 1.0 for w in model.get_weights()])
        model.compile(**{f"{name}_optimizer": keras.optimizers.SGD(0.01) for name in model.optimizer_names})
        x, y = CycleGAN.tiny_data(model)
        data = checkpoint.StepBatches(x, y, batch_size=4, seed=0, steps=3, shard=shard)
        model.fit(data, epochs=1, shuffle=False, verbose=0)
        return model

    one = fit((0, 1)).get_weights()  # each process alone, the whole batch
    with gradients.data_parallel(1) as layout:
        rank, processes = gradients.replica()
        model = fit((rank, processes))
        two = model.get_weights()
        seed = int(keras.ops.convert_to_numpy(model.seed_generator.state.value)[0])
        stop = [gradients.any_replica(rank == 1), gradients.any_replica(False)]
    difference = max(float(np.abs(a - b).max()) for a, b in zip(one, two))
    with open(f"rank{rank}.json", "w") as f:
        json.dump({"rank": rank, "processes": processes, "difference": difference, "stop": stop,
                   "layout": layout, "seed": seed}, f)
""")


def _torchrun(tmp_path, *args):
    with socket.socket() as s:  # a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_addr", "127.0.0.1", "--master_port", str(port), *args],
                          env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torchrun processes run PyTorch")
def test_two_torch_processes_match_one_on_the_same_global_batch(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text(TORCH_SCRIPT)
    done = _torchrun(tmp_path, str(script))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    for result in results:
        # Three SGD steps of the four players (two generators, two discriminators).
        assert result["processes"] == 2 and result["difference"] <= 1e-5, result
        assert result["stop"] == [True, False]  # both processes take the same decision
        assert "2 processes (gloo)" in result["layout"]["layout"]
    # Each process draws its own latents: its random stream starts elsewhere.
    assert results[1]["seed"] - results[0]["seed"] == gradients._REPLICA_SEED_STRIDE


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="torchrun processes run PyTorch")
def test_torchrun_trains_a_recipe_and_rank_0_alone_writes_it(tmp_path):
    import keras_gan_zoo as kgz

    out = tmp_path / "run"
    done = _torchrun(tmp_path, "-m", "keras_gan_zoo", "train", "dcgan_mnist", "--smoke", "--steps", "4",
                     "--run-dir", str(out), "--out", str(out / "preset"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    model = kgz.from_pretrained(str(out / "preset"))
    training_info = model.preset_metadata["training"]
    assert training_info["devices"]["devices"] == 2 and "torchrun" in training_info["devices"]["layout"]
    assert training_info["steps"] == 4 and training_info["batch_size"] == 64
    assert (out / "checkpoint.npz").is_file()
    assert done.stdout.count("Saved preset to") == 1
