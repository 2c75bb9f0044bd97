"""The one-shot launcher (recipes/gpu_all.py), the training time budget it
relies on (`run_recipe(minutes=)`) and the large-GAN throughput benchmark,
all in their CPU smoke forms."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

import keras_gan_zoo as kgz
from conftest import load_recipe
from keras_gan_zoo import cli, training

REPO = pathlib.Path(__file__).resolve().parent.parent


def _launcher(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "recipes" / "gpu_all.py"), *args],
                          capture_output=True, text=True, env=dict(os.environ), timeout=timeout)


def test_stages_share_the_budget_in_proportion_and_never_get_zero():
    stages = [{"time_limit_minutes": 10}, {"epochs": 3, "time_limit_minutes": 30}]
    assert training._stage_minutes(stages, 0, 600) == pytest.approx(2.5)
    assert training._stage_minutes(stages, 1, 450) == pytest.approx(7.5)  # all that is left
    assert training._stage_minutes([{"epochs": 2}, {"epochs": 6}], 0, 240) == pytest.approx(1.0)
    assert 0 < training._stage_minutes(stages, 1, -5) <= 1e-3  # past the deadline: one batch


def test_a_budget_stops_training_and_is_recorded(tmp_path):
    recipe = cli._find_recipe("dcgan_mnist")
    with pytest.raises(ValueError, match="minutes must be a positive"):
        training.run_recipe(recipe, smoke=True, output_dir=tmp_path / "x", minutes=0)
    out = tmp_path / "preset"
    # 20 epochs of 4 steps would run well past a budget of 0.2 s.
    training.run_recipe(recipe, smoke=True, epochs=20, output_dir=out, run_dir=tmp_path / "run",
                        minutes=0.2 / 60, verbose=0)
    metadata = kgz.from_pretrained(str(out)).preset_metadata["training"]
    assert metadata["stopped_by_time_limit"] is True
    assert metadata["time_limit_minutes"] == pytest.approx(0.2 / 60)
    assert 1 <= metadata["steps"] < 20 * 4


def test_launcher_trains_each_preset_side_by_side_and_summarises(tmp_path):
    out = tmp_path / "gpu-all"
    result = _launcher("run", "--smoke", "--only", "dcgan-mnist", "--minutes", "4", "--reserve", "1",
                       "--out", str(out), "--backend", keras.backend.backend())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    (row,) = summary["presets"]
    assert row["preset"] == "dcgan-mnist" and row["status"] == "finished"
    assert row["steps"] > 0 and row["images_per_s"] > 0 and row["backend"] == keras.backend.backend()
    model = kgz.from_pretrained(str(out / "dcgan-mnist" / "preset"))
    assert model.preset_metadata["training"]["time_limit_minutes"] == pytest.approx(3.0)
    # The command a card shows names the recipe as the repository does, not this machine's path.
    assert "recipes/dcgan_mnist.py" in model.preset_metadata["training"]["command"]
    assert str(REPO) not in model.preset_metadata["training"]["command"]


def test_launcher_continues_only_presets_it_trains(tmp_path):
    result = _launcher("run", "--smoke", "--only", "dcgan-mnist", "--init-from", "cgan-mnist",
                       "--out", str(tmp_path / "gpu-all"), "--backend", keras.backend.backend())
    assert result.returncode != 0
    assert "--init-from: ['cgan-mnist'] are not among the presets this run trains" in result.stderr
    assert not (tmp_path / "gpu-all" / "summary.json").exists()


def test_launcher_stops_what_outlives_the_budget(tmp_path):
    out = tmp_path / "gpu-all"
    # 3 s of budget: the child is still starting when the launcher stops it.
    result = _launcher("run", "--smoke", "--only", "dcgan-mnist", "--minutes", "0.05", "--reserve",
                       "0.01", "--out", str(out), "--backend", keras.backend.backend())
    assert result.returncode == 0, result.stderr[-3000:]
    (row,) = json.loads((out / "summary.json").read_text())["presets"]
    assert row["status"].startswith("stopped at the 0.05-minute budget") and row["steps"] is None
    assert not (out / "dcgan-mnist" / "preset").exists()


def test_launcher_refuses_unknown_presets_and_an_empty_budget(tmp_path):
    launcher = load_recipe("gpu_all.py")
    assert "dcgan-mnist" in launcher.image_presets() and "unmt-en-es-bible" not in launcher.image_presets()
    with pytest.raises(SystemExit, match="are not image presets"):
        launcher.main(["run", "--only", "unmt-en-es-bible", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="leaves nothing to train"):
        launcher.main(["run", "--minutes", "1", "--reserve", "2", "--out", str(tmp_path)])


def test_translation_runs_share_the_budget_with_their_own_folders(tmp_path, monkeypatch):
    """`run --translation` adds the translator and its supervised reference with
    the images' budget, each run folder inside its output folder, the
    settings for both (they stay comparable), the continuation for the
    unsupervised run only."""
    launcher = load_recipe("gpu_all.py")
    parser_args = ["run", "--only", "--translation", "--minutes", "5", "--reserve", "1", "--out", str(tmp_path),
                   "--unmt-set", "warmup.minutes=1", "--init-from", "unmt-en-es-bible"]
    captured = {}
    # (the command lines only: the runs themselves are the smoke tests' and the recipe's)
    monkeypatch.setattr(launcher, "run", lambda args: captured.update(
        jobs=launcher._jobs(args, {}, tmp_path, args.minutes - args.reserve)))
    launcher.main(parser_args)
    jobs = dict(captured["jobs"])
    assert set(jobs) == {"unmt-en-es-bible", "unmt-en-es-bible-supervised"}
    unsupervised, supervised = jobs["unmt-en-es-bible"], jobs["unmt-en-es-bible-supervised"]
    for name, command in jobs.items():
        assert command[1] == "recipes/unmt_en_es_bible.py"
        assert command[command.index("--minutes") + 1] == "4"
        assert command[command.index("--run-dir") + 1] == str(tmp_path / name / "run")
        assert command[command.index("--out") + 1] == str(tmp_path / name / "preset")
    assert "--supervised" in supervised and "--supervised" not in unsupervised
    assert "--set=warmup.minutes=1" in unsupervised and "--set=warmup.minutes=1" in supervised
    assert unsupervised[unsupervised.index("--init-from") + 1] == "unmt-en-es-bible"
    assert "--init-from" not in supervised
    monkeypatch.undo()
    with pytest.raises(SystemExit, match="nothing to train"):
        launcher.main(["run", "--only", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--unmt-set needs --translation"):
        launcher.main(["run", "--only", "dcgan-mnist", "--unmt-set", "noise.drop=0", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="not among the presets this run trains"):
        launcher.main(["run", "--only", "dcgan-mnist", "--init-from", "unmt-en-es-bible", "--out", str(tmp_path)])


def test_large_gan_throughput_smoke(tmp_path):
    backend = keras.backend.backend()
    out = tmp_path / "throughput.json"
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "large_gan_throughput.py"), "--smoke",
                             "--backends", backend, "--parts", "dcgan", "--json", str(out)],
                            capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())["results"][backend]
    assert "error" not in figures, figures
    assert figures["keras_images_per_s"] > 0 and figures["native_images_per_s"] > 0
    if backend == "torch":  # the hand-written PyTorch loop is the yardstick
        assert figures["keras_vs_pytorch_loop"] == pytest.approx(
            figures["keras_images_per_s"] / figures["native_images_per_s"], rel=1e-2)
