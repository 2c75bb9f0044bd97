"""Exact resume: step checkpoints a killed run continues from bit for bit.

Keras's `BackupAndRestore` resumes at the start of the epoch it was killed
in, and its weights file leaves out the random generators' state, so a
resumed run draws other latents than the uninterrupted one would have.
Here a run is a sequence of global steps:

- `StepBatches` serves batch `s` as a pure function of `(seed, s)` (each
  pass over the data in its own seeded order), so a run restarted at step
  `s` sees exactly the batches the uninterrupted run saw from `s` on;
- `StepCheckpoint` writes, every `every` steps, one `.npz` file holding
  the value of every variable the model owns (every player's weights,
  batch-norm statistics and EMA copies, every optimizer's slots and step
  counter, the `SeedGenerator` states, the augmentation's probability) and
  the step it was taken at. The file is written beside the old one and
  renamed over it, so a kill during the write leaves the previous checkpoint;
- `restore(model, path)` puts those values back and returns the step.

`fit` then runs with `steps_per_epoch=every`: each Keras epoch is one
checkpoint interval, and a resumed fit starts at `initial_epoch=step // every`.

Example:

>>> data = StepBatches(images, None, batch_size=64, seed=0, steps=1000)
>>> step = restore(model, "runs/my-run/checkpoint.npz")      # 0 when new
>>> model.fit(gradients.fit_input(data.starting_at(step)), steps_per_epoch=100, epochs=10,
...           initial_epoch=step // 100,
...           callbacks=[StepCheckpoint("runs/my-run/checkpoint.npz", every=100)])
"""

import json
import pathlib

import keras
import numpy as np

from keras_gan_zoo import cache

CHECKPOINT_FILE = "checkpoint.npz"


def state_variables(model):
    """Every variable whose value a resumed run needs, in a fixed order: the
    model's own (weights, statistics, seed-generator states, augmentation
    state) and its optimizer's."""
    seen, out = set(), []
    for v in list(model.variables) + list(model.optimizer.variables if model.optimizer else []):
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def save(model, path, step, extra=None):
    """Writes the model's whole training state at `step` to `path` (`.npz`),
    atomically: a reader sees the old file or the new one, never part."""
    variables = state_variables(model)
    arrays = {f"v{i}": keras.ops.convert_to_numpy(v.value) for i, v in enumerate(variables)}
    info = {"step": int(step), "paths": [v.path for v in variables], **(extra or {})}
    arrays["info"] = np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)
    with cache.replacing(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def read_info(path):
    """The checkpoint's `{"step": ..., "paths": [...], ...}`, or None if there is none."""
    path = pathlib.Path(path)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return json.loads(data["info"].tobytes().decode())


def restore(model, path):
    """Loads the state `save` wrote into `model` (built and compiled as the
    run that wrote it) and returns its step; returns 0 and changes nothing
    when `path` does not exist.

    Raises:
        ValueError: the checkpoint was written by a different model or
            optimizer configuration (the variables' count or shapes differ);
            the model is left unchanged.
    """
    path = pathlib.Path(path)
    if not path.exists():
        return 0
    variables = state_variables(model)
    with np.load(path, allow_pickle=False) as data:
        info = json.loads(data["info"].tobytes().decode())
        values = [data[f"v{i}"] for i in range(len(info["paths"]))]
    paths = [v.path for v in variables]
    # Shapes, not names: Keras numbers layer names per process ("dense_3"),
    # so the same model built after other models gets other names.
    mismatch = next((i for i, (v, a) in enumerate(zip(variables, values))
                     if tuple(v.shape) != a.shape), None)
    if len(values) != len(variables) or mismatch is not None:
        where = (f"variable {paths[mismatch]!r} {tuple(variables[mismatch].shape)} against "
                 f"{info['paths'][mismatch]!r} {values[mismatch].shape}" if mismatch is not None
                 else f"{len(variables)} variables against {len(values)}")
        raise ValueError(
            f"The checkpoint {path} was written by another configuration ({where}). Resume with "
            "the recipe and settings that wrote it, or give a new run folder.")
    for v, a in zip(variables, values):
        v.assign(a)
    return int(info["step"])


class StepCheckpoint(keras.callbacks.Callback):
    """Saves the training state with `save` at the end of every Keras epoch,
    which in a step-checkpointed run is `every` steps (`steps_per_epoch`).

    An epoch cut short (a time limit stopped it) is not saved: the file
    always holds a state at a whole number of intervals, which is where a
    resumed fit starts. Put it after `DivergenceGuard`: a diverged step
    raises before the epoch ends, so the file holds the last good state.

    Args:
        path: the checkpoint file.
        every: steps per Keras epoch.
        extra: a function returning more JSON-able facts to store.
    """

    def __init__(self, path, every, extra=None):
        super().__init__()
        self.path, self.every = pathlib.Path(path), int(every)
        self.extra = extra or (lambda: {})
        self.saved_step = None

    def on_epoch_begin(self, epoch, logs=None):
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        if self.batches == self.every:
            self.saved_step = (epoch + 1) * self.every
            save(self.model, self.path, self.saved_step, self.extra())


class StepBatches(keras.utils.PyDataset):
    """Batches of `(x,)` or `(x, y)` where batch `s` depends only on
    `(seed, s)`: pass `s // per_pass` over the data in the order
    `np.random.default_rng([seed, pass]).permutation`, batch `s % per_pass` of
    it (the last incomplete batch of each pass is left out, so every batch
    has `batch_size` rows).

    With `unpaired=True` (CycleGAN's two domains, of any lengths) `y` is
    drawn on its own: the batches' `y` rows, one after another, read an
    endless sequence of permutations of `y`, permutation `q` drawn by
    `np.random.default_rng([seed, q, 1])`; `rows` then gives one index
    array per array.

    Args:
        x, y: arrays with the same first dimension (y may be None), or of
            any lengths with `unpaired=True`.
        batch_size: rows per batch.
        seed: the data order's seed.
        steps: the run's length in steps; `starting_at(s)` serves steps
            `s .. steps - 1`.
        shard: `(rank, processes)`: serve rows `rank * b .. (rank + 1) * b`
            of each batch, `b = batch_size / processes` (data parallelism
            over processes, `gradients.replica()`): together the processes
            see the same batches as one would.
        unpaired: draw `y` independently of `x` (above).
    """

    def __init__(self, x, y, batch_size, seed, steps, start=0, shard=(0, 1), unpaired=False):
        super().__init__()
        if unpaired and (y is None or len(y) == 0):
            raise ValueError("unpaired=True needs a second array y with at least one row.")
        if not unpaired and y is not None and len(y) != len(x):
            raise ValueError(f"x has {len(x)} rows and y {len(y)}; paired batches need the same number "
                             "(give unpaired=True for two independent sets).")
        self.x, self.y, self.unpaired = x, y, bool(unpaired)
        self.batch_size, self.seed, self.steps, self.start = int(batch_size), int(seed), int(steps), int(start)
        self.per_pass = len(x) // self.batch_size
        if self.per_pass < 1:
            raise ValueError(f"batch_size {batch_size} is larger than the {len(x)} training examples.")
        self.rank, self.processes = (int(n) for n in shard)
        if self.batch_size % self.processes or not 0 <= self.rank < self.processes:
            raise ValueError(f"a batch of {self.batch_size} does not split into {self.processes} equal "
                             f"shards (rank {self.rank}); use a batch size divisible by the processes.")
        self._order = {}

    def starting_at(self, step):
        """The same stream from global step `step` on."""
        return StepBatches(self.x, self.y, self.batch_size, self.seed, self.steps, start=step,
                           shard=(self.rank, self.processes), unpaired=self.unpaired)

    def __len__(self):
        return max(self.steps - self.start, 0)

    def indices(self, step):
        """Row indices of global step `step`'s batch."""
        passes, within = divmod(int(step), self.per_pass)
        if passes not in self._order:
            self._order = {passes: np.random.default_rng([self.seed, passes]).permutation(len(self.x))}
        return self._order[passes][within * self.batch_size:(within + 1) * self.batch_size]

    def unpaired_indices(self, step):
        """Rows of `y` in global step `step`'s batch (`unpaired=True`)."""
        positions = np.arange(int(step) * self.batch_size, (int(step) + 1) * self.batch_size)
        rounds, within = np.divmod(positions, len(self.y))
        return np.concatenate([np.random.default_rng([self.seed, int(r), 1]).permutation(len(self.y))[w]
                               for r, w in _runs(rounds, within)])

    def rows(self, index):
        """Row indices of this stream's batch `index` (global step
        `start + index`), this process's shard of it: one array, or with
        `unpaired=True` a tuple `(rows of x, rows of y)`."""
        share, step = self.batch_size // self.processes, self.start + index
        mine = slice(self.rank * share, (self.rank + 1) * share)
        if self.unpaired:
            return self.indices(step)[mine], self.unpaired_indices(step)[mine]
        return self.indices(step)[mine]

    def arrays(self):
        """`(x,)` or `(x, y)`: the arrays the batches are rows of."""
        return (self.x,) if self.y is None else (self.x, self.y)

    def __getitem__(self, index):
        rows = self.rows(index)
        rows = rows if isinstance(rows, tuple) else (rows,) * len(self.arrays())
        return tuple(array[r] for array, r in zip(self.arrays(), rows))


def _runs(rounds, within):
    """Splits positions into runs of equal `rounds`: [(round, within...)]."""
    cuts = np.flatnonzero(np.diff(rounds)) + 1
    return [(r[0], w) for r, w in zip(np.split(rounds, cuts), np.split(within, cuts))]
