"""`ImageGAN`: what every image family shares (latents, image batches,
sampling in batches, and the discriminator's side of the game with
augmentation and penalties applied in one place)."""

import os
import warnings

import keras
import numpy as np
from keras import ops

from keras_gan_zoo import cards, datasets, gradients, tasks
from keras_gan_zoo import losses as gan_losses
from keras_gan_zoo import validation
from keras_gan_zoo.models.adversarial_model import AdversarialModel


class ImageGAN(AdversarialModel):
    """Base of the image families.

    Besides the `AdversarialModel` contract, an image family writes its
    discriminator's losses with `adversarial_d_loss` / `adversarial_g_loss`,
    which apply, for every family alike:

    - the augmentation chosen at `compile(augment=...)` (DiffAugment, ADA),
      to real and generated images, in both players' losses;
    - the WGAN-GP gradient penalty when `compile(loss="wgan_gp")`;
    - the record of the real logits that steers ADA's probability.

    (WGAN weight clipping is applied by `AdversarialModel` to the players
    with `role="discriminator"`.)
    """

    supports_augmentation = True
    # "truncation" (BigGAN: a threshold on z) or "truncation_psi" (StyleGAN):
    # the generate() argument the CLI's --truncation sets; None: no truncation.
    truncation_argument = None

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=64, seed=0, columns=None, truncation=None, **options):
        """`num` samples for a seed (and a truncation, where the family has one)."""
        self.reject_options(type(self).__name__, options)
        extra = self.truncation_args(truncation)
        images = self.generate(num, seed=seed, **extra)
        return tasks.Showcase(images=images, columns=columns, summary=f"{num} samples (seed {seed}"
                              + "".join(f", {k}={v}" for k, v in extra.items()) + ")")

    def truncation_args(self, truncation):
        """`{truncation_argument: truncation}` for `generate`, or {} for None."""
        if truncation is None:
            return {}
        if self.truncation_argument is None:
            raise ValueError(f"{type(self).__name__} has no truncation trick; drop --truncation")
        return {self.truncation_argument: truncation}

    # ---- the latent space (`keras_gan_zoo.latent`) ----------------------
    # The spaces `latent.project` can search, its default first; () where
    # an input image, not a latent, fixes the output (image-to-image).
    latent_spaces = ()
    # The keyword under which the latent tools take what else fixes each
    # image (`labels` for the class-conditional families, `captions` for
    # text-to-image); None where the latent alone draws it.
    condition_name = None

    def latent_conditions(self, num_images, **conditions):
        """Numpy inputs besides the latent that fix the images (class labels,
        caption embeddings), checked, as a list; unconditional families take
        none."""
        self.reject_options(type(self).__name__, conditions)
        return []

    def draw(self, num, seed, batch_size=256, **conditions):
        """`num` uint8 samples of `image_shape` for `seed`, with the
        conditions the latent tools pass (keywords of `latent_conditions`,
        one per image): `generate` for every family whose first argument is
        a count."""
        return self.generate(num, seed=seed, batch_size=batch_size, **conditions)

    def own_samples(self, num, seed):
        """`num` of the model's samples for `seed` and what they were drawn
        with, as keywords of `latent_conditions` (`{}` for an unconditional
        family): the model's own side of "was this generated?"."""
        return self.generate(num, seed=seed), {}

    def initial_latents(self, num_images, space):
        """Where projection starts in `space`: the mean of its latents."""
        return np.zeros((num_images, self.latent_dim), "float32")

    def random_latents(self, num_images, space, rng):
        """Latents of `space` drawn from its prior with numpy's `rng`
        (where projection restarts)."""
        return rng.standard_normal((num_images, self.latent_dim)).astype("float32")

    def render_latents(self, latents, conditions, space):
        """Images in [-1, 1] (a backend tensor, differentiable with respect to
        `latents`) from latents of `space`, with the sampling generator in
        inference mode and no noise: the map that projection inverts."""
        raise NotImplementedError(f"{type(self).__name__} declares no latent space")

    def discriminator_logits(self, images, conditions, batch_size=256, batched=False):
        """The discriminator's logit per image, in inference mode: how real
        it finds each of `images` (numpy, in [-1, 1], of the model's image
        shape) given the checked `latent_conditions` (class labels); numpy
        `(N,)`, for `latent.discriminator_score`.

        Each image's logit depends on that image alone. A discriminator
        with a minibatch standard deviation (`mbstd_group_size`: StyleGAN,
        ProGAN) reads the spread of the batch, so there each image is scored
        in a batch of the model's own samples (8 per group, as a training
        batch of 32 holds; drawn with seed 0), in place of one of them: one
        discriminator pass per image. `batched=True` scores such images in
        batches of 32 of each other instead, as the discriminator saw a
        batch of generated images in training: about a hundred times
        faster, for many images of the model's own (`sampling`), and each
        logit then depends a little on the 7 others of its group.
        """
        group = int(getattr(self, "mbstd_group_size", 0) or 0)
        if not group or batched:
            size = 8 * group if group else batch_size
            return np.concatenate([np.asarray(ops.convert_to_numpy(self._discriminator_batch(
                images[s:s + size], [c[s:s + size] for c in conditions]))).reshape(-1)
                for s in range(0, len(images), size)])
        context = self.scale_batch_images(self.generate(8 * group, seed=0), tuple(self.image_shape))
        context = np.array(ops.convert_to_numpy(context))  # a writable copy
        logits = []
        for image in images:
            context[0] = image  # the image takes the place of the first sample of group 0
            logits.append(np.asarray(ops.convert_to_numpy(self._discriminator_batch(context, []))).reshape(-1)[0])
        return np.asarray(logits)

    def _discriminator_batch(self, images, conditions):
        """The discriminator's logits on one batch (inference mode)."""
        images = ops.convert_to_tensor(images)
        inputs = [images, *[ops.convert_to_tensor(c) for c in conditions]] if conditions else images
        return self.scoring_network()(inputs, training=False)

    def scoring_network(self):
        """The network behind `discriminator_logits`, as a Keras layer to
        train: called on `images` (in [-1, 1]) or `[images, *conditions]`,
        it returns the logits `_discriminator_batch` returns, sharing the
        discriminator's weights. `sampling.calibrated_discriminator` fine-tunes
        it. A family whose scoring is more than its discriminator on the
        images (ProGAN: a level and a fade-in) overrides this."""
        return self.discriminator

    def check_latent_space(self, space=None):
        """`space` (default: the family's first), or a clear error."""
        if not self.latent_spaces:
            raise ValueError(f"{type(self).__name__} has no latent space to project into "
                             f"(its task is {self.task.name})")
        if space is None:
            return self.latent_spaces[0]
        if space not in self.latent_spaces:
            raise ValueError(f"{type(self).__name__} projects into {list(self.latent_spaces)}; "
                             f"got space={space!r}")
        return space

    @classmethod
    def headline(cls, metrics):
        fid = metrics.get("fid")
        if not fid:
            return None
        return (f"FID {fid['value']:.2f} ({fid.get('num_generated', 0):,} generated vs "
                f"{fid.get('num_reference', 0):,} test images)")

    @classmethod
    def card_sections(cls, metrics):
        return (cards.ema_lines(metrics.get("ema_vs_raw"))
                + cards.truncation_lines(metrics.get("truncation_sweep"))
                + cards.resampling_lines(metrics.get("resampling"), metrics.get("fid"))
                + cards.mode_coverage_lines(metrics.get("mode_coverage"))
                + cards.inversion_lines(metrics.get("inversion"))
                + cards.detection_lines(metrics.get("detection"))
                + cards.memorisation_lines(metrics.get("memorisation")))

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        images = np.random.default_rng(seed).integers(0, 256, (num,) + tuple(model.image_shape))
        return images.astype("uint8"), None

    def held_out_data(self, **dataset_args):
        """The held-out split of the data set this preset trained on (its
        metadata), or of the family's `default_dataset` (an emoji set renders
        only its held-out emoji when not cached; see `datasets.load_held_out`)."""
        name, args = self._dataset_and_args()
        return datasets.load_held_out(name, **{**args, **dataset_args})

    def data_splits(self, **dataset_args):
        """`(train, held_out)` splits of the data set this preset trained on
        (its metadata), or of the family's `default_dataset`."""
        name, args = self._dataset_and_args()
        return datasets.load(name, **{**args, **dataset_args})

    def _dataset_and_args(self):
        training = getattr(self, "preset_metadata", {}).get("training", {})
        if training.get("dataset"):
            return training["dataset"], training.get("dataset_args", {})
        if self.default_dataset:
            return self.default_dataset, {"image_size": self.image_size}
        raise ValueError(f"this {type(self).__name__} records no data set to take held-out inputs from")

    @staticmethod
    def showcase_inputs(inputs, held_out, input_shape, num):
        """The images an image-to-image showcase translates: the first `num`
        of `held_out()` (a function, so that it is read only when needed), or
        your own `inputs` (image files and folders, loaded at `input_shape` by
        `datasets.load_images`, or an image array), with what to call them."""
        if inputs is None or len(inputs) == 0:
            images = held_out()[:num]
            return images, f"{len(images)} held-out"
        paths = (str, os.PathLike)
        if isinstance(inputs, paths) or all(isinstance(i, paths) for i in inputs):
            inputs = datasets.load_images(inputs, image_size=input_shape[0], channels=input_shape[-1])
        else:
            inputs = validation.to_uint8(validation.check_images(inputs, input_shape))
        return inputs, f"{len(inputs)} given"

    @staticmethod
    def pairs_grid(inputs, outputs, columns=8):
        """Rows of inputs over their outputs, `columns` a row (padded)."""
        rows = []
        for start in range(0, len(inputs), columns):
            for part in (inputs[start:start + columns], outputs[start:start + columns]):
                pad = np.zeros((columns - len(part),) + part.shape[1:], part.dtype)
                rows.append(np.concatenate([part, pad]))
        return np.concatenate(rows)

    # ---- the discriminator's side of the game ------------------------
    def augment(self, images):
        """The compiled augmentation of a training batch (identity without)."""
        if self.augmentation is None:
            return images
        return self.augmentation(images, self.seed_generator)

    def observe_real_logits(self, d_real_logits):
        """Records the discriminator's logits on real images (ADA's signal);
        a family that writes its own discriminator loss calls this."""
        if self.augmentation is not None:
            self.augmentation.update_state(d_real_logits, self.gan_loss.decision_boundary)

    def adversarial_d_loss(self, discriminate, real_images, fake_images, real_penalty=None):
        """The discriminator's GAN loss.

        Args:
            discriminate: `images -> logits` (closes over labels, captions or
                the input image a conditional discriminator also reads).
            real_images, fake_images: what the discriminator sees (fakes
                with their gradient already stopped).
            real_penalty: optional `(augmented real images, real logits) ->
                scalar` added to the loss (R1, ProGAN's drift term).
        """
        discriminate = _float32_logits(discriminate)
        real_images, fake_images = self.augment(real_images), self.augment(fake_images)
        d_real_logits = discriminate(real_images)
        d_fake_logits = discriminate(fake_images)
        self.observe_real_logits(d_real_logits)
        loss = self.gan_loss.d_loss(d_real_logits, d_fake_logits)
        if self.gan_loss.gradient_penalty_weight:
            penalty = gan_losses.gradient_penalty(discriminate, real_images, fake_images,
                                                  seed=self.seed_generator)
            loss = loss + self.gan_loss.gradient_penalty_weight * penalty
        if real_penalty is not None:
            loss = loss + real_penalty(real_images, d_real_logits)
        return loss

    def adversarial_g_loss(self, discriminate, fake_images):
        """The generator's GAN loss on (augmented) generated images."""
        return self.gan_loss.g_loss(_float32_logits(discriminate)(self.augment(fake_images)))

    # ---- images ------------------------------------------------------
    @staticmethod
    def gaussian_latents(num_images, latent_dim, seed=None):
        """Standard normal latents drawn with numpy: the same seed gives the
        same latents (and so the same images) on every backend."""
        num_images = validation.check_count(num_images)
        rng = validation.random_generator(seed)
        return rng.standard_normal((num_images, latent_dim)).astype("float32")

    def image_batch(self, data):
        """`{"images": ...}` for an unconditional model: what `fit` yields
        (images, or a tuple whose first element is the images) scaled to
        [-1, 1] and checked against `self.image_shape`."""
        images, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(images, (tuple, list)):
            images, labels = images[0], (images[1] if len(images) > 1 else labels)
        if labels is not None:  # e.g. keras.utils.image_dataset_from_directory yields (images, labels)
            warnings.warn(f"{type(self).__name__} draws images without classes: the labels that come with the "
                          "images are not used. Train a ConditionalGAN or BigGAN to condition on them, or "
                          "pass the images alone (label_mode=None for image_dataset_from_directory).",
                          stacklevel=2)
        return {"images": self.scale_batch_images(images, self.image_shape)}

    def image_pair_batch(self, data, first, second, needs):
        """The two image sets of an image-to-image batch, each scaled by
        `scale_batch_images`: `(x, y)` as `fit(x, y)` yields them, or one
        `(x, y)` tuple as a data set may. `first` and `second` are `(key,
        shape, what)`; `needs` is the error when the second set is missing."""
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if isinstance(x, (tuple, list)) and y is None and len(x) == 2:
            x, y = x
        if y is None:
            raise ValueError(needs)
        return {key: self.scale_batch_images(images, shape, what)
                for images, (key, shape, what) in ((x, first), (y, second))}

    @staticmethod
    def scale_batch_images(images, shape, what="images"):
        """A training batch of images as float32 in [-1, 1]: integer values
        are mapped from [0, 255]; a wrong shape is a clear error (streamed
        data reaches here without the numpy checks of `fit`)."""
        if tuple(images.shape[1:]) != tuple(shape):
            channels_first = len(images.shape) == 4 and images.shape[1] == shape[-1]
            raise ValueError(
                f"expected {what} of shape (N, {', '.join(map(str, shape))}) "
                f"with values in [0, 255] or [-1, 1]; got {tuple(images.shape)}"
                + (": channels-last is required" if channels_first else "")
            )
        if "int" in str(images.dtype):
            images = ops.cast(images, "float32") / 127.5 - 1.0
        return ops.cast(images, "float32")

    @staticmethod
    def predict_images(network, inputs, batch_size=256, output="uint8", output_index=None):
        """Runs `network` in inference mode on numpy `inputs` (an array or a
        list of arrays) in batches; returns numpy images as uint8 or floats
        in [-1, 1]. The sampling methods of every model go through here.
        `output_index` picks one output of a multi-output network."""
        if output not in ("uint8", "float"):
            raise ValueError(f"output must be 'uint8' or 'float'; got {output!r}")
        batch_size = validation.check_count(batch_size, "batch_size")
        parts = inputs if isinstance(inputs, list) else [inputs]
        chunks = []
        with gradients.no_grad():
            for start in range(0, len(parts[0]), batch_size):
                chunk = [p[start:start + batch_size] for p in parts]
                out = network.predict_on_batch(chunk if isinstance(inputs, list) else chunk[0])
                if output_index is not None:
                    out = out[output_index]
                chunks.append(np.asarray(ops.convert_to_numpy(out)))
        images = np.concatenate(chunks, axis=0)
        return validation.to_uint8(images) if output == "uint8" else images

    def recalibrate_ema_batch_norm(self, num_samples=8192, batch_size=512, seed=0):
        """Re-estimates the EMA generator's batch-norm statistics.

        The EMA generator averages weights but copies the generator's
        batch-norm statistics, which were measured on the generator's own
        activations. This runs the EMA generator in training mode on
        `num_samples` latents and sets each moving mean/variance to the
        average over those batches (as SWA does for averaged weights).
        Needs `self.generator_inputs(n, seed)` (the generator's numpy inputs).
        """
        ema = getattr(self, "ema_generator", None)
        if ema is None:
            return
        norms = [layer for layer in ema._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
        if not norms:
            return
        momenta = [layer.momentum for layer in norms]
        inputs = self.generator_inputs(num_samples, seed=seed)
        parts = inputs if isinstance(inputs, list) else [inputs]
        ema.trainable = True  # Keras runs frozen batch norm in inference mode.
        try:
            with gradients.no_grad():
                for k, start in enumerate(range(0, num_samples, batch_size)):
                    for layer in norms:
                        layer.momentum = k / (k + 1.0)  # a running mean over batches
                    chunk = [p[start:start + batch_size] for p in parts]
                    ema(chunk if isinstance(inputs, list) else chunk[0], training=True)
        finally:
            ema.trainable = False
            for layer, momentum in zip(norms, momenta):
                layer.momentum = momentum


def _float32_logits(discriminate):
    """`discriminate` with its logits cast to float32: under a mixed
    precision policy the networks compute in bfloat16 or float16, and the
    losses (and the penalties added to them) stay in float32."""
    return lambda images: ops.cast(discriminate(images), "float32")
