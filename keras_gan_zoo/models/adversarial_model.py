"""`AdversarialModel`: one GAN game that `model.fit` plays on every backend."""

import dataclasses
import warnings
from typing import Callable, Sequence

import keras
import numpy as np
from keras import ops

from keras_gan_zoo import augment as augment_lib
from keras_gan_zoo import gradients, presets
from keras_gan_zoo import losses as gan_losses

# The static loss scale of every player's optimizer when a model compiles
# under the "mixed_float16" dtype policy and the optimizer sets none
# (`loss_scale_factor`, Keras's own mechanism: the loss is multiplied by it and
# the gradients divided by it before the update). Static, not dynamic:
# Keras's LossScaleOptimizer cannot sit inside the MultiOptimizer that holds
# the players' optimizers, and one around it would update every player at
# once. 2**10 keeps gradients down to about 6e-11 from flushing to zero
# (float16's smallest value is 6e-8) while a loss of 1 stays 64x below its
# largest (65504); an overflow makes the loss NaN and DivergenceGuard stops
# the run.
FLOAT16_LOSS_SCALE = 2.0 ** 10


@dataclasses.dataclass
class Player:
    """One side of the game.

    Attributes:
        name: short name, used for the optimizer keyword of `compile`
            (`"d"` -> `d_optimizer=`) and the log key (`"d_loss"`).
        loss_fn: `batch -> scalar loss`, written with `keras.ops`.
        variables: the variables this player updates: a list (one optimizer,
            named after the player), or a dict `{optimizer name: list}` to
            update parts of one loss's gradient with separate optimizers
            (CycleGAN's two generators share a loss, each has an Adam).
        steps: updates of this player per train step (e.g. 5 critic steps
            for WGAN); each update draws fresh latents from the same batch.
            0 sits the round out (its loss is neither computed nor logged).
        after_update: optional `() -> None` run after each update.
        role: `"discriminator"` for a player whose weights a critic loss
            constrains: WGAN's weight clipping (`loss="wasserstein"`) is
            applied to them after each of its updates, here for every family.
    """

    name: str
    loss_fn: Callable
    variables: Sequence
    steps: int = 1
    after_update: Callable = None
    role: str = None

    @property
    def variable_groups(self):
        """`{optimizer name: variables}`."""
        if isinstance(self.variables, dict):
            return {name: list(vs) for name, vs in self.variables.items()}
        return {self.name: list(self.variables)}


class AdversarialModel(keras.Model):
    """Base class of every model in the zoo: the template a new GAN follows.

    A subclass writes three things, top to bottom like a short paper:

    1. **The networks**, built in `__init__` from `keras.Input` so every
       variable exists before `fit` (JAX needs this). Store every constructor
       argument as an attribute and return it from `get_config()`. Call
       `super().__init__(ema_decay=..., **kwargs)` *first* and set
       `self.built = True` at the end.
    2. **The game**: `players()` returns the `Player`s in update order, each
       with a loss function of the batch written with `keras.ops` (use the
       functions of `keras_gan_zoo.losses` and `self.gan_loss`, set by
       `compile`). Draw latents with `keras.random.*(seed=self.seed_generator)`
       so training is reproducible and JAX-safe. `prepare_batch(data)` turns
       what `fit` yields into the dict the losses read, and checks shapes.
    3. **Sampling**: a family method such as `generate(...)` that returns
       numpy uint8 images and never needs a backend-specific line.

    Optionally override `default_optimizers()` and `default_loss` (the recipe
    defaults `compile()` uses), and `validate_fit_data(x, y)` to check and
    normalise numpy data before `fit` starts.

    The base class owns the rest: per-player gradients on TensorFlow, PyTorch
    and JAX (through `keras_gan_zoo.gradients`, the only backend-specific
    module), one optimizer per player (all held in one `MultiOptimizer` so
    JAX carries their state), k updates per player, an exponential moving
    average (EMA) of the generator for sampling, loss metrics for the
    progress bar and callbacks, and Keras serialization of the compile
    state (`model.save` / `keras.saving.load_model`).

    Args:
        ema_decay: decay of the EMA generator (e.g. 0.999); `None` keeps no
            EMA copy. The EMA pairs are `ema_pairs()`; by default
            `self.generator` -> `self.ema_generator`.
        ema_warmup: use `min(ema_decay, (1 + t) / (10 + t))` at step t (as
            TensorFlow's ExponentialMovingAverage with `num_updates`), so the
            EMA forgets the random initial weights early; with a constant
            0.999 they still weigh 0.999^t (39% after 938 steps), which ruins
            a short run's EMA generator.
        seed: seed of the generator used to draw training latents.

    Example (a subclass in a dozen lines):

    ```python
    class TinyGAN(AdversarialModel):
        def __init__(self, latent_dim=8, **kwargs):
            super().__init__(**kwargs)
            self.latent_dim = latent_dim
            self.generator = keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(2)])
            self.discriminator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            self.built = True

        def players(self):
            return [Player("d", self.d_loss, self.discriminator.trainable_variables),
                    Player("g", self.g_loss, self.generator.trainable_variables)]

        def prepare_batch(self, data):
            return {"points": data}

        def d_loss(self, batch):
            z = keras.random.normal((ops.shape(batch["points"])[0], self.latent_dim), seed=self.seed_generator)
            fake = ops.stop_gradient(self.generator(z, training=True))
            return self.gan_loss.d_loss(self.discriminator(batch["points"]), self.discriminator(fake))

        def g_loss(self, batch):
            z = keras.random.normal((ops.shape(batch["points"])[0], self.latent_dim), seed=self.seed_generator)
            return self.gan_loss.g_loss(self.discriminator(self.generator(z, training=True)))
    ```
    """

    # ---- what the family declares (see CONTRIBUTING.md) ---------------
    # Its task (keras_gan_zoo.tasks): the CLI, evaluation and cards dispatch on it.
    task = None
    # Model card: usage lines after `model = kgz.from_pretrained(...)`, and
    # what model.weights.h5 holds.
    card_usage = ()
    card_weights = "the weights of every network"
    # The data set a preset of this family is shown on when its metadata names none.
    default_dataset = None
    # The smallest configuration the shared contract tests build.
    tiny_config = None
    default_loss = "non_saturating"
    # The losses this family plays; compile() refuses others by name.
    supported_losses = tuple(gan_losses.LOSSES)
    # Whether compile(augment=...) applies (image families: see ImageGAN).
    supports_augmentation = False

    def __init__(self, ema_decay=None, seed=None, ema_warmup=False, **kwargs):
        super().__init__(**kwargs)
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) or None; got {ema_decay}")
        self.ema_decay = ema_decay
        self.ema_warmup = bool(ema_warmup)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="seed_generator")
        self.gan_loss = None
        self.augmentation = None
        self.player_optimizers = {}
        self._loss_trackers = None

    # ---- to override -------------------------------------------------
    def players(self):
        """Returns the list of `Player`s, in update order."""
        raise NotImplementedError("Subclasses define players().")

    def prepare_batch(self, data):
        """Maps one batch from `fit` to the dict the player losses read."""
        raise NotImplementedError("Subclasses define prepare_batch().")

    def default_optimizers(self):
        """Recipe defaults: `{optimizer name: optimizer}`. Adam(2e-4, 0.5)."""
        return {
            name: keras.optimizers.Adam(2e-4, beta_1=0.5, name=f"{name}_adam")
            for name in self.optimizer_names
        }

    def validate_fit_data(self, x, y=None):
        """Checks (and may normalise) numpy data given to `fit`."""
        return x, y

    def ema_pairs(self):
        """`(source_variable, ema_variable)` pairs updated after each step."""
        ema = getattr(self, "ema_generator", None)
        if self.ema_decay is None or ema is None:
            return []
        return list(zip(self.generator.variables, ema.variables))

    @classmethod
    def card_sections(cls, metrics):
        """Lines of the family's own evaluation sections of its model card
        (beyond the generic FID lines), from the preset's `metrics`."""
        return []

    @classmethod
    def card_training(cls, training):
        """Lines the family adds to its model card's training section (its
        own schedule, e.g. phases), from the preset's `training` metadata."""
        return []

    @classmethod
    def headline(cls, metrics):
        """One line for `keras-gan-zoo list`: the preset's main figure."""
        return None

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        """`(x, y)` for `fit` on the tiny configuration (contract tests)."""
        raise NotImplementedError(f"{cls.__name__} declares no tiny_data() for the contract tests.")

    def showcase(self, num=16, seed=0, columns=None, **options):
        """What `keras-gan-zoo sample` shows: a `keras_gan_zoo.tasks.Showcase`."""
        raise NotImplementedError(f"{type(self).__name__} defines no showcase().")

    @staticmethod
    def reject_options(family, options):
        """A clear error for sampling options this family does not take."""
        given = {k: v for k, v in options.items() if v is not None}
        if given:
            raise ValueError(f"{family} does not take {sorted(given)} when sampling.")

    def parameter_groups(self):
        """`{network name: variables}` of each network, for parameter counts."""
        return {layer.name: layer.weights for layer in self.layers if layer.weights}

    # ---- the game ----------------------------------------------------
    @property
    def player_names(self):
        return [p.name for p in self.players()]

    @property
    def optimizer_names(self):
        """One per variable group: the `<name>_optimizer` keywords of `compile`."""
        return [name for p in self.players() for name in p.variable_groups]

    @property
    def metrics(self):
        if self._loss_trackers is None:
            return []
        extra = [self.augmentation] if self.augmentation is not None else []
        return list(self._loss_trackers.values()) + extra

    def compile(self, loss=None, augment=None, jit_compile="auto", steps_per_execution=1,
                **optimizers):
        """Configures the game.

        Args:
            loss: a name from `keras_gan_zoo.losses.LOSSES` (`"minimax"`,
                `"non_saturating"`, `"wasserstein"`, `"wgan_gp"`, `"hinge"`,
                `"least_squares"`) or a `GANLoss`; default `default_loss`.
                A loss the family does not play (not in `supported_losses`)
                is a ValueError.
            augment: differentiable augmentation of every image the
                discriminator sees (image families): `"diffaugment"`,
                `"ada"`, a policy such as `"translation,cutout"` or a
                `keras_gan_zoo.augment.Augmentation`; default None (off).
            jit_compile: as in `keras.Model.compile`.
            steps_per_execution: as in `keras.Model.compile`.
            **optimizers: `<player>_optimizer=` a Keras optimizer, its name or
                its config (e.g. `d_optimizer=keras.optimizers.Adam(1e-4)`);
                players not given use `default_optimizers()`.

        Example:

        >>> model.compile()  # the recipe defaults
        >>> model.compile(loss="hinge", d_optimizer=keras.optimizers.Adam(4e-4))
        """
        names = self.optimizer_names
        chosen = {}
        for key, value in optimizers.items():
            name = key[: -len("_optimizer")] if key.endswith("_optimizer") else None
            if name not in names:
                raise TypeError(
                    f"compile() got an unexpected argument {key!r}. This model's "
                    f"optimizer arguments are {[n + '_optimizer' for n in names]}."
                )
            chosen[name] = keras.optimizers.get(value)
        defaults = self.default_optimizers()
        self.player_optimizers = {n: chosen.get(n) or defaults[n] for n in names}
        if len({id(o) for o in self.player_optimizers.values()}) != len(names):
            raise ValueError("Each player needs its own optimizer instance.")
        # One loss scale for every player: the MultiOptimizer below hands its
        # own loss_scale_factor to each optimizer it holds.
        factors = {o.loss_scale_factor for o in self.player_optimizers.values()} - {None}
        if len(factors) > 1:
            raise ValueError(f"The players' optimizers set different loss_scale_factor values "
                             f"{sorted(factors)}: give them one (or none).")
        loss_scale = factors.pop() if factors else (
            FLOAT16_LOSS_SCALE if self.dtype_policy.name == "mixed_float16" else None)
        gan_loss = gan_losses.get(loss if loss is not None else self.default_loss)
        if gan_loss.name not in self.supported_losses:
            raise ValueError(
                f"{type(self).__name__} does not play the {gan_loss.name!r} loss; it supports "
                f"{list(self.supported_losses)}."
            )
        if augment is not None and not self.supports_augmentation:
            raise ValueError(f"{type(self).__name__} has no images for its discriminator to "
                             "augment: compile it with augment=None.")
        augmentation = augment_lib.get(augment)
        if augmentation is not None and augmentation.adaptive and gan_loss.decision_boundary is None:
            raise ValueError(
                f"ADA steers its probability by how many real images the discriminator scores "
                f"above the loss's decision boundary, and the {gan_loss.name!r} loss has none (a "
                f"critic's outputs can all shift without changing it). Use a fixed probability "
                f"instead, e.g. augment='diffaugment' or augment='translation,cutout'.")
        self.gan_loss = gan_loss
        self.augmentation = augmentation
        owner = {}
        for player in self.players():
            for group, variables in player.variable_groups.items():
                for v in variables:
                    owner[id(v)] = self.player_optimizers[group]
        orphans = [v.path for v in self.trainable_variables if id(v) not in owner]
        if orphans:
            raise ValueError(
                f"Trainable variables {orphans[:3]} belong to no player: add them to "
                "a Player's variables or set their layer's trainable = False."
            )
        multi = keras.optimizers.MultiOptimizer(lambda variable: owner[id(variable)],
                                                loss_scale_factor=loss_scale)
        self._loss_trackers = {
            n: keras.metrics.Mean(name=f"{n}_loss") for n in self.player_names
        }
        # auto_scale_loss=False: loss scaling is per player (see _play), not
        # Keras's LossScaleOptimizer around the container.
        super().compile(
            optimizer=multi, jit_compile=jit_compile, steps_per_execution=steps_per_execution,
            auto_scale_loss=False,
        )
        # Built here, not lazily: TensorFlow never builds the container itself.
        multi.build(self.trainable_variables)

    def get_compile_config(self):
        if not self.compiled:
            return None
        return {
            "loss": self.gan_loss.name,
            **({"augment": self.augmentation.get_config()} if self.augmentation is not None else {}),
            "jit_compile": self.jit_compile,
            "optimizers": {
                n: keras.optimizers.serialize(o) for n, o in self.player_optimizers.items()
            },
        }

    def compile_from_config(self, config):
        optimizers = {
            f"{n}_optimizer": keras.optimizers.deserialize(c)
            for n, c in config["optimizers"].items()
        }
        self.compile(loss=config["loss"], augment=config.get("augment"),
                     jit_compile=config.get("jit_compile", "auto"), **optimizers)

    def train_step(self, *args):
        return gradients.run_train_step(self, self._play, *args)

    def _play(self, data):
        """One round of the game: each player updates in turn."""
        batch = self.prepare_batch(data)
        for player in self.players():
            if not player.steps:
                continue
            groups = player.variable_groups
            variables = [v for group in groups.values() for v in group]
            # Loss scaling (mixed_float16): the gradient of loss * scale, which
            # each optimizer divides by loss_scale_factor when it applies it.
            scale = self.optimizer.loss_scale_factor
            for _ in range(player.steps):
                if scale:
                    loss, grads = gradients.value_and_grad(
                        lambda: player.loss_fn(batch) * scale, variables)
                    loss = loss / scale
                else:
                    loss, grads = gradients.value_and_grad(lambda: player.loss_fn(batch), variables)
                start = 0
                for name, group in groups.items():
                    gradients.apply_gradients(
                        self.player_optimizers[name], grads[start:start + len(group)], group
                    )
                    start += len(group)
                with gradients.no_grad():
                    if player.role == "discriminator" and self.gan_loss.clip_value is not None:
                        gan_losses.clip_weights(variables, self.gan_loss.clip_value)
                    if player.after_update is not None:
                        player.after_update()
            self._loss_trackers[player.name].update_state(loss)
        with gradients.no_grad():
            if self.augmentation is not None:
                self.augmentation.adjust()
            self.update_ema()
        self.optimizer.iterations.assign_add(1)
        return {m.name: m.result() for m in self.metrics}

    def build_ema_generator(self):
        """A frozen copy of `self._build_generator("ema_generator")` holding
        the generator's weights, or None without `ema_decay`."""
        if self.ema_decay is None:
            return None
        ema = self._build_generator("ema_generator")
        ema.trainable = False
        for source, target in zip(self.generator.variables, ema.variables):
            target.assign(ops.copy(source.value))  # JAX: never share one buffer
        return ema

    def update_ema(self):
        """EMA of trained weights; other state (batch-norm statistics) is copied."""
        if self.ema_decay is None:
            return
        decay = float(self.ema_decay)
        if self.ema_warmup:
            step = ops.cast(self.optimizer.iterations, "float32")
            decay = ops.minimum(decay, (1.0 + step) / (10.0 + step))
        gradients.ema_update(self.ema_pairs(), decay)

    def sync_ema(self):
        """Copies the generator's weights into the EMA generator."""
        for source, ema in self.ema_pairs():
            ema.assign(ops.copy(source.value))  # JAX: never share one buffer

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`; numpy data is checked before any update.

        Compiles with the recipe defaults if `compile()` was not called.
        """
        if isinstance(x, (np.ndarray, list)) or isinstance(y, np.ndarray):
            x, y = self.validate_fit_data(x, y)
        self._compile_if_needed(stacklevel=3)
        gradients.prepare_replicas(self)  # PyTorch processes under torchrun: same start, own draws
        with gradients.restore_state_on_error(self):
            return super().fit(x, y, *args, **kwargs)

    def _compile_if_needed(self, stacklevel):
        if not self.compiled:
            warnings.warn(
                "fit() called before compile(): compiling with the recipe "
                "defaults (model.compile()).",
                stacklevel=stacklevel,
            )
            self.compile()

    def evaluate(self, *args, **kwargs):
        """A GAN has no single validation loss: measure samples instead."""
        raise NotImplementedError(
            "AdversarialModel.evaluate() is not defined for a GAN. Measure sample "
            "quality with keras_gan_zoo.evaluation.evaluate_model(model, dataset) "
            "(FID/KID) or `keras-gan-zoo evaluate PRESET`."
        )

    # ---- presets -----------------------------------------------------
    @classmethod
    def from_pretrained(cls, name_or_path, compile=True):
        """Loads a preset: a shipped name (`list_presets()`), a local folder,
        or `"hf://org/repo"`. Raises if the preset is of another family.

        Example:

        >>> model = keras_gan_zoo.DCGAN.from_pretrained("dcgan-mnist")
        """
        return presets.load(name_or_path, expected_class=cls, compile=compile)

    def save_pretrained(self, directory, metadata=None, model_card=None):
        """Writes a preset folder (config, weights with checksum, card)."""
        return presets.save(self, directory, metadata=metadata, model_card=model_card)

    def push_to_hub(self, repo_id, private=False, token=None, commit_message=None):
        """Uploads this model as a preset to a Hugging Face Hub repo."""
        return presets.push_to_hub(
            self, repo_id, private=private, token=token, commit_message=commit_message
        )

    def get_config(self):
        config = super().get_config()
        # No dtype policy: a model (and a preset) builds under the policy in
        # force where it is loaded (float32 unless training.precision_policy
        # says otherwise), its networks and itself alike.
        config.pop("dtype", None)
        config.update({"ema_decay": self.ema_decay, "seed": self.seed})
        if self.ema_warmup:  # only when set, so older presets' configs stay as they were
            config["ema_warmup"] = True
        return config

    @classmethod
    def from_config(cls, config):
        # Presets saved before get_config dropped the policy name float32.
        return super().from_config({k: v for k, v in config.items() if k != "dtype"})
