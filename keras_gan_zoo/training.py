"""Runs the recipes in `recipes/`: train, evaluate, write the preset.

A recipe is a dict (see `recipes/dcgan_mnist.py`); `run_recipe` trains it
from scratch with one command and records device, backend, wall time and
metrics in the preset's metadata and model card.
"""

import argparse
import copy
import json
import os
import pathlib
import sys
import time

import keras

from keras_gan_zoo import datasets, gradients

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

# A smoke run: the same code path on a few images with a tiny network.
SMOKE = {"train_images": 256, "epochs": 1, "model": {"width": 8}, "fid_images": 0}


def _model_class(name):
    from keras_gan_zoo import models

    return getattr(models, name)


def run_recipe(recipe, smoke=False, output_dir=None, epochs=None, fid_images=None,
               run_dir=None, verbose=2):
    """Trains `recipe` and writes its preset folder.

    Args:
        recipe: the recipe dict.
        smoke: run the same pipeline on 256 images, 1 epoch, tiny width.
        output_dir: preset folder (default `weights/<preset>`, or a `runs/`
            folder for smoke runs).
        epochs: override the recipe's epoch count.
        fid_images: override the number of generated images for FID
            (0 skips evaluation).
        run_dir: where backups and logs go (default `runs/<preset>`).

    Returns:
        The trained model.
    """
    recipe = copy.deepcopy(recipe)
    if smoke:
        recipe["epochs"] = SMOKE["epochs"]
        recipe["model"].update(SMOKE["model"])
        recipe["train_images"] = SMOKE["train_images"]
        recipe["fid_images"] = SMOKE["fid_images"]
    if epochs is not None:
        recipe["epochs"] = int(epochs)
    if fid_images is not None:
        recipe["fid_images"] = int(fid_images)
    name = recipe["preset"]
    run_dir = pathlib.Path(run_dir or REPO_ROOT / "runs" / (name + ("-smoke" if smoke else "")))
    run_dir.mkdir(parents=True, exist_ok=True)
    if output_dir is None:
        output_dir = run_dir / "preset" if smoke else REPO_ROOT / "weights" / name
    output_dir = pathlib.Path(output_dir)

    keras.utils.set_random_seed(recipe.get("seed", 0))
    (x_train, _), _ = datasets.load(recipe["dataset"])
    if recipe.get("train_images"):
        x_train = x_train[: recipe["train_images"]]
    model = _model_class(recipe["model_class"])(seed=recipe.get("seed", 0), **recipe["model"])
    opt = recipe["optimizer"]
    model.compile(
        loss=recipe["loss"],
        d_optimizer=keras.optimizers.Adam(opt["d_learning_rate"], beta_1=opt["beta_1"], beta_2=opt["beta_2"]),
        g_optimizer=keras.optimizers.Adam(opt["g_learning_rate"], beta_1=opt["beta_1"], beta_2=opt["beta_2"]),
    )
    callbacks = [
        keras.callbacks.BackupAndRestore(str(run_dir / "backup")),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
    ]
    start = time.time()
    model.fit(x_train, batch_size=recipe["batch_size"], epochs=recipe["epochs"],
              shuffle=True, callbacks=callbacks, verbose=verbose)
    wall = time.time() - start
    # Raw weights first, so a packaging error never loses a finished run.
    model.save_weights(str(run_dir / "final.weights.h5"))
    command = "python " + " ".join([f"recipes/{recipe['recipe_file']}"] + sys.argv[1:])
    metadata = {
        "preset": name,
        "training": {
            "recipe": f"recipes/{recipe['recipe_file']}",
            "command": command,
            "dataset": recipe["dataset"],
            "train_images": int(len(x_train)),
            "epochs": recipe["epochs"],
            "batch_size": recipe["batch_size"],
            "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
            "loss": recipe["loss"],
            "optimizer": recipe["optimizer"],
            "backend": keras.backend.backend(),
            "device": gradients.device_description(),
            "wall_time_s": round(wall, 1),
            "smoke": bool(smoke),
        },
        "metrics": {},
    }
    model.save_pretrained(output_dir, metadata=metadata)
    print(f"Saved preset to {output_dir} ({wall:.0f} s of training)")
    if recipe.get("fid_images"):
        from keras_gan_zoo import evaluation

        evaluation.evaluate_preset(output_dir, num_images=recipe["fid_images"])
    return model


def main(recipe, argv=None):
    parser = argparse.ArgumentParser(description=f"Train the {recipe['preset']} preset.")
    parser.add_argument("--smoke", action="store_true", help="tiny, fast run of the same pipeline")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--fid-images", type=int, default=None, help="0 skips FID")
    parser.add_argument("--out", default=None, help="preset folder to write")
    parser.add_argument("--run-dir", default=None, help="folder for backups and logs")
    args = parser.parse_args(argv)
    run_recipe(recipe, smoke=args.smoke, output_dir=args.out, epochs=args.epochs,
               fid_images=args.fid_images, run_dir=args.run_dir)
