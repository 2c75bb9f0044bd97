"""Runs the recipes in `recipes/`: train, evaluate, write the preset.

A recipe is a dict (see `recipes/dcgan_mnist.py`); `run_recipe` trains it
from scratch with one command and records device, backend, wall time and
metrics in the preset's metadata and model card.
"""

import argparse
import contextlib
import copy
import importlib.util
import inspect
import json
import math
import pathlib
import sys
import time
import warnings

import keras
import numpy as np
from PIL import Image

from keras_gan_zoo import (checkpoint, datasets, evaluation, gradients, presets, registry, tasks,
                           validation)

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

# A smoke run: the same code path on a few images with a tiny network.
SMOKE = {"train_images": 256, "epochs": 1, "model": {"width": 8}, "fid_images": 0}

# The dtype policies a recipe trains under (Keras names): float32, or the
# networks computing in bfloat16 / float16 with float32 weights and losses.
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def precision_policy(policy):
    """Models built inside compute under the dtype policy `policy` (one of
    `PRECISIONS`); the global policy before is restored on exit.

    Under "mixed_float16" the model's `compile` scales the losses (see
    `AdversarialModel.compile`). Weights stay float32, so a preset trained
    this way loads and samples like any other.

    Example:

    >>> with training.precision_policy("mixed_bfloat16"):
    ...     model = kgz.DCGAN(latent_dim=100)
    ...     model.compile()
    >>> model.fit(images, epochs=5)
    """
    if policy not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {policy!r}")
    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


class TimeLimit(keras.callbacks.Callback):
    """Stops training after `minutes` of wall time (at the end of a batch),
    so a recipe fits a compute budget; the run records where it stopped."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds = 60.0 * float(minutes)
        self.start = None
        self.stopped_at_epoch = None

    def on_train_begin(self, logs=None):
        self.start = time.time()

    def on_train_batch_end(self, batch, logs=None):
        # Processes training together stop at the same batch (or they would wait on each other).
        if gradients.any_replica(time.time() - self.start > self.seconds) and not self.model.stop_training:
            self.model.stop_training = True
            self.stopped_at_epoch = self.epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


class RunClock(keras.callbacks.Callback):
    """Adds each epoch's wall time to a JSON file (`{phase: seconds}`), so a
    run resumed over several sittings knows its whole training time, and a
    time limit can count the sittings before.

    Example:

    >>> clock = RunClock("runs/my-run/clock.json", phase="train")
    >>> model.fit(data, epochs=10, callbacks=[clock])
    >>> RunClock.read("runs/my-run/clock.json")    # {"train": 612.4}
    """

    def __init__(self, path, phase="train"):
        super().__init__()
        self.path, self.phase = pathlib.Path(path), str(phase)
        self.spent = self.read(path)

    @staticmethod
    def read(path):
        """`{phase: seconds}` recorded so far ({} before the first epoch)."""
        path = pathlib.Path(path)
        return json.loads(path.read_text()) if path.exists() else {}

    def on_epoch_begin(self, epoch, logs=None):
        self.tick = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.spent[self.phase] = round(self.spent.get(self.phase, 0.0) + time.time() - self.tick, 1)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.spent))


class ProgressBar(keras.callbacks.Callback):
    """A tqdm bar over each epoch's batches, with the players' losses, for
    `fit(..., verbose=2)`: Keras then prints one line per epoch and nothing
    in between, which leaves a long epoch (minutes on a CPU) silent. The bar
    redraws at most every `mininterval` seconds, so a log file stays small.

    Example:

    >>> model.fit(images, epochs=5, verbose=2, callbacks=[training.ProgressBar()])
    """

    def __init__(self, mininterval=5.0, file=None):
        super().__init__()
        self.mininterval, self.file, self.bar = float(mininterval), file, None

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm.auto import tqdm

        epochs = self.params.get("epochs")
        self.bar = tqdm(total=self.params.get("steps"), desc=f"epoch {epoch + 1}/{epochs}", unit="step",
                        mininterval=self.mininterval, file=self.file or sys.stderr, leave=False)

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is None:
            return
        self.bar.update(1)
        losses = {k: v for k, v in (logs or {}).items() if k.endswith("loss")}
        if losses and self.bar.n % 10 == 1:  # reading the losses may wait for the device
            self.bar.set_postfix({k: f"{float(v):.3f}" for k, v in losses.items()}, refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_train_end(self, logs=None):
        # Keras ends each epoch it starts; this closes a bar whose epoch did not end.
        self.on_epoch_end(None)


class TrainingDiverged(FloatingPointError):
    """A player's loss became NaN or infinite (raised by `DivergenceGuard`)."""


class DivergenceGuard(keras.callbacks.Callback):
    """Stops `fit` at the first batch whose loss is NaN or infinite, with an
    error that names the player, the epoch and the batch.

    Raising (rather than stopping quietly, as `keras.callbacks.TerminateOnNaN`
    does) means nothing after `fit` runs on diverged weights: a recipe
    writes no preset from them, and `BackupAndRestore`, which saves at the
    end of an epoch, keeps the last good epoch on disk to resume from.

    Example:

    >>> model.fit(images, epochs=10, callbacks=[DivergenceGuard()])
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {name: float(value) for name, value in (logs or {}).items()
               if name.endswith("loss") and not math.isfinite(float(value))}
        # Processes training together stop together (the others would wait on this one).
        if gradients.any_replica(bool(bad)):
            bad = bad or {"other_process_loss": float("nan")}
            players = ", ".join(f"{name[:-len('_loss')] or name} ({name} = {value})"
                                for name, value in bad.items())
            raise TrainingDiverged(
                f"Training diverged at epoch {getattr(self, 'epoch', 0) + 1}, batch {batch + 1}: the "
                f"loss of {players} is not finite. The weights in memory are no longer usable; a "
                "recipe's run folder keeps the last good epoch (run the recipe again to resume from "
                "it). Lower the learning rates, check the data's range, or use a loss with a "
                "gradient penalty.")


class SampleGrid(keras.callbacks.Callback):
    """Writes what the model draws every `every` training steps, at the
    start and at the end of training: `directory/step-0000500.png` (the
    family's showcase, the same `seed` every time so the frames compare),
    or a `.txt` for text families. With `tensorboard=True` it also logs
    the losses, the grid and a quick collapse check (the RMS pixel distance
    between pairs of samples, on [0, 1]; it falls toward 0 as samples
    become alike) to TensorBoard event files in `directory` (TensorFlow's
    summary writer, whichever Keras backend trains).

    Args:
        directory: where the files go (created).
        every: steps between frames (the first optimizer's step count, so
            a resumed run keeps numbering).
        num: samples per frame.
        seed: the samples' seed.
        tensorboard: also write TensorBoard events.

    Example:

    >>> model.fit(images, epochs=20, callbacks=[SampleGrid("runs/mine", every=500)])
    """

    def __init__(self, directory, every=500, num=16, seed=0, tensorboard=False):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.every = validation.check_count(every, "every")
        self.num, self.seed, self.tensorboard = num, seed, bool(tensorboard)
        self.written = []
        self._writer = None

    def _optimizer_step(self):
        optimizers = getattr(self.model, "player_optimizers", None) or {}
        first = next(iter(optimizers.values()), None) or self.model.optimizer
        return int(keras.ops.convert_to_numpy(first.iterations))

    def on_train_begin(self, logs=None):
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.tensorboard:
            if not all(importlib.util.find_spec(name) for name in ("tensorflow", "tensorboard")):
                raise ValueError("SampleGrid(tensorboard=True) needs TensorFlow and TensorBoard: "
                                 "pip install 'keras-gan-zoo[tensorboard]', or pass tensorboard=False")
            import tensorflow as tf  # optional: only for TensorBoard events

            self._writer = tf.summary.create_file_writer(str(self.directory))
        self.step = self._optimizer_step()
        self.write(self.step, logs)

    def on_train_batch_end(self, batch, logs=None):
        # Counted here: reading `self.model` makes Keras copy JAX's training
        # state back into the model, which is worth it only for a frame.
        self.step += 1
        if self.step % self.every == 0:
            self.write(self.step, logs)

    def on_train_end(self, logs=None):
        if self.step not in self.written:
            self.write(self.step, logs)
        if self._writer is not None:
            self._writer.flush()

    def write(self, step, logs=None):
        """Writes the frame of `step` from the current weights (on JAX, Keras
        syncs them into the model when a callback reads `self.model`) and
        returns its path."""
        show = self.model.showcase(num=self.num, seed=self.seed)
        self.written.append(step)
        if show.images is None:
            path = self.directory / f"step-{step:07d}.txt"
            path.write_text("\n".join(show.lines) + "\n")
            return path
        path = self.directory / f"step-{step:07d}.png"
        grid = tasks.image_grid(show.images, show.columns)
        Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
        if self._writer is not None:
            import tensorflow as tf

            flat = show.images.reshape(len(show.images), -1).astype("float32") / 255.0
            pairs = np.sqrt(np.mean(np.square(flat[:, None] - flat[None]), axis=-1))
            spread = float(pairs[np.triu_indices(len(flat), 1)].mean()) if len(flat) > 1 else 0.0
            with self._writer.as_default(step=step):
                for name, value in (logs or {}).items():
                    tf.summary.scalar(f"losses/{name}", float(value))
                tf.summary.scalar("samples/pairwise_rms_distance", spread)
                tf.summary.image("samples", grid[None])
        return path


class LinearDecay(keras.callbacks.Callback):
    """Holds every player's learning rate for `start_epoch` epochs, then
    lowers it linearly, epoch by epoch, toward zero at epoch `epochs`
    (CycleGAN's schedule: Zhu et al. 2017, section 4; 100 + 100 epochs there).

    Set per epoch from the epoch number alone, so a run that
    `BackupAndRestore` resumes continues the same schedule.

    Args:
        learning_rates: `{player: learning rate}` as compiled (e.g.
            `{"g": 2e-4, "d": 2e-4}`), the rates of the constant phase.
        start_epoch: epochs at the full rate.
        epochs: the epoch at whose end the rate reaches zero.

    Example:

    >>> decay = LinearDecay({"g": 2e-4, "d": 2e-4}, start_epoch=10, epochs=20)
    >>> model.fit(images, epochs=20, callbacks=[decay])
    """

    def __init__(self, learning_rates, start_epoch, epochs):
        super().__init__()
        if not 0 <= int(start_epoch) < int(epochs):
            raise ValueError(f"LinearDecay needs 0 <= start_epoch < epochs; got start_epoch="
                             f"{start_epoch}, epochs={epochs}")
        self.learning_rates = dict(learning_rates)
        self.start_epoch, self.epochs = int(start_epoch), int(epochs)

    def factor(self, epoch):
        """The multiplier of the base rates during (0-based) `epoch`."""
        done = max(0, epoch - self.start_epoch)
        return max(0.0, 1.0 - done / (self.epochs - self.start_epoch))

    def on_epoch_begin(self, epoch, logs=None):
        unknown = set(self.learning_rates) - set(self.model.player_optimizers)
        if unknown:
            raise ValueError(f"LinearDecay has rates for {sorted(unknown)}, which this model does "
                             f"not have; its optimizers are {sorted(self.model.player_optimizers)}")
        for name, rate in self.learning_rates.items():
            self.model.player_optimizers[name].learning_rate.assign(rate * self.factor(epoch))


def variant(recipe, model=None, **updates):
    """A copy of `recipe` with `updates` and the `model` arguments overridden:
    how a recipe builds on another (same network on another data set, or a
    baseline of it), so the shared settings live in one place."""
    derived = copy.deepcopy(recipe)
    derived["model"].update(model or {})
    derived.update(updates)
    return derived


def _model_class(name):
    cls = registry.family_class(name)
    if cls is None:
        raise ValueError(f"The recipe names model class {name!r}; registered families: "
                         f"{sorted(registry.families())}")
    return cls


def build_model(recipe):
    """The recipe's model, compiled with its loss and Adam optimizers."""
    model = _model_class(recipe["model_class"])(seed=recipe.get("seed", 0), **recipe["model"])
    compile_model(model, recipe)
    return model


def compile_model(model, recipe, **extra):
    """Compiles `model` with the recipe's loss and fresh Adam optimizers
    (`extra`: more compile arguments, such as StackGAN's `stage=`)."""
    opt = recipe["optimizer"]
    model.compile(
        loss=recipe["loss"],
        augment=recipe.get("augment"),
        **extra,
        **{
            f"{player}_optimizer": keras.optimizers.Adam(
                opt[f"{player}_learning_rate"], beta_1=opt["beta_1"], beta_2=opt["beta_2"]
            )
            for player in model.optimizer_names
        },
    )


def _training_data(recipe):
    """`(x, targets)` for `fit`: the recipe's training set, cut to
    `train_images`; "fit_targets" means fit(x, y) with the set's second
    array (class labels, paired target images, the second domain or
    captions), otherwise fit(x)."""
    (x_train, y_train), _ = datasets.load(recipe["dataset"], **recipe.get("dataset_args", {}))
    if recipe.get("train_images"):
        x_train, y_train = x_train[: recipe["train_images"]], y_train[: recipe["train_images"]]
    return x_train, (y_train if recipe.get("fit_targets") else None)


def run_recipe(recipe, smoke=False, output_dir=None, epochs=None, fid_images=None,
               run_dir=None, from_stage=None, verbose=2, precision="float32", steps=None,
               checkpoint_every=None, devices=1, minutes=None, init_from=None):
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
        from_stage: for a recipe with "stages", start at this stage from the
            weights and log that an earlier run of the recipe left in
            `run_dir` when it finished the stage before (a stage that ends
            writes `after-stage<N>.weights.h5` and `stages.json` there).
        precision: a dtype policy of `PRECISIONS`. A mixed-precision run is
            not the recipe's own: it goes to `runs/<preset>-<policy>/` and
            writes its preset there, never over the shipped one.
        steps: train for this many steps (batches) instead of the recipe's
            epochs, with exact resume: see `checkpoint_every`.
        checkpoint_every: with this (or `steps`), the run writes its whole
            training state to `run_dir/checkpoint.npz` every
            `checkpoint_every` steps (default: once per pass over the data)
            and, started again with the same `run_dir`, continues from it
            with the same batches and random draws, so it ends where an
            uninterrupted run would (`keras_gan_zoo.checkpoint`). Not for
            recipes with stages (they resume by stage, `from_stage`).
        devices: train data-parallel over this many devices (JAX; see
            `gradients.data_parallel`); the recipe's batch size is the global
            batch and must divide by it. On PyTorch, start the run with
            `torchrun --nproc_per_node N` instead: each process then trains
            on its share of every batch, stepped (as with `steps`), and rank
            0 alone writes the checkpoints, logs and preset.
        minutes: a wall-clock budget for the training, in place of the
            recipe's own time limits: it stops at the end of the recipe's
            epochs or when the budget is spent, whichever comes first. The
            stages of a staged recipe share it in proportion to their own
            time limits (or epochs), and a stage that ends early leaves its
            time to the ones after it.
        init_from: a preset name, folder or `hf://org/repo` of the same
            model class and network configuration: training starts from its
            weights (both players, the moving-average generator and the
            augmentation state) instead of from scratch, with fresh
            optimizers and no moving-average warm-up. For more steps on a
            shipped preset, or fine-tuning it on another data set of the
            same shape. The preset's own training (steps, wall time,
            command) is recorded under `training.continued_from`. A stepped
            run that resumes from its checkpoint ignores its weights (the
            checkpoint holds the later state) and keeps the record of the
            preset it started from (the checkpoint holds it too), even if
            the name now gives other weights.

    Example:

    >>> from recipes.dcgan_mnist import RECIPE
    >>> run_recipe(RECIPE, smoke=True, steps=6, checkpoint_every=2, run_dir="runs/try")

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
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    if minutes is not None and not float(minutes) > 0:
        raise ValueError(f"minutes must be a positive number of minutes; got {minutes!r}")
    if (steps is not None or checkpoint_every is not None) and recipe.get("stages"):
        raise ValueError(f"{recipe['preset']} trains in stages, which resume by stage (from_stage); "
                         "steps and checkpoint_every are for single-stage recipes.")
    name = recipe["preset"]
    mixed = precision != "float32"
    run_dir = pathlib.Path(run_dir or REPO_ROOT / "runs" / (
        name + ("-smoke" if smoke else "") + (f"-{precision}" if mixed else "")))
    run_dir.mkdir(parents=True, exist_ok=True)
    if output_dir is None:
        # Baselines ("ship": False) stay in runs/; they are measured, not shipped.
        shipped = not smoke and not mixed and recipe.get("ship", True)
        output_dir = REPO_ROOT / "weights" / name if shipped else run_dir / "preset"
    output_dir = pathlib.Path(output_dir)

    keras.utils.set_random_seed(recipe.get("seed", 0))
    # The networks build (and ProGAN's levels compile) under the policy; the
    # evaluation after training loads the preset in float32.
    batches = [recipe["batch_size"]] + [s["batch_size"] for s in recipe.get("stages") or [] if "batch_size" in s]
    if devices and devices > 1 and any(b % devices for b in batches):
        raise ValueError(f"The batch sizes {batches} of {name} do not split over {devices} devices; "
                         "use a device count that divides them.")
    with precision_policy(precision), gradients.data_parallel(devices) as layout:
        rank, processes = gradients.replica()
        if processes > 1:
            # Processes under torchrun (PyTorch): they stay in step through
            # the stepped loop (StepBatches shards each batch; rank 0 alone
            # writes checkpoints, logs and the preset).
            if recipe.get("stages"):
                raise ValueError(f"{name} trains in stages; training over several PyTorch processes "
                                 "covers single-stage recipes. Use one process, or JAX's --devices.")
            if any(b % processes for b in batches):
                raise ValueError(f"The batch sizes {batches} of {name} do not split over {processes} "
                                 "processes; use a process count that divides them.")
        model = _train(recipe, smoke, output_dir, epochs, run_dir, from_stage, verbose, precision,
                       steps, checkpoint_every, layout, minutes, init_from)
    if rank:  # the other processes of a data-parallel run leave the writing to rank 0
        return model
    if recipe.get("fid_images"):
        evaluation.evaluate_preset(output_dir, num_images=recipe["fid_images"])
    return model


def _stage_minutes(stages, index, seconds_left):
    """Stage `index`'s share of a budget of `seconds_left`, in minutes: in
    proportion to its time limit (or epochs) among the stages still to run."""
    weight = lambda stage: stage.get("time_limit_minutes") or stage.get("epochs") or 1
    later = [weight(stage) for stage in stages[index:]]
    # (never 0: a stage that starts with no time left stops after one batch)
    return max(max(seconds_left, 0.0) / 60.0 * later[0] / sum(later), 1e-3)


def _train(recipe, smoke, output_dir, epochs, run_dir, from_stage, verbose, precision, steps,
           checkpoint_every, layout, minutes=None, init_from=None):
    """run_recipe's training and preset writing (see there)."""
    name = recipe["preset"]
    model = build_model(recipe)
    continued_from = load_initial_weights(model, init_from) if init_from is not None else None
    # "stages": fits one after the other (StackGAN's stage I, then II), each
    # overriding dataset_args / epochs / batch_size / time limit and
    # compiling the model for its "stage".
    stages = recipe.get("stages") or [{}]
    stage_log, stages = _resume_stages(model, stages, run_dir, from_stage)
    rank, processes = gradients.replica()
    if rank:
        verbose = 0
    fixed_epochs = smoke or epochs is not None  # overrides every stage's epochs
    start = time.time() - sum(entry["wall_time_s"] for entry in stage_log)
    deadline = time.time() + 60.0 * float(minutes) if minutes else None
    for index, overrides in enumerate(stages):
        part = {**recipe, **overrides}
        if deadline is not None:  # the run's budget replaces the recipe's limits
            part["time_limit_minutes"] = _stage_minutes(
                [{**recipe, **stage} for stage in stages], index, deadline - time.time())
        if "stage" in overrides:
            # A stage compiles with its "compile" arguments (ProGAN's level and
            # fade-in), or by default with its number (StackGAN's stage), and
            # with its own augment where it sets one.
            compile_model(model, part, **overrides.get("compile", {"stage": overrides["stage"]}))
        x_train, targets = _training_data(part)
        stage_epochs = recipe["epochs"] if fixed_epochs else part["epochs"]
        suffix = f"-stage{overrides['stage']}" if "stage" in overrides else ""
        callbacks = [DivergenceGuard()] + ([] if rank else [
            keras.callbacks.CSVLogger(str(run_dir / f"history{suffix}.csv"), append=True)]) + (
            [ProgressBar()] if verbose == 2 else [])
        stepped = steps is not None or checkpoint_every is not None or processes > 1
        earlier = 0.0  # seconds of this stage's epochs in the sittings before (epoch-resumed stages)
        if stepped:
            plan = _step_plan(x_train, part, stage_epochs, steps, checkpoint_every, run_dir)
        else:
            # The clock adds up the stage's epochs over the sittings that resume it
            # from its backup; a stage that starts afresh (no backup) starts it at 0.
            backup, clock = run_dir / f"backup{suffix}", run_dir / f"clock{suffix}.json"
            if not backup.exists():
                clock.unlink(missing_ok=True)
            earlier = RunClock.read(clock).get("train", 0.0)
            # double_checkpoint: a backup torn by a kill mid-write falls back to the one before.
            callbacks += [RunClock(clock), keras.callbacks.BackupAndRestore(str(backup), double_checkpoint=True)]
        decay = None
        if part.get("lr_decay_start_epoch") is not None:
            # "lr_decay_start_epoch": full rates until then, linearly to 0 at
            # the last epoch (in a stepped run, at the same fraction of its steps).
            opt = recipe["optimizer"]
            rates = {n: opt[f"{n}_learning_rate"] for n in model.optimizer_names}
            start_epoch, end_epoch = part["lr_decay_start_epoch"], stage_epochs
            if stepped:
                start_epoch, end_epoch = (round(start_epoch / stage_epochs * plan["intervals"]),
                                          plan["intervals"])
            start_epoch = min(start_epoch, end_epoch - 1)
            callbacks.append(LinearDecay(rates, start_epoch, end_epoch))
            # What the card says of the schedule, in the run's own units.
            decay = ({"unit": "step", "start": start_epoch * plan["every"], "end": plan["steps"],
                      "every": plan["every"]} if stepped else
                     {"unit": "epoch", "start": start_epoch, "end": end_epoch})
        time_limit = None
        if part.get("time_limit_minutes") and (not smoke or deadline is not None):
            # A recipe's limit counts the stage's earlier sittings too, so an
            # interrupted stage trains as long as one that was not (the run's
            # --minutes budgets this sitting).
            spent = earlier / 60.0 if deadline is None else 0.0
            time_limit = TimeLimit(max(part["time_limit_minutes"] - spent, 0.01))
            callbacks.append(time_limit)
        stage_start = time.time()
        if stepped:
            history, resumed = _fit_steps(model, part, x_train, targets, callbacks, plan, verbose,
                                          continued_from)
            start -= resumed.get("wall_time_s", 0.0)
            continued_from = resumed.pop("continued_from")
        else:
            # BackupAndRestore sets this (private) Keras attribute when it resumes
            # an interrupted fit, and Keras never clears it: a later stage's fit
            # would then start at the resumed epoch and run nothing.
            model._initial_epoch = None
            history = model.fit(x_train, targets, batch_size=part["batch_size"], epochs=stage_epochs,
                                shuffle=True, callbacks=callbacks, verbose=verbose)
            # History keeps absolute epoch numbers: a first epoch past 0 means
            # BackupAndRestore resumed this stage, after `earlier` seconds of epochs.
            resumed = ({"resumed_after_epoch": history.epoch[0], "wall_time_s": earlier}
                       if history.epoch and history.epoch[0] else {})
            start -= resumed.get("wall_time_s", 0.0)
        stage_log.append({
            **{k: overrides[k] for k in ("stage", "label", "compile", "dataset_args", "augment") if k in overrides},
            "train_images": int(len(x_train)), "epochs": stage_epochs,
            "epochs_run": history.epoch[-1] + 1 if history.epoch else 0, "batch_size": part["batch_size"],
            **{k: v for k, v in resumed.items() if k != "wall_time_s"},
            **({"checkpoint_every": plan["every"], "steps_planned": plan["steps"]} if stepped else {}),
            **({"lr_decay": decay} if decay else {}),
            "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
            # every sitting's (a resumed stage's earlier sittings, from its clock or checkpoint)
            "wall_time_s": round(time.time() - stage_start + resumed.get("wall_time_s", 0.0), 1),
            "time_limit_minutes": part.get("time_limit_minutes"),
            "stopped_by_time_limit": bool(time_limit and time_limit.stopped_at_epoch is not None),
        })
        if rank:
            continue
        if "stage" in overrides:  # what `from_stage` resumes from
            model.save_weights(str(run_dir / f"after-stage{overrides['stage']}.weights.h5"))
            (run_dir / "stages.json").write_text(json.dumps(stage_log, indent=1))
    wall = time.time() - start
    if rank:
        return model
    # Raw weights first, so a packaging error never loses a finished run.
    model.save_weights(str(run_dir / "final.weights.h5"))
    # How this run was started: the recipe file, or the CLI's train command.
    via_recipe = pathlib.Path(sys.argv[0]).name == recipe["recipe_file"]
    command = " ".join([f"python recipes/{recipe['recipe_file']}" if via_recipe else "keras-gan-zoo"]
                       + sys.argv[1:])
    metadata = {
        "preset": name,
        "training": {
            "recipe": f"recipes/{recipe['recipe_file']}",
            "command": command,
            "dataset": recipe["dataset"],
            "dataset_args": recipe.get("dataset_args", {}),
            "train_images": stage_log[-1]["train_images"],
            "epochs": stage_log[-1]["epochs"],
            **({} if recipe.get("stages") else {"epochs_run": stage_log[-1]["epochs_run"]}),
            # A stepped single-stage run: its plan, and where each sitting ran.
            **({k: stage_log[-1][k] for k in ("checkpoint_every", "steps_planned", "sittings")
                if k in stage_log[-1]} if not recipe.get("stages") else {}),
            "batch_size": stage_log[-1]["batch_size"],
            "steps": sum(entry["steps"] for entry in stage_log),
            "loss": recipe["loss"],
            **({"augment": model.augmentation.get_config()} if model.augmentation is not None else {}),
            "optimizer": recipe["optimizer"],
            # Where the rates decayed (single-stage runs; a staged run's are on its stage lines).
            **({"lr_decay": stage_log[-1]["lr_decay"]}
               if "lr_decay" in stage_log[-1] and not recipe.get("stages") else {}),
            "backend": keras.backend.backend(),
            "device": gradients.device_description(),
            "precision": precision,
            "devices": layout or {"devices": 1},
            **({"loss_scale": model.optimizer.loss_scale_factor} if model.optimizer.loss_scale_factor else {}),
            "wall_time_s": round(wall, 1),
            "smoke": bool(smoke),
            "time_limit_minutes": float(minutes) if minutes else recipe.get("time_limit_minutes"),
            "stopped_by_time_limit": any(entry["stopped_by_time_limit"] for entry in stage_log),
            **({"stages": stage_log} if recipe.get("stages") else {}),
            **({"continued_from": continued_from} if continued_from else {}),
        },
        "metrics": {},
    }
    model.save_pretrained(output_dir, metadata=metadata)
    print(f"Saved preset to {output_dir} ({wall:.0f} s of training)")
    return model


def _short(value, limit=60):
    """repr(value), cut to `limit` characters (a serialized vocabulary is thousands)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 12]}... ({len(text):,} chars)"


def load_initial_weights(model, name_or_path):
    """Loads the weights of the preset `name_or_path` into the freshly built
    `model` (see `run_recipe`'s `init_from`) and returns what the metadata
    records of it: the preset, its weights' sha256 and its own training.

    Raises ValueError, leaving `model` as built, when the preset is another
    model class or its network configuration differs from the recipe's.
    """
    folder = presets.resolve(name_or_path)
    config = presets.read_json(folder / presets.CONFIG_FILE, "model class and configuration")
    metadata = presets.read_json(folder / presets.METADATA_FILE, "versions, checksums, metrics")
    ours = type(model).__name__
    if config.get("class_name") != ours:
        raise ValueError(f"init_from={name_or_path!r} is a {config.get('class_name')}; this recipe "
                         f"trains a {ours}. Start from a {ours} preset of the same configuration.")
    wanted, saved = model.get_config(), config.get("config", {})
    # A preset saved before an argument existed loads with its default (as
    # `from_pretrained` builds it), so a missing key compares as the default.
    defaults = {key: parameter.default for key, parameter in inspect.signature(type(model).__init__).parameters.items()
                if parameter.default is not inspect.Parameter.empty}
    saved = {**{key: defaults[key] for key in wanted if key in defaults and key not in saved}, **saved}
    # Keys that do not change what the weights mean may differ (StackGAN's
    # training_stage is the stage it last trained; each stage compiles its own).
    free = ("name", "trainable", "dtype", "seed", "ema_warmup", "training_stage")
    differ = sorted(key for key in set(wanted) | set(saved)
                    if key not in free and wanted.get(key) != saved.get(key))
    if differ:
        details = ", ".join(f"{key}: recipe {_short(wanted.get(key))}, preset {_short(saved.get(key))}"
                            for key in differ)
        raise ValueError(f"init_from={name_or_path!r} was built with another network configuration "
                         f"({details}); its weights do not fit this recipe's model. Change the "
                         "recipe's model arguments to the preset's, or start from scratch.")
    weights = presets.verify_weights(folder, metadata)
    with warnings.catch_warnings():
        # The optimizers start fresh (Keras warns that it skips saved ones).
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(str(weights))
    # The moving-average generator arrives averaged: its warm-up (a short
    # average while a random generator changes fast) would throw that away.
    if getattr(model, "ema_warmup", False):
        model.ema_warmup = False
    training = metadata.get("training", {})
    print(f"Starting from the weights of {folder} ({training.get('steps', '?')} steps)")
    return {
        "preset": metadata.get("preset", folder.name),
        "sha256": metadata["files"][presets.WEIGHTS_FILE]["sha256"],
        "training": {key: training[key] for key in (
            "command", "steps", "batch_size", "wall_time_s", "backend", "device", "dataset",
            "stages", "continued_from") if key in training},
    }


def _step_plan(x, part, epochs, steps, every, run_dir):
    """The stepped run's length, checkpoint interval and checkpoint file:
    `steps` (default the recipe's epochs of whole batches) rounded up to a
    whole number of `every` (default one pass over the data)."""
    per_pass = len(x) // part["batch_size"]
    if per_pass < 1:
        raise ValueError(f"batch_size {part['batch_size']} is larger than the {len(x)} training images.")
    steps = int(steps) if steps is not None else epochs * per_pass
    every = int(every) if every is not None else min(per_pass, steps)
    if steps < 1 or every < 1:
        raise ValueError(f"steps and checkpoint_every must be positive; got {steps} and {every}.")
    intervals = -(-steps // every)
    path = run_dir / checkpoint.CHECKPOINT_FILE
    saved = checkpoint.read_info(path)
    if saved and saved["step"] % every:
        raise ValueError(f"{path} was written at step {saved['step']}, which is not a multiple of "
                         f"checkpoint_every={every}; resume with checkpoint_every="
                         f"{saved.get('checkpoint_every')} or give a new run folder.")
    return {"steps": intervals * every, "every": every, "intervals": intervals, "path": path}


def _fit_steps(model, part, x, y, callbacks, plan, verbose, continued_from=None):
    """`fit` for `plan["steps"]` global steps, resumed exactly from the
    plan's checkpoint file if there is one (see `keras_gan_zoo.checkpoint`);
    returns (history, {"resumed_at_step", "wall_time_s" of the sittings before,
    "sittings", "continued_from"}). "sittings" lists each sitting's steps,
    backend, device and wall time (the checkpoint carries the list), since a
    resumed run may change backend or machine. "continued_from" is the
    preset the run started from (`load_initial_weights`' record, or None),
    as recorded in its checkpoint when it resumes: `--init-from NAME` may
    resolve to other weights by then (the preset retrained meanwhile), and
    the run's lineage is where it started.
    """
    info = checkpoint.read_info(plan["path"]) or {}
    step = checkpoint.restore(model, plan["path"])
    every, sitting = plan["every"], time.time()
    before = float(info.get("wall_time_s", 0.0))
    if step:
        print(f"Resuming at step {step} of {plan['steps']} from {plan['path']}")
        # (a checkpoint written before the start was recorded keeps what init_from gives now)
        recorded = info.get("continued_from", continued_from)
        if (recorded or {}).get("sha256") != (continued_from or {}).get("sha256"):
            print("This run started from " + (
                f"{recorded['preset']} (weights sha256 {recorded['sha256'][:12]})" if recorded else "scratch")
                + "; its card records that start, not the weights the preset now names.")
        continued_from = recorded

    def sittings(to_step):
        earlier = info.get("sittings", [])
        if step and not earlier:  # a checkpoint written before sittings were recorded
            earlier = [{"from_step": 0, "to_step": step, "wall_time_s": before}]
        return [*earlier, {"from_step": step, "to_step": to_step, "backend": keras.backend.backend(),
                           "device": gradients.device_description(),
                           "wall_time_s": round(time.time() - sitting, 1)}]

    saver = checkpoint.StepCheckpoint(plan["path"], every, extra=lambda: {
        "checkpoint_every": every, "wall_time_s": round(before + time.time() - sitting, 1),
        "sittings": sittings(saver.saved_step), "continued_from": continued_from})
    rank, processes = gradients.replica()
    history = keras.callbacks.History()
    if step < plan["steps"]:
        # An unpaired task's two domains (of any lengths) are drawn independently.
        data = checkpoint.StepBatches(x, y, part["batch_size"], seed=part.get("seed", 0), steps=plan["steps"],
                                      shard=(rank, processes),
                                      unpaired=model.task is tasks.UNPAIRED_IMAGE_TO_IMAGE).starting_at(step)
        history = model.fit(gradients.fit_input(data), steps_per_epoch=every, epochs=plan["intervals"],
                            initial_epoch=step // every, callbacks=[*callbacks] + ([] if rank else [saver]),
                            verbose=verbose,
                            shuffle=False)  # (Keras would reorder the batches; they are ordered already)
    else:
        history.epoch = []
    done = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    resumed = {"resumed_at_step": step, "wall_time_s": before} if step else {}
    return history, {**resumed, "sittings": sittings(done), "continued_from": continued_from}


def _resume_stages(model, stages, run_dir, from_stage):
    """(log of the stages already run, stages left to run) for `from_stage`."""
    if from_stage is None:
        return [], stages
    numbers = [overrides.get("stage") for overrides in stages]
    if from_stage not in numbers[1:]:
        raise ValueError(f"from_stage must be one of the recipe's later stages {numbers[1:]}; "
                         f"got {from_stage!r}")
    index = numbers.index(from_stage)
    weights = run_dir / f"after-stage{numbers[index - 1]}.weights.h5"
    log_file = run_dir / "stages.json"
    if not weights.exists() or not log_file.exists():
        raise FileNotFoundError(f"from_stage={from_stage} needs {weights.name} and {log_file.name} "
                                f"in {run_dir}, written when a run of this recipe finishes stage "
                                f"{numbers[index - 1]}; run the recipe without from_stage first")
    stage_log = [entry for entry in json.loads(log_file.read_text())
                 if entry.get("stage") in numbers[:index]]
    with warnings.catch_warnings():
        # Each stage compiles fresh optimizers, so the saved optimizer state
        # of the stage before is not wanted (Keras warns that it skips it).
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(str(weights))
    print(f"Resuming at stage {from_stage} from {weights}")
    return stage_log, stages[index:]


def main(recipe, argv=None):
    """A recipe file's command line (`python recipes/NAME.py [--smoke]
    [--epochs N] [--out DIR] ...`): parses the flags and calls `run_recipe`."""
    parser = argparse.ArgumentParser(description=f"Train the {recipe['preset']} preset.")
    parser.add_argument("--smoke", action="store_true", help="tiny, fast run of the same pipeline")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--fid-images", type=int, default=None, help="0 skips FID")
    parser.add_argument("--out", default=None, help="preset folder to write")
    parser.add_argument("--run-dir", default=None, help="folder for backups and logs")
    parser.add_argument("--from-stage", type=int, default=None,
                        help="staged recipes: start at this stage from the weights the run "
                             "folder holds after the stage before")
    add_precision_argument(parser)
    add_step_arguments(parser)
    args = parser.parse_args(argv)
    run_recipe(recipe, smoke=args.smoke, output_dir=args.out, epochs=args.epochs,
               fid_images=args.fid_images, run_dir=args.run_dir, from_stage=args.from_stage,
               precision=args.precision, steps=args.steps, checkpoint_every=args.checkpoint_every,
               devices=args.devices, minutes=args.minutes, init_from=args.init_from)


def add_step_arguments(parser):
    """`--steps`, `--checkpoint-every` (exact resume), `--minutes` (a time
    budget), `--devices` (data parallelism) and `--init-from` (start from a
    preset's weights) of a training command line."""
    parser.add_argument("--init-from", default=None,
                        help="start from the weights of this preset (name, folder or hf://org/repo) "
                             "of the same network instead of from scratch")
    parser.add_argument("--devices", type=int, default=1,
                        help="train data-parallel over N devices (KERAS_BACKEND=jax; the batch "
                             "size is the global batch). PyTorch: launch with torchrun "
                             "--nproc_per_node N -m keras_gan_zoo train RECIPE instead")
    parser.add_argument("--steps", type=int, default=None,
                        help="train this many steps instead of the recipe's epochs, with exact "
                             "resume from the run folder (see --checkpoint-every)")
    parser.add_argument("--minutes", type=float, default=None,
                        help="a wall-clock budget for the training, in place of the recipe's time "
                             "limits (it stops at the recipe's epochs or the budget, whichever "
                             "comes first; stages share it)")
    parser.add_argument("--checkpoint-every", type=int, default=None,
                        help="write the whole training state every K steps (default: each pass "
                             "over the data); run again with the same --run-dir to continue from "
                             "the last one exactly")


def add_precision_argument(parser):
    """`--precision` of a training command line (see `precision_policy`)."""
    parser.add_argument("--precision", default="float32", choices=PRECISIONS,
                        help="dtype policy: float32 (default), or mixed precision with float32 "
                             "weights (mixed_float16 adds loss scaling); a mixed run writes its "
                             "preset under runs/, never over the shipped one")
