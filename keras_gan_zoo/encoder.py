"""The inverting encoder of iGAN (Zhu et al. 2016, section 3.1): a network
`E` from images to latents, trained so that the frozen generator redraws
each training image from its latent, `G(E(x)) ~ x`.

It is the fast, rough inversion: one forward pass where projection by
optimisation takes hundreds of generator passes, and the starting point of
iGAN's "hybrid" inversion (optimisation from `E(x)` instead of from the
mean latent). `keras_gan_zoo.latent.project(method="encoder" | "hybrid")`
uses it.

An encoder is an optional part of a preset folder: `encoder.weights.h5`
(weights only, no pickle) and `encoder.json` (its configuration and the
weights' sha256). Presets without one load as before.

Example:

>>> from keras_gan_zoo import encoder as encoders
>>> gan = kgz.from_pretrained("dcgan-mnist")
>>> (x_train, _), _ = gan.data_splits()
>>> enc = encoders.train_encoder(gan, x_train, epochs=5)
>>> z = enc.encode(x_train[:8])
>>> enc.save("weights/dcgan-mnist")  # ships with the preset
"""

import json
import pathlib

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import presets, validation

WEIGHTS_FILE = "encoder.weights.h5"
CONFIG_FILE = "encoder.json"
FORMAT_VERSION = 1


def build_network(image_shape, latent_shape, width=32, initial_latent=None, name="encoder"):
    """Stride-2 4x4 convolutions (width doubling, at most 8x) down to 4x4,
    then a dense layer to the latent's shape; its bias starts at
    `initial_latent` (the mean latent), where projection also starts."""
    images = keras.Input(tuple(image_shape), name="images")
    x, size, filters = images, int(image_shape[0]), int(width)
    while size > 4:
        x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(layers.GroupNormalization(groups=min(8, filters))(x))
        size, filters = (size + 1) // 2, min(filters * 2, 8 * int(width))
    x = layers.Flatten()(x)
    units = int(np.prod(latent_shape))
    bias = "zeros" if initial_latent is None else keras.initializers.Constant(
        np.asarray(initial_latent, "float32").reshape(units))
    x = layers.Dense(units, kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                     bias_initializer=bias)(x)
    latents = layers.Reshape(tuple(latent_shape), name="latents")(x)
    return keras.Model(images, latents, name=name)


class _Trainer(keras.Model):
    """`G(E(x), c)` with only `E` trainable: the generator is reached through
    a closure, so none of its weights is tracked, trained or saved here.
    Called with the images, or with `[images, *conditions]` (the class of
    each image for a class-conditional generator)."""

    def __init__(self, network, render, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self._render = render

    def call(self, inputs, training=False):
        images, conditions = (inputs[0], list(inputs[1:])) if isinstance(inputs, (list, tuple)) else (inputs, [])
        return self._render(self.network(images, training=training), conditions)


class Encoder:
    """An inverting encoder for one model and latent space.

    Attributes:
        network: the Keras model from images (in [-1, 1]) to latents.
        space: the latent space it predicts (`model.latent_spaces`).
        config: what `save` writes to `encoder.json` (width, training).
    """

    def __init__(self, network, space, config=None):
        self.network, self.space = network, space
        self.config = dict(config or {})

    def encode(self, images, image_shape=None, batch_size=256):
        """Latents (numpy float32) of `images` (uint8, or floats in [-1, 1])."""
        shape = image_shape or tuple(self.network.input_shape[1:])
        x = validation.check_images(images, shape)
        batch_size = validation.check_count(batch_size, "batch_size")
        return np.concatenate([np.asarray(ops.convert_to_numpy(self.network(x[s:s + batch_size])))
                               for s in range(0, len(x), batch_size)]).astype("float32")

    def save(self, folder):
        """Writes `encoder.weights.h5` and `encoder.json` into `folder`
        (a preset folder: `save_pretrained` keeps them on later saves)."""
        folder = pathlib.Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / WEIGHTS_FILE
        self.network.save_weights(str(path))
        first_conv = next(layer for layer in self.network.layers if isinstance(layer, layers.Conv2D))
        config = {"format_version": FORMAT_VERSION, "space": self.space,
                  "image_shape": list(self.network.input_shape[1:]),
                  "latent_shape": list(self.network.output_shape[1:]), "width": first_conv.filters,
                  **self.config, "sha256": presets.sha256(path)}
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        return folder

    @classmethod
    def load(cls, folder):
        """The encoder saved in `folder`, or None if it has none."""
        folder = pathlib.Path(folder)
        if not (folder / CONFIG_FILE).is_file():
            return None
        config = json.loads((folder / CONFIG_FILE).read_text())
        path = folder / WEIGHTS_FILE
        if not path.is_file() or presets.sha256(path) != config.get("sha256"):
            raise ValueError(f"{path} is missing or does not match the sha256 in {CONFIG_FILE}; "
                             "re-download the preset or train the encoder again")
        network = build_network(config["image_shape"], config["latent_shape"], config["width"])
        network.load_weights(str(path))
        return cls(network, config["space"], {k: v for k, v in config.items()
                                              if k not in ("sha256", "space")})


def of(model):
    """The encoder shipped with the preset `model` was loaded from, or None."""
    folder = getattr(model, "preset_path", None)
    return Encoder.load(folder) if folder else None


def train_encoder(model, images, space=None, epochs=5, batch_size=64, learning_rate=1e-3,
                  width=32, seed=0, verbose="auto", backup_dir=None, callbacks=(), **conditions):
    """Trains an inverting encoder for `model` on `images` (its training
    split: the held-out images are what the encoder is judged on).

    iGAN's objective: the mean squared pixel error between each image and
    the frozen generator's drawing of the encoder's latent for it (the
    generator as `latent.project` renders it: sampling weights, inference
    mode, no noise). The generator's weights never change.

    For a conditional family (cGAN, BigGAN, StackGAN) the encoder still
    reads the image alone; the generator draws its latent with the image's
    class (`labels=`) or caption (`captions=`), as `latent.project` does
    later.

    Args:
        model: an image family with a latent space (DCGAN, StyleGAN,
            ProGAN, cGAN, BigGAN, StackGAN).
        images: `(N, H, W, C)` training images (uint8 or [-1, 1]).
        space: the latent space to predict (default: the model's first).
        epochs, batch_size, learning_rate: Adam's schedule.
        width: channels of the first convolution.
        seed: seeds the initial weights and the shuffling.
        verbose: as in `keras.Model.fit` (a progress bar by default).
        backup_dir: where `keras.callbacks.BackupAndRestore` keeps the
            encoder and its optimizer after every epoch; the same call with
            the same folder resumes an interrupted run from its last epoch.
        callbacks: more Keras callbacks for the encoder's `fit`.
        **conditions: what else fixes each image, e.g. `labels=` (the
            training labels) for the class-conditional families,
            `captions=` for StackGAN.

    Returns:
        An `Encoder`.
    """
    space = model.check_latent_space(space)
    x = validation.check_images(images, tuple(model.image_shape))
    fixed = [np.asarray(c) for c in model.latent_conditions(len(x), **conditions)]
    epochs = validation.check_count(epochs, "epochs")
    keras.utils.set_random_seed(seed)
    initial = model.initial_latents(1, space)
    network = build_network(model.image_shape, initial.shape[1:], width, initial_latent=initial[0])
    trainer = _Trainer(network, lambda latents, given: model.render_latents(latents, given, space),
                       name="encoder_trainer")
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    inputs = [x, *fixed] if fixed else x
    # Built before fit, as BackupAndRestore requires (Keras leaves a model with list inputs unbuilt).
    trainer([x[:1], *[c[:1] for c in fixed]] if fixed else x[:1])
    # double_checkpoint: a backup torn by a kill mid-write falls back to the one before.
    backup = [keras.callbacks.BackupAndRestore(str(backup_dir), double_checkpoint=True)] if backup_dir else []
    callbacks = backup + list(callbacks)
    history = trainer.fit(inputs, x, batch_size=batch_size, epochs=epochs,
                          shuffle=True, verbose=verbose, callbacks=callbacks)
    losses = [float(v) for v in history.history["loss"]]
    # The last epoch's mean loss is on [-1, 1]: the RMS error on [0, 1] is its root, halved.
    return Encoder(network, space, {
        "width": int(width), "training": {"images": int(len(x)), "epochs": epochs,
                                          "batch_size": int(batch_size),
                                          "learning_rate": float(learning_rate), "seed": int(seed),
                                          "final_rms_error": float(np.sqrt(losses[-1]) / 2.0)}})

