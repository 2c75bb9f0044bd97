"""Sampling with the discriminator's help: each image is the pick of several
candidates, drawn in proportion to how real the model's own discriminator
finds them.

A discriminator trained with the standard (non-saturating) GAN loss
estimates, at its optimum, the density ratio `p_data(x) / p_g(x)` as
`exp(logit(x))` (Goodfellow et al. 2014). Reweighting the generator's
samples by that ratio moves their distribution towards the data: Azadi et
al. (2019, "Discriminator Rejection Sampling") accept or reject each sample
by it, Turner et al. (2019, "Metropolis-Hastings GANs") run a chain over
independent proposals. `discriminator_resample` does sampling-importance-
resampling (Rubin 1988): for each image it draws `candidates` samples and
keeps one, with probability proportional to `exp(logit / temperature)`.
Every kept image is an independent draw; `temperature=1` is the density
ratio itself, a smaller temperature sharpens the choice (the discriminator
is not at its optimum, so the best temperature is measured, not assumed),
and `candidates=1` is plain sampling. Whether it helps at all depends on
the discriminator: measure it on training images with
`benchmarks/resampling_temperature.py` first (dcgan-mnist: FID 5.72 ->
4.58 on the test images; stylegan-fashion-mnist: worse at every
temperature; see the README).

The logit is a density ratio only for a discriminator at its optimum
against the generator being sampled, which a shipped one is not (it
played against the raw generator, not the EMA one `generate` samples, with
the family's own loss). `calibrated_discriminator` fine-tunes it for the
generator with the logistic loss, inside a `with` block that puts every
weight back on leaving (Azadi et al. train the discriminator further in the
same way before rejecting).

The cost is `candidates` generator and discriminator passes per image. It
needs a shipped discriminator, so it works with every image family that
has a latent space (DCGAN, the class-conditional families, StyleGAN,
ProGAN). A minibatch-standard-deviation discriminator (StyleGAN, ProGAN)
scores the candidates in batches of 32 of each other, as it saw generated
batches in training, so a candidate's weight depends a little on the 7
others of its group (see `ImageGAN.discriminator_logits`).

Example:

>>> import keras_gan_zoo as kgz
>>> from keras_gan_zoo import sampling
>>> gan = kgz.from_pretrained("dcgan-mnist")
>>> images = sampling.discriminator_resample(gan, 64, seed=0, candidates=10, temperature=0.5)
>>> images.shape
(64, 28, 28, 1)

`keras-gan-zoo sample PRESET --resample 10 --temperature 0.5` draws a grid
this way, and `keras-gan-zoo evaluate PRESET --resample 10 --temperature
0.5` measures it (`evaluate_preset`) and records it in the card next to
the plain sampler's figures.
"""

import contextlib
import time

import keras
import numpy as np
from keras import ops
from tqdm.auto import tqdm

from keras_gan_zoo import classifier, datasets, evaluation, latent, presets, tasks, validation

# Images per round: `CHUNK * candidates` candidates are drawn and scored at a
# time, so memory stays bounded; the chunking is part of the seeding (the
# same seed gives the same images whatever the batch size).
CHUNK = 1000


def discriminator_resample(model, num_images, seed=None, candidates=10, temperature=1.0, labels=None,
                           batch_size=256, progress=True, **generate_args):
    """`num_images` images, each chosen among `candidates` of the model's
    samples by its own discriminator (see the module docstring).

    Args:
        model: an image family with a latent space and its discriminator.
        num_images: how many images.
        seed: the same seed gives the same images on every backend (up to a
            candidate whose weight differs from another's by float noise).
        candidates: samples drawn per image (1: plain sampling).
        temperature: weights are `exp(logit / temperature)`; 1 is the
            density-ratio estimate, smaller is choosier.
        labels: class-conditional families: the class of each image (as
            `generate` takes them; every candidate of an image has its class).
        **generate_args: for StackGAN, `captions=` (one per image, or one
            for all; every candidate of an image has its caption, and the
            matching-aware discriminator reads it).
        batch_size: generator and discriminator batch size.
        progress: show a progress bar.
        **generate_args: more arguments of `model.generate` (`truncation=`).

    Returns:
        uint8 numpy images `(num_images, H, W, C)`.

    Example:

    >>> images = sampling.discriminator_resample(gan, 64, seed=0, candidates=10, temperature=0.25)
    >>> bags = sampling.discriminator_resample(cgan, 8, labels="bag", candidates=10)  # a Fashion-MNIST cGAN
    """
    _check_model(model)
    num_images = validation.check_count(num_images)
    candidates = validation.check_count(candidates, "candidates")
    temperature = float(temperature)
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number; got {temperature}")
    name, given = model.condition_name, None  # what fixes each image besides its latent
    if name == "labels":
        given = model.check_labels(labels, num_images)
    elif labels is not None:
        raise ValueError(f"{type(model).__name__} " + ("is unconditional" if name is None else
                                                       f"draws images of {name}, not classes")
                         + ": drop labels=")
    if name == "captions":
        given = model.latent_conditions(num_images, captions=generate_args.pop("captions", None))[0]
    sequence = np.random.SeedSequence(seed)
    chunks = range(0, num_images, CHUNK)
    kept = []
    for start, child in zip(tqdm(chunks, desc=f"resampling ({candidates} candidates per image)",
                                 disable=not progress or len(chunks) < 2), sequence.spawn(len(chunks))):
        count = min(CHUNK, num_images - start)
        draw_seed, pick_seed = (int(s) for s in child.generate_state(2))
        conditions = {} if name is None else {name: np.repeat(given[start:start + count], candidates, axis=0)}
        pool = model.draw(count * candidates, seed=draw_seed, batch_size=batch_size, **conditions,
                          **generate_args)
        logits = latent.discriminator_score(model, pool, batch_size=batch_size, batched=True, **conditions)
        best = pick(logits, candidates, temperature, np.random.default_rng(pick_seed))
        kept.append(pool[np.arange(count) * candidates + best])
    return np.concatenate(kept)


class _InferenceMode(keras.Model):
    """Trains `network` as it scores: called in inference mode (batch-norm
    moving statistics, no spectral-norm power step), so that the function
    fine-tuned is the one `discriminator_logits` evaluates. (A functional
    wrapper would not do: Keras passes fit's `training=True` to every layer
    of a functional graph.)"""

    def __init__(self, network):
        super().__init__(name="calibration")
        self.network = network

    def call(self, inputs):
        return self.network(inputs, training=False)


@contextlib.contextmanager
def calibrated_discriminator(model, images, steps=500, labels=None, batch_size=None, learning_rate=1e-4,
                             seed=0, progress=True):
    """Inside the block, the model's discriminator is fine-tuned for the
    generator it will judge; on leaving it, every weight is as before.

    The logit is a density-ratio estimate only for a discriminator at its
    optimum against the generator being sampled. A shipped discriminator was
    trained against the raw generator while `generate` samples the EMA
    generator, under the family's own loss (hinge, WGAN) and penalties, and
    its game stopped wherever training did. Before rejecting samples,
    Azadi et al. (2019) train the discriminator further against the fixed
    generator and Turner et al. (2019) calibrate its outputs on held-out
    data; this does the first, with the logistic loss whose optimum is
    `log p_data / p_g`: `steps` Adam steps, each one batch of `images`
    (label 1) and one of the model's samples (label 0), the generator
    frozen, in inference mode as the discriminator scores.

    Args:
        model: an image family with a latent space and its discriminator.
        images: real images (uint8 in [0, 255] or floats in [-1, 1]), e.g.
            the training set; never the images a figure is measured on.
        steps: Adam steps, each a real and a generated batch.
        labels: class-conditional families: the class of each image (the
            generated batch of a step takes the real batch's classes).
        batch_size: images per batch (default: 32 for a minibatch-std
            discriminator, as it scores; else 64).
        learning_rate: Adam's rate (beta_1 0.5).
        seed: the batches drawn and the samples generated.
        progress: show a progress bar.

    Yields:
        A record: the settings and, before and after, the mean logit and the
        logistic loss on 512 of `images` and 512 fresh samples.

    Example:

    >>> gan = kgz.from_pretrained("dcgan-fashion-mnist")
    >>> (train, _), _ = datasets.load("fashion_mnist")
    >>> with sampling.calibrated_discriminator(gan, train, steps=500) as record:
    ...     images = sampling.discriminator_resample(gan, 64, seed=0, candidates=10)
    """
    _check_model(model)
    steps = validation.check_count(steps, "steps")
    learning_rate = float(learning_rate)
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number; got {learning_rate}")
    if model.condition_name not in (None, "labels"):
        raise ValueError(f"calibration fine-tunes a discriminator on images of a class or of none; a "
                         f"{type(model).__name__}'s reads {model.condition_name} too, which it does not "
                         "take yet: resample with the discriminator as trained")
    network = model.scoring_network()
    reals = validation.check_images(images, tuple(model.image_shape))
    if model.task is tasks.CLASS_CONDITIONAL_IMAGE:
        if labels is None:
            raise ValueError(f"{type(model).__name__}'s discriminator reads the class: pass labels= "
                             "(one per image)")
        labels = model.check_labels(labels)
        if len(labels) != len(reals):
            raise ValueError(f"got {len(labels)} labels for {len(reals)} images; pass one label per image")
    elif labels is not None:
        raise ValueError(f"{type(model).__name__} is unconditional: drop labels=")
    group = int(getattr(model, "mbstd_group_size", 0) or 0)
    batch_size = validation.check_count(batch_size, "batch_size") if batch_size is not None else (
        8 * group if group else 64)
    if len(reals) < batch_size:
        raise ValueError(f"calibration needs at least a batch of real images ({batch_size}); got {len(reals)}")
    rng = np.random.default_rng(seed)
    probe = rng.choice(len(reals), min(512, len(reals)), replace=False)
    probe_seed = int(rng.integers(2**31))

    def measure():
        conditions = {"labels": labels[probe]} if labels is not None else {}
        real = latent.discriminator_score(model, reals[probe], batched=True, **conditions)
        fake = latent.discriminator_score(model, model.generate(len(probe), seed=probe_seed, **conditions),
                                          batched=True, **conditions)
        # softplus(-x) on real, softplus(x) on generated: the logistic loss
        loss = float(np.mean(np.logaddexp(0, -real)) + np.mean(np.logaddexp(0, fake))) / 2
        return {"real_logit": float(real.mean()), "generated_logit": float(fake.mean()), "loss": loss}

    saved = [np.array(ops.convert_to_numpy(v)) for v in network.variables]
    try:
        start = time.time()
        record = {"steps": steps, "batch_size": batch_size, "learning_rate": learning_rate, "seed": seed,
                  "images": int(len(reals)), "before": measure()}
        trainer = _InferenceMode(network)
        trainer.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                        loss=keras.losses.BinaryCrossentropy(from_logits=True))
        ones, zeros = np.ones((batch_size, 1), "float32"), np.zeros((batch_size, 1), "float32")
        per_round = 50  # steps whose generated batches are drawn in one generate call
        bar = tqdm(total=steps, desc="calibrating the discriminator", disable=not progress)
        for first in range(0, steps, per_round):
            count = min(per_round, steps - first)
            rows = rng.integers(0, len(reals), (count, batch_size))
            conditions = {"labels": labels[rows.reshape(-1)]} if labels is not None else {}
            fakes = validation.check_images(model.generate(count * batch_size, seed=int(rng.integers(2**31)),
                                                           **conditions), tuple(model.image_shape))
            for i, batch in enumerate(rows):
                extra = ([np.asarray(c) for c in model.latent_conditions(batch_size, labels=labels[batch])]
                         if labels is not None else [])
                window = slice(i * batch_size, (i + 1) * batch_size)
                trainer.train_on_batch([reals[batch], *extra] if extra else reals[batch], ones)
                trainer.train_on_batch([fakes[window], *extra] if extra else fakes[window], zeros)
                bar.update(1)
        bar.close()
        record["after"] = measure()
        record["wall_time_s"] = round(time.time() - start, 1)
        yield record
    finally:
        for variable, value in zip(network.variables, saved):
            variable.assign(value)


def pick(logits, candidates, temperature, rng):
    """For each run of `candidates` consecutive logits, the index (within its
    run) of one drawn with probability `softmax(logits / temperature)`: the
    Gumbel-max trick (the argmax of the scaled logits plus Gumbel noise)."""
    keys = np.asarray(logits, "float64") / temperature + rng.gumbel(size=len(logits))
    return np.argmax(keys.reshape(-1, candidates), axis=1)


def _check_model(model):
    """A clear error for a model `discriminator_resample` cannot use."""
    latent.space_of(model)  # an image family that draws from a latent
    if model.scoring_network() is None:
        raise ValueError(f"this {type(model).__name__} has no discriminator to resample with "
                         "(a preset saved without it); sample with generate() instead")


def evaluate_preset(preset, candidates=10, temperature=1.0, num_images=10000, seed=123, num_reference=None,
                    write=True, extractor=None, progress=True, calibrate=None):
    """FID/KID, precision/recall, density/coverage and (data sets with a
    shipped classifier) the class mix of `discriminator_resample` images, by
    the protocol of `keras-gan-zoo evaluate` (the same seed, the same test
    images); recorded as the preset's `metrics["resampling"]` (its card
    shows it next to the plain sampler's figures) unless `write=False`.

    `calibrate=STEPS` resamples inside `calibrated_discriminator` fitted on
    the data set's *training* images (never the test images measured), for
    a discriminator that was not fitted to the sampled generator; its
    record goes in as `calibration`, and the preset's weights stay as they
    were.

    Returns the record.

    Example:

    >>> sampling.evaluate_preset("dcgan-mnist", candidates=10, temperature=0.5, write=False)["fid"]
    >>> sampling.evaluate_preset("stylegan-openmoji", temperature=1.0, num_images=1000, calibrate=500)
    """
    folder = presets.resolve(preset)
    model = presets.load(folder, compile=False)
    _check_model(model)
    if model.condition_name == "captions":
        raise ValueError(f"{folder.name} draws each image from a caption: its resampled figures come from "
                         f"`python benchmarks/stackgan_resampling.py {folder.name}` (held-out captions)")
    training = model.preset_metadata.get("training", {})
    dataset = training.get("dataset") or model.default_dataset
    drawn = []

    def sampler(count, sample_seed):
        drawn.append(discriminator_resample(model, count, seed=sample_seed, candidates=candidates,
                                            temperature=temperature, progress=progress))
        return drawn[-1]

    start = time.time()
    calibration = contextlib.nullcontext()
    if calibrate is not None:
        (images, labels), _ = datasets.load(dataset, **training.get("dataset_args", {}))
        calibration = calibrated_discriminator(
            model, images, steps=calibrate, progress=progress,
            labels=labels if model.task is tasks.CLASS_CONDITIONAL_IMAGE else None)
    with calibration as calibrated:
        result = evaluation.evaluate_model(model, dataset, num_images=num_images, seed=seed, extractor=extractor,
                                           progress=progress, num_reference=num_reference,
                                           dataset_args=training.get("dataset_args", {}), sampler=sampler)
    record = {key: result[key] for key in ("fid", "kid", "kid_std", "precision", "recall", "density",
                                           "coverage", "num_generated", "num_reference", "seed")}
    flags = [f"--resample {candidates}", f"--temperature {temperature:g}",
             f"--num {num_images}" if num_images != 10000 else "",
             f"--seed {seed}" if seed != 123 else "",
             f"--num-reference {num_reference}" if num_reference else "",
             f"--calibrate {calibrate}" if calibrate is not None else ""]
    record.update({"candidates": int(candidates), "temperature": float(temperature),
                   "command": " ".join(["keras-gan-zoo evaluate", folder.name] + [f for f in flags if f])})
    if calibrate is not None:
        record["calibration"] = calibrated
    if model.task is tasks.UNCONDITIONAL_IMAGE and classifier.has_classifier(dataset):
        modes = classifier.mode_coverage(model, dataset, images=drawn[-1],
                                         dataset_args=training.get("dataset_args", {}))
        record["mode_coverage"] = {key: modes[key] for key in (
            "histogram", "classes_covered", "num_classes", "normalized_entropy", "total_variation")}
    record.update({"wall_time_s": round(time.time() - start, 1), **evaluation.provenance()})
    plain = model.preset_metadata.get("metrics", {}).get("fid", {}).get("value")
    print(f"{folder.name}: {candidates} candidates per image at temperature {temperature:g}: FID "
          f"{record['fid']:.3f}" + (f" (plain sampling: {plain:.3f})" if plain is not None else "")
          + f", KID {record['kid']:.5f}, precision {record['precision']:.3f}, recall {record['recall']:.3f}, "
          f"density {record['density']:.3f}, coverage {record['coverage']:.3f} "
          f"({record['num_generated']} generated vs {record['num_reference']} test images, "
          f"{record['wall_time_s']:.0f} s)")
    if write:
        presets.update_metadata(folder, {"metrics": {"resampling": record}})
    return record
