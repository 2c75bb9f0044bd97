"""`keras-gan-zoo remeasure`: a card's commands, run again on new weights."""

import json
import pathlib
import shutil
import subprocess
import types

import numpy as np
import pytest
from PIL import Image

from keras_gan_zoo import cli, remeasure
from keras_gan_zoo.models import DCGAN

METADATA = {
    "preset": "dcgan-mnist",
    "encoder": {"training": {"command": "python recipes/inverting_encoder.py dcgan-mnist",
                             "backend": "torch", "wall_time_s": 100.0}},
    "metrics": {
        "fid": {"command": "keras-gan-zoo evaluate dcgan-mnist --num 10000", "backend": "torch",
                "wall_time_s": 60.0, "value": 16.5},
        "class_fidelity": {"command": "keras-gan-zoo evaluate dcgan-mnist --num 10000", "backend": None},
        "inversion": {"command": "keras-gan-zoo inversion dcgan-mnist --learning-rate 0.1 --write",
                      "backend": "jax"},
        "ablation": {"command": "python recipes/a.py and python recipes/b.py side by side",
                     "backend": "tensorflow"},
        "goal": "FID <= 5: not reached",
    },
}


def folder_with(tmp_path, metadata, name="dcgan-mnist"):
    folder = tmp_path / name
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder


def test_card_commands_put_the_encoder_first_and_merge_the_figures_of_one_command():
    steps, notes = remeasure.card_commands(METADATA)
    assert [step.keys for step in steps] == [["encoder"], ["fid", "class_fidelity"], ["inversion"]]
    assert [step.backend for step in steps] == ["torch", "torch", "jax"]
    assert steps[1].argv("py") == ["py", "-m", "keras_gan_zoo", "evaluate", "dcgan-mnist", "--num", "10000"]
    assert steps[0].argv("py") == ["py", "recipes/inverting_encoder.py", "dcgan-mnist"]
    assert notes == ["ablation: python recipes/a.py and python recipes/b.py side by side"]


def test_run_gives_each_command_its_backend_and_the_folder_first_in_the_lookup(tmp_path):
    folder = folder_with(tmp_path, METADATA)
    calls = []

    folders = set()

    def runner(argv, cwd, env):
        calls.append((argv, env["KERAS_BACKEND"], env["KERAS_GAN_ZOO_WEIGHTS"]))
        folders.add(cwd)
        return types.SimpleNamespace(returncode=0)

    ran = remeasure.run(folder, runner=runner, echo=lambda line: None)
    assert len(ran) == 3
    # One scratch folder, outside the checkout, removed when no command wrote into it.
    assert len(folders) == 1 and remeasure.REPO_ROOT not in folders and not any(f.exists() for f in folders)
    assert [backend for _, backend, _ in calls] == ["torch", "torch", "jax"]
    assert {weights for _, _, weights in calls} == {str(tmp_path.resolve())}
    assert calls[0][0][1:] == [str(remeasure.REPO_ROOT / "recipes" / "inverting_encoder.py"), "dcgan-mnist"]

    calls.clear()
    remeasure.run(folder, backend="tensorflow", start=2, runner=runner, echo=lambda line: None)
    assert [argv[3] for argv, _, _ in calls] == ["evaluate", "inversion"]
    assert {backend for _, backend, _ in calls} == {"tensorflow"}

    calls.clear()  # a continued run's folder, measured with the commands of the card it came from
    bare = folder_with(tmp_path / "more", {"preset": "dcgan-mnist", "metrics": {}})
    remeasure.run(bare, commands_from=folder, only=["inversion"], runner=runner, echo=lambda line: None)
    assert [argv[3] for argv, _, _ in calls] == ["inversion"]
    assert {weights for _, _, weights in calls} == {str((tmp_path / "more").resolve())}

    calls.clear()
    remeasure.run(folder, only=["inversion"], dry_run=True, runner=runner, echo=lambda line: None)
    assert calls == []  # a dry run runs nothing


def test_run_stops_at_a_failing_command_and_says_where_to_go_on(tmp_path):
    folder = folder_with(tmp_path, METADATA)
    calls = []

    def runner(argv, cwd, env):
        calls.append(argv)
        return types.SimpleNamespace(returncode=3 if len(calls) == 2 else 0)

    with pytest.raises(RuntimeError, match=r"step 2 failed \(exit 3\).*start=2"):
        remeasure.run(folder, runner=runner, echo=lambda line: None)
    assert len(calls) == 2  # the third command did not run


def test_bad_requests_are_refused_before_anything_runs(tmp_path):
    never = lambda *args, **kwargs: pytest.fail("nothing should run")
    with pytest.raises(ValueError, match="folder named 'dcgan-mnist'"):
        remeasure.run(folder_with(tmp_path, METADATA, name="candidate"), runner=never)
    folder = folder_with(tmp_path, METADATA)
    with pytest.raises(ValueError, match="backend must be one of"):
        remeasure.run(folder, backend="numpy", runner=never)
    with pytest.raises(ValueError, match="start must be between 1 and 3"):
        remeasure.run(folder, start=4, runner=never)
    with pytest.raises(ValueError, match=r"no rerunnable figures \['kid'\]"):
        remeasure.run(folder, only=["kid"], runner=never)
    assert cli.main(["remeasure", str(tmp_path / "candidate"), "--dry-run"]) == 2


def test_a_real_command_reads_the_remeasured_folder_not_the_shipped_preset(tmp_path):
    # A tiny DCGAN saved as "dcgan-mnist": `keras-gan-zoo sample dcgan-mnist` run by remeasure must
    # draw its 16x16 images, not the shipped preset's 28x28 digits.
    model = DCGAN(**DCGAN.tiny_config, seed=0)
    model.generate(1, seed=0)
    out = tmp_path / "grid.png"
    model.save_pretrained(tmp_path / "dcgan-mnist", metadata={"metrics": {"grid": {
        "command": f"keras-gan-zoo sample dcgan-mnist --num 2 --columns 2 --out {out}"}}})
    remeasure.run(tmp_path / "dcgan-mnist", runner=subprocess.run, echo=lambda line: None)
    assert np.asarray(Image.open(out)).shape == (16, 32)


def test_commands_run_in_a_scratch_folder_with_the_checkouts_paths_made_absolute(tmp_path):
    # A figure a command writes where it runs (`--out grid.png`) lands in a scratch folder that
    # run names, never in the checkout; a path of the checkout in a command still reads from there.
    step = remeasure.Step(["x"], "keras-gan-zoo evaluate p --baseline recipes/dcgan_mnist.py --out recipes/no.png")
    assert step.argv("py", root=remeasure.REPO_ROOT)[5:] == [
        "--baseline", str(remeasure.REPO_ROOT / "recipes" / "dcgan_mnist.py"), "--out", "recipes/no.png"]
    script = remeasure.Step(["x"], "python recipes/inverting_encoder.py p")
    assert script.argv("py", root=remeasure.REPO_ROOT) == [
        "py", str(remeasure.REPO_ROOT / "recipes" / "inverting_encoder.py"), "p"]
    model = DCGAN(**DCGAN.tiny_config, seed=0)
    model.generate(1, seed=0)
    name = f"grid-{tmp_path.name}.png"
    model.save_pretrained(tmp_path / "dcgan-mnist", metadata={"metrics": {"grid": {
        "command": f"keras-gan-zoo sample dcgan-mnist --num 2 --columns 2 --out {name}"}}})
    lines = []
    remeasure.run(tmp_path / "dcgan-mnist", runner=subprocess.run, echo=lines.append)
    assert not (remeasure.REPO_ROOT / name).exists()
    wrote = [line for line in lines if line.startswith(f"  wrote {name} in ")]
    assert len(wrote) == 1
    scratch = pathlib.Path(wrote[0].split(" in ", 1)[1])
    assert np.asarray(Image.open(scratch / name)).shape == (16, 32)
    shutil.rmtree(scratch)


SHIPPED_METRICS = {
    "score": {"command": "keras-gan-zoo evaluate dcgan-mnist --num 10000", "value": 16.5},
    "spread": {"value": 0.01},  # written by the same command, recorded without one
    "ablation": {"command": "python recipes/a.py and python recipes/b.py side by side", "value": "a beats b"},
    "comparison": "cgan-mnist under the same protocol: 3.75",  # prose on another preset
    "baseline": {"value": 20.0},  # another model's figure, recorded without a command
    "goal": "FID <= 5: not reached (16.5)",
}


def shipped_and_candidate(tmp_path, monkeypatch):
    weights = tmp_path / "weights"
    monkeypatch.setenv("KERAS_GAN_ZOO_WEIGHTS", str(weights))
    DCGAN(**DCGAN.tiny_config, seed=0).save_pretrained(
        weights / "dcgan-mnist", metadata={"metrics": SHIPPED_METRICS, "notes": "old run"})
    candidate = tmp_path / "runs" / "candidate" / "dcgan-mnist"
    DCGAN(**DCGAN.tiny_config, seed=1).save_pretrained(candidate, metadata={"metrics": {
        "score": {"command": "keras-gan-zoo evaluate dcgan-mnist --num 10000", "value": 7.5}}})
    return weights / "dcgan-mnist", candidate


def test_ship_refuses_a_card_that_would_mix_figures_of_two_generators(tmp_path, monkeypatch):
    shipped, candidate = shipped_and_candidate(tmp_path, monkeypatch)
    before = (shipped / "model.weights.h5").read_bytes()
    with pytest.raises(ValueError, match=r"not been measured for \['baseline', 'spread'\].*remeasure"):
        remeasure.ship(candidate, goal="FID <= 5: not reached (7.5)", keep_notes=True, echo=lambda line: None)
    remeasure.presets.update_metadata(candidate, {"metrics": {"spread": {"value": 0.005}}})
    with pytest.raises(ValueError, match=r"not been measured for \['baseline'\]"):
        remeasure.ship(candidate, goal="FID <= 5: not reached (7.5)", keep_notes=True, echo=lambda line: None)
    with pytest.raises(ValueError, match=r"no figures \['baselin'\] to carry"):
        remeasure.ship(candidate, goal="FID <= 5: not reached (7.5)", keep_notes=True, carry=["baselin"])
    with pytest.raises(ValueError, match="goal"):
        remeasure.ship(candidate, keep_notes=True, carry=["baseline"], echo=lambda line: None)
    with pytest.raises(ValueError, match="notes"):
        remeasure.ship(candidate, goal="FID <= 5: not reached (7.5)", carry=["baseline"], echo=lambda line: None)
    assert (shipped / "model.weights.h5").read_bytes() == before
    # The CLI says why, and changes nothing.
    assert cli.main(["ship", str(candidate), "--keep-notes", "--carry", "baseline"]) == 2
    assert (shipped / "model.weights.h5").read_bytes() == before


def test_ship_replaces_the_preset_and_carries_only_the_procedures(tmp_path, monkeypatch):
    shipped, candidate = shipped_and_candidate(tmp_path, monkeypatch)
    remeasure.presets.update_metadata(candidate, {"metrics": {"spread": {"value": 0.005}}})
    lines = []
    assert remeasure.ship(candidate, goal="FID <= 5: not reached (7.5)", keep_notes=True, carry=["baseline"],
                          echo=lines.append) == shipped
    metadata = json.loads((shipped / "metadata.json").read_text())
    assert (shipped / "model.weights.h5").read_bytes() == (candidate / "model.weights.h5").read_bytes()
    assert metadata["metrics"]["score"]["value"] == 7.5 and metadata["metrics"]["spread"]["value"] == 0.005
    for key in ("ablation", "comparison", "baseline"):
        assert metadata["metrics"][key] == SHIPPED_METRICS[key]
    assert metadata["metrics"]["goal"] == "FID <= 5: not reached (7.5)" and metadata["notes"] == "old run"
    assert "old run" in (shipped / "README.md").read_text()  # the card written again, not the candidate's
    assert any("ablation" in line for line in lines)
    assert not list(shipped.parent.glob(".dcgan-mnist.*"))  # nothing left beside it
    loaded = remeasure.presets.load("dcgan-mnist", compile=False)  # by name: the new weights, checksum verified
    for got, want in zip(loaded.get_weights(), remeasure.presets.load(candidate, compile=False).get_weights()):
        np.testing.assert_array_equal(got, want)
