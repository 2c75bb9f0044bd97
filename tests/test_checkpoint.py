"""Exact resume (keras_gan_zoo.checkpoint and run_recipe's steps mode)."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import checkpoint, cli, gradients, training
from keras_gan_zoo.models import DCGAN, ConditionalGAN

def tiny_dcgan(width=8):
    keras.utils.set_random_seed(0)
    model = DCGAN(**{**DCGAN.tiny_config, "width": width}, seed=0)
    model.compile()
    return model


def state(model):
    return [keras.ops.convert_to_numpy(v.value).copy() for v in checkpoint.state_variables(model)]


def test_step_batches_depend_only_on_the_step():
    x, y = np.arange(10)[:, None], np.arange(10) * 10
    stream = checkpoint.StepBatches(x, y, batch_size=3, seed=0, steps=12)
    assert len(stream) == 12 and stream.per_pass == 3
    batches = [stream[i] for i in range(12)]
    for bx, by in batches:
        np.testing.assert_array_equal(by, bx[:, 0] * 10)  # rows stay paired
    first_pass = np.concatenate([b[0][:, 0] for b in batches[:3]])
    assert len(set(first_pass)) == 9  # a pass draws without repeats
    second_pass = np.concatenate([b[0][:, 0] for b in batches[3:6]])
    assert not np.array_equal(first_pass, second_pass)  # each pass in its own order
    later = stream.starting_at(5)
    assert len(later) == 7
    np.testing.assert_array_equal(later[0][0], batches[5][0])
    with pytest.raises(ValueError, match="larger than"):
        checkpoint.StepBatches(x, None, batch_size=11, seed=0, steps=1)


def test_unpaired_step_batches_draw_the_second_set_on_its_own():
    """CycleGAN's stepped runs: two domains of different lengths, each batch
    a function of the step alone, the shorter domain drawn without repeats
    within each of its passes, served alike through fit_input."""
    x, y = np.arange(10)[:, None] * 1.0, np.arange(3)[:, None] + 100.0
    with pytest.raises(ValueError, match="paired batches need the same number"):
        checkpoint.StepBatches(x, y, batch_size=4, seed=0, steps=6)
    stream = checkpoint.StepBatches(x, y, batch_size=4, seed=1, steps=6, unpaired=True)
    batches = [stream[i] for i in range(6)]
    seen_y = np.concatenate([b[1][:, 0] for b in batches]) - 100
    assert seen_y.shape == (24,)
    for start in range(0, 24, 3):  # every run of 3 is one permutation of y
        assert sorted(seen_y[start:start + 3]) == [0, 1, 2]
    assert len(set(np.concatenate([b[0][:, 0] for b in batches[:2]]))) == 8  # x as when paired
    later = stream.starting_at(4)
    for i in range(2):
        for got, expected in zip(later[i], batches[4 + i]):
            np.testing.assert_array_equal(got, expected)
    served = [tuple(keras.ops.convert_to_numpy(part) for part in batch)
              for batch in gradients.fit_input(stream)]
    for got, expected in zip(served, batches):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


def test_fit_input_serves_the_step_batches_in_their_order():
    x, y = np.arange(40, dtype="float32").reshape(10, 2, 2, 1), np.arange(10) * 10
    stream = checkpoint.StepBatches(x, y, batch_size=4, seed=3, steps=7).starting_at(2)
    served = [tuple(keras.ops.convert_to_numpy(part) for part in batch)
              for batch in gradients.fit_input(stream)]
    assert len(served) == len(stream) == 5
    for (bx, by), (ex, ey) in zip(served, (stream[i] for i in range(5))):
        np.testing.assert_array_equal(bx, ex)
        np.testing.assert_array_equal(by, ey)


def test_save_and_restore_carry_every_state_including_the_random_generators(tmp_path):
    x, _ = DCGAN.tiny_data(tiny_dcgan())
    model = tiny_dcgan()
    model.fit(x, batch_size=4, epochs=1, verbose=0)
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(model, path, step=2)
    saved = state(model)
    fresh = tiny_dcgan()
    assert checkpoint.restore(fresh, tmp_path / "absent.npz") == 0
    assert checkpoint.restore(fresh, path) == 2
    for a, b in zip(saved, state(fresh)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fresh.seed_generator.state),
                                  keras.ops.convert_to_numpy(model.seed_generator.state))
    # The same draws follow.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model._sample_latents(3)),
                                  keras.ops.convert_to_numpy(fresh._sample_latents(3)))

    other = tiny_dcgan(width=16)
    before = state(other)
    with pytest.raises(ValueError, match="another configuration"):
        checkpoint.restore(other, path)
    for a, b in zip(before, state(other)):
        np.testing.assert_array_equal(a, b)


def test_a_write_cut_short_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    model = tiny_dcgan()
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(model, path, step=4)

    def torn(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # a kill in the middle of the write

    monkeypatch.setattr(checkpoint.np, "savez", torn)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(model, path, step=6)
    assert checkpoint.read_info(path)["step"] == 4
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_an_interval_cut_short_is_not_saved(tmp_path):
    x, _ = DCGAN.tiny_data(tiny_dcgan())
    model = tiny_dcgan()
    path = tmp_path / "checkpoint.npz"

    class StopAfterOneBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    data = checkpoint.StepBatches(x, None, batch_size=4, seed=0, steps=4)
    model.fit(data, steps_per_epoch=2, epochs=2, shuffle=False, verbose=0,
              callbacks=[StopAfterOneBatch(), checkpoint.StepCheckpoint(path, every=2)])
    assert not path.exists()


def test_a_run_killed_at_any_moment_ends_with_the_uninterrupted_weights(tmp_path):
    """SIGKILL a stepped smoke run of the CLI as soon as it has written a
    checkpoint, start it again, and compare with a run never interrupted."""
    steps, every = 40, 2
    reference = training.run_recipe(cli._find_recipe("dcgan_mnist"), smoke=True, steps=steps, checkpoint_every=every,
                                    run_dir=tmp_path / "whole", output_dir=tmp_path / "whole" / "preset",
                                    verbose=0)

    run = tmp_path / "killed"
    command = [sys.executable, "-m", "keras_gan_zoo", "train", "dcgan_mnist", "--smoke",
               "--steps", str(steps), "--checkpoint-every", str(every), "--run-dir", str(run),
               "--out", str(run / "preset")]
    first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not (run / checkpoint.CHECKPOINT_FILE).exists():
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    first.stderr.close()
    killed_at = checkpoint.read_info(run / checkpoint.CHECKPOINT_FILE)["step"]
    assert killed_at < steps and not (run / "preset").exists()

    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Resuming at step {killed_at} of {steps}" in done.stdout
    resumed = kgz.from_pretrained(str(run / "preset"))
    difference = max(float(np.abs(a - b).max()) for a, b in zip(reference.get_weights(), resumed.get_weights()))
    assert difference <= 1e-6, difference

    # The card says where each sitting ran, and the plan, not Keras's epochs.
    record = resumed.preset_metadata["training"]
    assert [(s["from_step"], s["to_step"]) for s in record["sittings"]] == [(0, killed_at), (killed_at, steps)]
    assert {s["backend"] for s in record["sittings"]} == {keras.backend.backend()}
    assert (record["steps_planned"], record["checkpoint_every"]) == (steps, every)
    card = (run / "preset" / "README.md").read_text()
    assert f"Stepped run (whole state saved every {every} steps; {steps} planned)" in card
    assert f"Resumed exactly over 2 sittings: steps 0-{killed_at} on {keras.backend.backend()}" in card


def test_init_from_starts_from_a_presets_weights_and_refuses_another_network(tmp_path):
    recipe = training.variant(cli._find_recipe("dcgan_mnist"), model={"width": 8})
    first = training.run_recipe(recipe, smoke=True, steps=2, run_dir=tmp_path / "a",
                                output_dir=tmp_path / "a" / "preset", verbose=0)

    fresh = training.build_model(recipe)
    record = training.load_initial_weights(fresh, tmp_path / "a" / "preset")
    for a, b in zip(first.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert record["preset"] == "dcgan-mnist" and record["training"]["steps"] == 2

    # A recipe whose network differs is refused before any weight changes.
    wider = training.build_model(training.variant(recipe, model={"width": 16}))
    before = wider.get_weights()
    with pytest.raises(ValueError, match="width: recipe 16, preset 8"):
        training.load_initial_weights(wider, tmp_path / "a" / "preset")
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = ConditionalGAN(**ConditionalGAN.tiny_config, seed=0)
    with pytest.raises(ValueError, match="is a DCGAN; this recipe trains a ConditionalGAN"):
        training.load_initial_weights(other, tmp_path / "a" / "preset")

    # A preset saved before an argument existed lacks its key: it compares as
    # the argument's default, as from_pretrained builds it.
    config_file = tmp_path / "a" / "preset" / "config.json"
    config = json.loads(config_file.read_text())
    del config["config"]["latent_dim"]  # the recipe's 100 is the default
    config_file.write_text(json.dumps(config))
    training.load_initial_weights(training.build_model(recipe), tmp_path / "a" / "preset")
    del config["config"]["width"]  # the recipe's 8 is not: the preset reads as width 64
    config_file.write_text(json.dumps(config))
    with pytest.raises(ValueError, match="width: recipe 8, preset 64"):
        training.load_initial_weights(training.build_model(recipe), tmp_path / "a" / "preset")
    config["config"]["width"] = 8
    config_file.write_text(json.dumps(config))

    # The continued run records where it started, with that preset's own training.
    training.run_recipe(recipe, smoke=True, steps=2, run_dir=tmp_path / "b", init_from=tmp_path / "a" / "preset",
                        output_dir=tmp_path / "b" / "preset", verbose=0)
    continued = kgz.from_pretrained(str(tmp_path / "b" / "preset")).preset_metadata["training"]
    assert continued["steps"] == 2
    assert continued["continued_from"]["training"]["steps"] == 2
    assert continued["continued_from"]["sha256"] == _weights_sha(tmp_path / "a" / "preset")
    card = (tmp_path / "b" / "preset" / "README.md").read_text()
    assert "Started from the weights of `dcgan-mnist`" in card and "all runs together: 4 steps" in card


def test_a_resumed_run_records_the_preset_it_started_from_not_what_the_name_now_gives(tmp_path, capsys):
    """`--init-from NAME` resolves anew each sitting; if the preset was
    retrained meanwhile (as when a run's own earlier result ships), the
    resumed run's card still names the weights it started from."""
    recipe = training.variant(cli._find_recipe("dcgan_mnist"), model={"width": 8})
    for name in ("a", "b"):
        training.run_recipe(recipe, smoke=True, steps=2, run_dir=tmp_path / name,
                            output_dir=tmp_path / name / "preset", verbose=0)
    assert _weights_sha(tmp_path / "a" / "preset") != _weights_sha(tmp_path / "b" / "preset")

    def continued(init_from, steps):
        training.run_recipe(recipe, smoke=True, steps=steps, checkpoint_every=2, run_dir=tmp_path / "c",
                            output_dir=tmp_path / "c" / "preset", init_from=init_from, verbose=0)
        return kgz.from_pretrained(str(tmp_path / "c" / "preset")).preset_metadata["training"]

    assert continued(tmp_path / "a" / "preset", 2)["continued_from"]["sha256"] == _weights_sha(tmp_path / "a" / "preset")
    capsys.readouterr()
    resumed = continued(tmp_path / "b" / "preset", 4)  # resumes at step 2, the name now gives b's weights
    assert [s["from_step"] for s in resumed["sittings"]] == [0, 2] and resumed["steps"] == 4
    assert resumed["continued_from"]["sha256"] == _weights_sha(tmp_path / "a" / "preset")
    assert "its card records that start" in capsys.readouterr().out

    # A run from scratch stays one when a later sitting passes --init-from.
    training.run_recipe(recipe, smoke=True, steps=2, checkpoint_every=2, run_dir=tmp_path / "d",
                        output_dir=tmp_path / "d" / "preset", verbose=0)
    training.run_recipe(recipe, smoke=True, steps=4, checkpoint_every=2, run_dir=tmp_path / "d",
                        output_dir=tmp_path / "d" / "preset", init_from=tmp_path / "a" / "preset", verbose=0)
    assert "continued_from" not in kgz.from_pretrained(str(tmp_path / "d" / "preset")).preset_metadata["training"]


def test_a_stepped_run_decays_the_rates_per_interval_and_its_card_says_so(tmp_path):
    """recipes/dcgan_mnist_anneal.py: from 2e-4 toward 0, one change per
    checkpoint interval, so the last of three intervals runs at a third."""
    recipe = training.variant(cli._find_recipe("dcgan_mnist_anneal"), model={"width": 8})
    model = training.run_recipe(recipe, smoke=True, steps=6, checkpoint_every=2, run_dir=tmp_path,
                                output_dir=tmp_path / "preset", verbose=0)
    for optimizer in model.player_optimizers.values():
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(2e-4 / 3)
    record = kgz.from_pretrained(str(tmp_path / "preset")).preset_metadata["training"]
    assert record["lr_decay"] == {"unit": "step", "start": 0, "end": 6, "every": 2}
    card = (tmp_path / "preset" / "README.md").read_text()
    assert ("Learning rates: the optimizer's from the first step, decayed linearly toward 0 at step 6, "
            "changed every 2 steps (the last 2 at 1/3 of them)") in card


def test_a_decay_that_starts_halfway_holds_the_full_rate_first(tmp_path):
    """recipes/cgan_mnist_anneal.py: the full rate for the first half of the
    intervals, then linearly down; of four intervals the last runs at half."""
    # Not a smoke run, which would replace the recipe's epochs (the halfway mark).
    recipe = training.variant(cli._find_recipe("cgan_mnist_anneal"), model={"width": 8},
                              train_images=256, fid_images=0)
    model = training.run_recipe(recipe, steps=8, checkpoint_every=2, run_dir=tmp_path,
                                output_dir=tmp_path / "preset", verbose=0)
    for optimizer in model.player_optimizers.values():
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(2e-4 / 2)
    record = kgz.from_pretrained(str(tmp_path / "preset")).preset_metadata["training"]
    assert record["lr_decay"] == {"unit": "step", "start": 4, "end": 8, "every": 2}


def test_progan_continues_at_its_last_level_in_a_stepped_run(tmp_path):
    """recipes/progan_mnist_anneal.py: the growth recipe's stabilisation stage
    without its stages (which resume by stage and refuse --steps), so a
    continuation checkpoints and decays like the others: the last level, no
    fade-in, half the rate in the last of four intervals."""
    tiny = {"width": 4, "max_width": 8}
    grown = training.variant(cli._find_recipe("progan_mnist"), model=tiny)
    with pytest.raises(ValueError, match="trains in stages"):
        training.run_recipe(grown, smoke=True, steps=2, run_dir=tmp_path / "staged", verbose=0)
    recipe = training.variant(cli._find_recipe("progan_mnist_anneal"), model=tiny, train_images=256, fid_images=0)
    # The preset it continues, as the staged recipe records its stages.
    stages = [{"stage": n, "label": label, "train_images": 60000, "epochs": 1, "epochs_run": 1, "batch_size": 64,
               "steps": 10, "wall_time_s": 6.0} for n, label in ((1, "4x4"), (5, "32x32, stabilisation continued"))]
    training.build_model(recipe).save_pretrained(tmp_path / "grown" / "progan-mnist", metadata={"training": {
        "command": "python recipes/progan_mnist.py", "steps": 20, "wall_time_s": 12.0, "stages": stages}})
    model = training.run_recipe(recipe, steps=8, checkpoint_every=2, run_dir=tmp_path, verbose=0,
                                output_dir=tmp_path / "preset", init_from=tmp_path / "grown" / "progan-mnist")
    assert model.level == len(model.resolutions) - 1 == 3 and model.fade_steps == 0
    for optimizer in model.player_optimizers.values():
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(1e-3 / 2)
    record = kgz.from_pretrained(str(tmp_path / "preset")).preset_metadata["training"]
    assert record["lr_decay"] == {"unit": "step", "start": 4, "end": 8, "every": 2} and "stages" not in record
    # The card keeps the growth schedule of the run it continued.
    card = (tmp_path / "preset" / "README.md").read_text()
    assert "  - `progan-mnist` Stage 1: 4x4, " in card and "  - `progan-mnist` Stage 5: 32x32, stabilisation" in card

def test_the_card_names_a_decay_that_starts_later_and_none_when_there_is_none():
    from keras_gan_zoo import cards
    assert cards.schedule_lines({"lr_decay": {"unit": "epoch", "start": 15, "end": 30}}) == [
        "- Learning rates: the optimizer's until epoch 15, then decayed linearly toward 0 at epoch 30, "
        "changed each epoch (the last at 1/15 of them)."]
    assert cards.schedule_lines({"steps": 10}) == []


def _weights_sha(folder):
    return kgz.from_pretrained(str(folder)).preset_metadata["files"]["model.weights.h5"]["sha256"]
