import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from keras_gan_zoo import cli, presets


def test_image_grid():
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2, 1)
    grid = cli.image_grid(images, columns=3)
    assert grid.shape == (4, 6, 1)
    np.testing.assert_array_equal(grid[2:4, 0:2], images[3])
    assert grid[2:4, 4:6].max() == 0  # the empty cell


def test_list_shows_shipped_presets(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in presets.list_presets():
        assert name in out


def test_sample_writes_a_grid_png(tmp_path):
    out = tmp_path / "grid.png"
    assert cli.main(["sample", "dcgan-mnist", "--num", "6", "--seed", "1", "--columns", "3", "--out", str(out)]) == 0
    image = np.asarray(Image.open(out))
    assert image.shape == (56, 84)
    assert image.std() > 20


def test_errors_exit_with_status_2(capsys, tmp_path):
    assert cli.main(["sample", "no-such-preset", "--out", str(tmp_path / "x.png")]) == 2
    assert "Unknown preset 'no-such-preset'" in capsys.readouterr().err


def test_train_smoke_through_the_cli_writes_a_preset(tmp_path):
    # In mixed precision: the run records its policy and loss scale, and the
    # preset it writes loads in float32 like any other.
    import keras

    import keras_gan_zoo as kgz

    out = tmp_path / "preset"
    assert cli.main(["train", "dcgan_mnist", "--smoke", "--out", str(out),
                     "--precision", "mixed_float16"]) == 0
    assert keras.config.dtype_policy().name == "float32"
    model = kgz.from_pretrained(str(out))
    training = model.preset_metadata["training"]
    assert model.width == 8 and training["smoke"] is True and training["train_images"] == 256
    assert training["precision"] == "mixed_float16" and training["loss_scale"] == 1024
    assert model.dtype_policy.name == model.generator.dtype_policy.name == "float32"
    with pytest.raises(SystemExit):
        cli.main(["train", "dcgan_mnist", "--smoke", "--precision", "float8"])


def test_unknown_recipe():
    with pytest.raises(SystemExit, match="Unknown recipe 'nope'.*dcgan_mnist") as error:
        cli.main(["train", "nope"])
    assert "gpu_all" not in str(error.value) and "classifiers" not in str(error.value)  # scripts
    with pytest.raises(SystemExit, match="classifiers.py defines no RECIPE: it is a script"):
        cli.main(["train", "classifiers"])


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "keras_gan_zoo", "list"], capture_output=True,
                            text=True, env=dict(os.environ), timeout=300)
    assert result.returncode == 0 and "dcgan-mnist" in result.stdout


def test_model_cards_file_is_up_to_date():
    path = presets.weights_dir().parent / "MODEL_CARDS.md"
    assert path.read_text() == presets.render_model_cards_file(), "run: keras-gan-zoo cards"


@pytest.mark.parametrize("name", presets.list_presets())
def test_each_shipped_card_says_what_its_metadata_holds(name):
    from keras_gan_zoo import cards

    folder = presets.preset_dir(name)
    config = presets.read_json(folder / presets.CONFIG_FILE, "config")
    metadata = presets.read_json(folder / presets.METADATA_FILE, "metadata")
    assert (folder / presets.CARD_FILE).read_text() == cards.render_model_card(config, metadata), \
        "run: keras-gan-zoo cards"


def test_card_says_how_many_of_the_planned_epochs_a_stopped_run_made():
    from keras_gan_zoo.cards import epochs_run

    assert epochs_run({"epochs": 20, "epochs_run": 20}) == "20"
    assert epochs_run({"epochs": 1000, "epochs_run": 70}) == "70 of 1000"
    # Older metadata: whole epochs from the steps (ceil(60000 / 64) = 938 steps each).
    stopped = {"epochs": 1000, "stopped_by_time_limit": True, "steps": 66066, "batch_size": 64,
               "train_images": 60000}
    assert epochs_run(stopped) == "70 of 1000"
    assert epochs_run({**stopped, "stopped_by_time_limit": False}) == "1000"
    assert epochs_run({"epochs_run": 12}) == "12"


def test_card_names_the_earlier_weights_a_kept_figure_was_measured_on():
    from keras_gan_zoo.cards import command_line

    record = {"command": "keras-gan-zoo detection p", "backend": "jax", "device": "GPU", "wall_time_s": 68}
    assert command_line(record) == "Command: `keras-gan-zoo detection p`; backend jax, GPU, 68 s."
    assert command_line({**record, "weights": "the 10-step weights"}) == (
        "Command: `keras-gan-zoo detection p`; backend jax, GPU, 68 s, **measured on the 10-step "
        "weights, not on the shipped weights**.")


def test_sample_of_a_translation_preset_shows_inputs_over_outputs(tmp_path, monkeypatch):
    import keras_gan_zoo as kgz
    from keras_gan_zoo import datasets

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    monkeypatch.setitem(datasets.LOADERS, "toy_pairs", lambda: ((x, x), (x, x)))
    model = kgz.Pix2Pix(image_size=16, width=4, max_width=8, d_layers=2)
    folder = model.save_pretrained(tmp_path / "p2p", metadata={"training": {"dataset": "toy_pairs"}})
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(folder), "--num", "5", "--columns", "4", "--out", str(out)]) == 0
    grid = np.asarray(Image.open(out))
    assert grid.shape == (4 * 16, 4 * 16, 3)  # 2 rows of inputs, each over its outputs
    np.testing.assert_array_equal(grid[:16, :16], x[0])
    np.testing.assert_array_equal(grid[16:32, :16], model.translate(x[:1])[0])
    np.testing.assert_array_equal(grid[32:48, :16], x[4])


def test_sample_with_truncation(tmp_path, capsys):
    import keras_gan_zoo as kgz

    folder = kgz.StyleGAN(latent_dim=8, w_dim=8, image_size=8, width=8, mapping_layers=2,
                          seed=0).save_pretrained(tmp_path / "style")
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(folder), "--num", "4", "--truncation", "0.5", "--out", str(out)]) == 0
    assert "truncation_psi=0.5" in capsys.readouterr().out and np.asarray(Image.open(out)).shape == (16, 16)
    assert cli.main(["sample", "dcgan-mnist", "--truncation", "0.5", "--out", str(out)]) == 2
    assert "has no truncation trick" in capsys.readouterr().err


def test_sample_translates_your_own_images_from_files_and_folders(tmp_path, monkeypatch):
    """`sample --input`: an image-to-image preset translates the given files
    and folders (loaded at its size) instead of its held-out inputs, and a
    missing path is a clear error."""
    import keras_gan_zoo as kgz
    from keras_gan_zoo import datasets

    monkeypatch.setitem(datasets.LOADERS, "toy_pairs", lambda: pytest.fail("the held-out set was loaded"))
    rng = np.random.default_rng(0)
    mine = tmp_path / "mine"
    mine.mkdir()
    pictures = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)  # twice the model's size
    for i, picture in enumerate(pictures):
        Image.fromarray(picture).save(mine / f"{i}.png")
    model = kgz.Pix2Pix(image_size=16, width=4, max_width=8, d_layers=2)
    folder = model.save_pretrained(tmp_path / "p2p", metadata={"training": {"dataset": "toy_pairs"}})
    out = tmp_path / "new" / "grid.png"  # its folder is made
    assert cli.main(["sample", str(folder), "--input", str(mine), "--input", str(mine / "0.png"),
                     "--out", str(out)]) == 0
    grid = np.asarray(Image.open(out))
    inputs = datasets.load_images([mine, mine / "0.png"], image_size=16)
    assert inputs.shape == (4, 16, 16, 3) and grid.shape == (2 * 16, 4 * 16, 3)  # one row of 4 over its outputs
    np.testing.assert_array_equal(grid[:16, 48:], inputs[3])
    np.testing.assert_array_equal(grid[16:, :16], model.translate(inputs[:1])[0])
    assert cli.main(["sample", str(folder), "--input", str(tmp_path / "nope"), "--out", str(out)]) == 2
    # in Python, pathlib paths are paths too (not an array of images)
    shown = model.showcase(inputs=[mine / "1.png", mine / "2.png"], columns=2)
    assert shown.summary.startswith("2 given")
    np.testing.assert_array_equal(shown.images[0], inputs[1])


def test_sample_draws_the_classes_you_name(tmp_path, capsys):
    """`sample --label`: class numbers or the data set's class names, a row of
    --num samples per class; a family without classes names its own options."""
    import keras_gan_zoo as kgz
    from keras_gan_zoo import datasets

    assert datasets.class_labels("fashion_mnist", ["Sneaker", "7", 0, "ankle boot"]).tolist() == [7, 7, 0, 9]
    with pytest.raises(ValueError, match="unknown class 'shoe' for data set 'fashion_mnist': use one of"):
        datasets.class_labels("fashion_mnist", ["shoe"])
    model = kgz.ConditionalGAN(**{**kgz.ConditionalGAN.tiny_config, "num_classes": 10}, seed=0)
    folder = model.save_pretrained(tmp_path / "cgan", metadata={"training": {"dataset": "fashion_mnist"}})
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(folder), "--label", "bag", "--label", "1", "--num", "3", "--out", str(out)]) == 0
    assert "3 samples of each of classes [8, 1]" in capsys.readouterr().out
    size = model.image_size
    grid = np.asarray(Image.open(out))
    assert grid.shape[:2] == (2 * size, 3 * size)
    expected = model.generate(labels=[8, 8, 8, 1, 1, 1], seed=0)
    np.testing.assert_array_equal(grid[size:, :size].reshape(expected[3].shape), expected[3])
    # With --resample too: each image its class's pick of 2 candidates.
    assert cli.main(["sample", str(folder), "--label", "bag", "--num", "2", "--resample", "2", "--out", str(out)]) == 0
    picked = np.asarray(Image.open(out))
    assert "Wrote 2 samples" in capsys.readouterr().out and picked.shape[:2] == (size, 2 * size)
    from keras_gan_zoo import sampling
    bags = sampling.discriminator_resample(model, 2, seed=0, candidates=2, labels=[8, 8], progress=False)
    np.testing.assert_array_equal(picked.reshape(size, 2, size, -1).transpose(1, 0, 2, 3), bags)
    assert cli.main(["sample", str(folder), "--label", "11", "--out", str(out)]) == 2
    assert "labels must be in [0, 9]" in capsys.readouterr().err
    assert cli.main(["sample", "dcgan-mnist", "--label", "3", "--out", str(out)]) == 2
    assert "dcgan-mnist is a DCGAN, which takes no --label when sampling" in capsys.readouterr().err
