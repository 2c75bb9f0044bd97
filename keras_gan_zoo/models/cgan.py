"""Class-conditional GAN (Mirza & Osindero 2014), with the projection
discriminator of Miyato & Koyama (2018) as an option."""

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import cards, datasets, tasks, validation
from keras_gan_zoo.layers import gan_normal
from keras_gan_zoo.models.dcgan import DCGAN, discriminator_body, generator_body

DISCRIMINATORS = ("projection", "concat")


def build_conditional_generator(latent_dim, num_classes, image_size, channels, width,
                                embedding_dim, name="generator"):
    """(z, label) -> image: the label's embedding is concatenated to z."""
    z = keras.Input((latent_dim,), name="latents")
    labels = keras.Input((), dtype="int32", name="labels")
    embedded = layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    x = layers.Concatenate()([z, embedded])
    return keras.Model([z, labels], generator_body(x, image_size, channels, width), name=name)


def build_conditional_discriminator(num_classes, image_size, channels, width, mode,
                                    name="discriminator"):
    """(image, label) -> logit.

    `mode="concat"` (Mirza & Osindero, for conv nets): the one-hot label is
    broadcast to label planes concatenated to the image. `mode="projection"`
    (Miyato & Koyama): logit = psi(h) + <embed(y), h>, where h is the
    flattened feature map.
    """
    if mode not in DISCRIMINATORS:
        raise ValueError(f"discriminator must be one of {DISCRIMINATORS}; got {mode!r}")
    images = keras.Input((image_size, image_size, channels), name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    if mode == "concat":
        one_hot = ops.one_hot(labels, num_classes)
        planes = ops.ones_like(images[..., :1]) * one_hot[:, None, None, :]
        x = layers.Concatenate()([images, planes])
    features = discriminator_body(x, image_size, width)
    if mode == "concat":
        logits = layers.Dense(1, kernel_initializer=gan_normal(), dtype="float32")(features)
    else:
        unconditional = layers.Dense(1, kernel_initializer=gan_normal())(features)
        embedded = layers.Embedding(
            num_classes, ops.shape(features)[-1], embeddings_initializer=gan_normal(),
            name="class_projection",
        )(labels)
        projection = ops.sum(embedded * features, axis=-1, keepdims=True)
        logits = layers.Activation("linear", dtype="float32")(unconditional + projection)
    return keras.Model([images, labels], logits, name=name)


def class_fidelity_lines(fidelity):
    """Model-card lines of class fidelity (`keras_gan_zoo.classifier`)."""
    if not fidelity:
        return []
    per_class = cards.per_class(fidelity["per_class"], fidelity, digits=2, percent="%")
    return [
        f"- Class fidelity: **{cards.pct(fidelity['accuracy'])}** of {cards.num(fidelity['num_generated'])} "
        "generated images (equal numbers per class) are classified as the requested class by the "
        "shipped classifier (`keras_gan_zoo.classifier`, trained on the training set only; its own "
        f"test accuracy {cards.pct(fidelity['classifier_test_accuracy'])}). "
        + (cards.command_line(fidelity) if "backend" in fidelity
           else f"Command: `{fidelity.get('command', '')}` (the run that measured the FID)."),
        f"- Per class: {per_class}.",
    ]


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class ConditionalGAN(DCGAN):
    """Class-conditional DCGAN: `generate(n, labels=...)`.

    The generator sees a learned label embedding next to z; the discriminator
    judges (image, label) pairs, by a projection head (default, Miyato &
    Koyama 2018) or by label planes concatenated to the image (Mirza &
    Osindero 2014). `fit(images, labels)` trains on integer labels.

    Args:
        num_classes: number of classes.
        discriminator: `"projection"` or `"concat"`.
        embedding_dim: size of the generator's label embedding.
        Other arguments as `DCGAN`.

    Example:

    >>> gan = kgz.ConditionalGAN(num_classes=10, latent_dim=16, image_size=8, width=4)
    >>> gan.generate(4, labels=[0, 1, 2, 3], seed=0).shape
    (4, 8, 8, 1)
    >>> gan.fit(images, labels, batch_size=16, epochs=1)  # uint8 images, int labels
    """

    task = tasks.CLASS_CONDITIONAL_IMAGE
    card_usage = ("images = model.generate(10, labels=range(10), seed=0)  # one per class",
                  "model.fit(my_images, my_labels, epochs=5)             # the discriminator ships too")
    card_weights = ("the conditional generator, the projection discriminator and the EMA generator; "
                    "`generate` samples from the EMA generator")
    tiny_config = {"num_classes": 3, "latent_dim": 8, "image_size": 16, "channels": 1, "width": 4}

    def __init__(self, num_classes=10, discriminator="projection", embedding_dim=50,
                 latent_dim=100, image_size=28, channels=1, width=64, d_steps=1,
                 ema_decay=0.999, seed=None, **kwargs):
        self.num_classes = int(num_classes)
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2; got {num_classes}")
        self.discriminator_mode = discriminator
        self.embedding_dim = int(embedding_dim)
        super().__init__(latent_dim=latent_dim, image_size=image_size, channels=channels,
                         width=width, d_steps=d_steps, ema_decay=ema_decay, seed=seed, **kwargs)

    def _build_generator(self, name):
        return build_conditional_generator(
            self.latent_dim, self.num_classes, self.image_size, self.channels, self.width,
            self.embedding_dim, name=name,
        )

    def _build_discriminator(self):
        return build_conditional_discriminator(
            self.num_classes, self.image_size, self.channels, self.width, self.discriminator_mode
        )

    # ---- the game ----------------------------------------------------
    def prepare_batch(self, data):
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(images, (tuple, list)) and labels is None and len(images) == 2:
            images, labels = images
        if labels is None:
            raise ValueError(
                "ConditionalGAN trains on (images, labels): call fit(images, labels) or "
                "yield (images, labels) batches."
            )
        batch = {"images": self.scale_batch_images(images, self.image_shape)}
        batch["labels"] = ops.cast(ops.reshape(labels, (-1,)), "int32")
        return batch

    def discriminator_loss(self, batch):
        real_images, labels = batch["images"], batch["labels"]
        latents = self._sample_latents(ops.shape(real_images)[0])
        fake_images = ops.stop_gradient(self.generator([latents, labels], training=True))
        discriminate = lambda x: self.discriminator([x, labels], training=True)
        return self.adversarial_d_loss(discriminate, real_images, fake_images)

    def generator_loss(self, batch):
        labels = batch["labels"]
        latents = self._sample_latents(ops.shape(labels)[0])
        fake_images = self.generator([latents, labels], training=True)
        discriminate = lambda x: self.discriminator([x, labels], training=True)
        return self.adversarial_g_loss(discriminate, fake_images)

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=64, seed=0, columns=None, truncation=None, labels=None, **options):
        """`num` samples cycling through the classes (a row per class when
        `num` is a multiple of `num_classes`), or, with `labels` (class
        numbers or names of the preset's data set, see `class_labels`), a
        row of `num` samples of each."""
        self.reject_options(type(self).__name__, options)
        extra = self.truncation_args(truncation)
        settings = f"seed {seed}" + "".join(f", {k}={v}" for k, v in extra.items())
        if labels:
            classes = self.class_labels(labels)
            images = self.generate(num * len(classes), labels=np.repeat(classes, num), seed=seed, **extra)
            return tasks.Showcase(images=images, columns=columns or num,
                                  summary=f"{num} samples of each of classes {classes.tolist()} ({settings})")
        images = self.generate(num, labels=np.arange(num) % self.num_classes, seed=seed, **extra)
        columns = columns or (self.num_classes if num >= self.num_classes else None)
        return tasks.Showcase(images=images, columns=columns,
                              summary=f"{num} samples, classes 0..{self.num_classes - 1} in turn ({settings})")

    def class_labels(self, labels):
        """Checked int32 labels from class numbers or the names of the classes
        of the data set this preset trained on (`datasets.class_labels`), e.g.
        `["sneaker", "bag"]` for a Fashion-MNIST preset."""
        if isinstance(labels, (str, int, np.integer)):
            labels = [labels]
        try:
            dataset = self._dataset_and_args()[0]
        except ValueError:
            dataset = None  # a model of your own: class numbers only
        return self.check_labels(datasets.class_labels(dataset, labels))

    @classmethod
    def headline(cls, metrics):
        line = super().headline(metrics)
        fidelity = metrics.get("class_fidelity")
        if fidelity:
            line = (line + ", " if line else "") + f"class fidelity {cards.pct(fidelity['accuracy'])}"
        return line

    @classmethod
    def card_sections(cls, metrics):
        return class_fidelity_lines(metrics.get("class_fidelity")) + super().card_sections(metrics)

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        images, _ = super().tiny_data(model, num, seed)
        return images, np.arange(num) % model.num_classes

    # ---- sampling ----------------------------------------------------
    def check_labels(self, labels, num_images=None):
        """Integer labels in [0, num_classes) as an int32 numpy vector; class
        names of the preset's data set ("sneaker") are read as their numbers."""
        if labels is None:
            if num_images is None:
                raise ValueError("Pass num_images or labels.")
            return np.arange(validation.check_count(num_images)) % self.num_classes
        if isinstance(labels, str):
            labels = self.class_labels(labels)[0]
        elif np.ndim(labels) == 1 and np.asarray(labels).dtype.kind in "USO":
            labels = self.class_labels(np.asarray(labels).tolist())
        labels = np.asarray(labels)
        if labels.ndim == 0:
            if num_images is None:
                raise ValueError("A single label needs num_images.")
            labels = np.full(validation.check_count(num_images), labels)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(f"labels must be a non-empty 1-D sequence; got shape {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            if not (np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels))):
                raise ValueError(f"labels must be integers; got dtype {labels.dtype}")
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"labels must be in [0, {self.num_classes - 1}]; got values from "
                f"{labels.min()} to {labels.max()}"
            )
        if num_images is not None and len(labels) != num_images:
            raise ValueError(f"got {len(labels)} labels for num_images={num_images}")
        return labels.astype("int32")

    def generate(self, num_images=None, labels=None, seed=None, latents=None, batch_size=256,
                 use_ema=True, output="uint8"):
        """Samples images of the given classes.

        Args:
            num_images: how many images. With `labels=None`, the classes
                cycle 0, 1, ..., num_classes - 1, 0, ...
            labels: a class (every image of that class) or one class per
                image: numbers, or names of the preset's data set's classes
                (`labels="sneaker"` for a Fashion-MNIST preset).
            seed, latents, batch_size, use_ema, output: as `DCGAN.generate`.

        Returns:
            numpy array `(N, image_size, image_size, channels)`.
        """
        if latents is not None:
            latents = self._check_latents(latents)
            num_images = len(latents)
        labels = self.check_labels(labels, num_images)
        if latents is None:
            latents = self.sample_latents(len(labels), seed)
        elif len(latents) != len(labels):
            raise ValueError(f"got {len(latents)} latents for {len(labels)} labels")
        return self._run_generator([latents, labels], use_ema, batch_size, output)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    condition_name = "labels"

    def own_samples(self, num, seed):
        """`generate`'s samples with the classes in turn, and those classes."""
        return self.generate(num, seed=seed), {"labels": self.check_labels(None, num)}

    def latent_conditions(self, num_images, labels=None, **conditions):
        """`[labels]`: the class of each image projected or drawn (required)."""
        self.reject_options(type(self).__name__, conditions)
        if labels is None:
            raise ValueError(f"{type(self).__name__} draws an image from a latent and a class: "
                             "pass labels= (one class per image)")
        return [self.check_labels(labels, num_images)]

    def generator_inputs(self, num_images, seed=None):
        """`[latents, labels]` with the classes in turn."""
        return [self.sample_latents(num_images, seed), self.check_labels(None, num_images)]

    def validate_fit_data(self, x, y=None):
        x = validation.check_images(x, self.image_shape)
        if y is None:
            raise ValueError("ConditionalGAN.fit needs labels: fit(images, labels).")
        y = self.check_labels(np.asarray(y).reshape(-1))
        if len(y) != len(x):
            raise ValueError(f"got {len(x)} images but {len(y)} labels")
        return x, y

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_classes": self.num_classes,
            "discriminator": self.discriminator_mode,
            "embedding_dim": self.embedding_dim,
        })
        return config
