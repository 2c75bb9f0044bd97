"""The latent space as a tool: what one does with a trained generator.

- `interpolate`: a path between two latents (spherical or linear), for
  strips and animations (`save_strip`, `save_gif`); for StyleGAN, paths in
  W are made with `model.map_latents` and drawn with `model.synthesize`.
- `render`: the images of latents of any space.
- `attribute_vector` and `shift`: latent vector arithmetic (Radford et al.
  2015) for an attribute a function measures (`ink` is one), so that its
  effect is a number, not only a picture.
- `project`: the latent whose image is closest to a given image, by iGAN's
  three inversions (Zhu et al. 2016): gradient descent on the pixel error
  ("optimize"), one pass of an inverting encoder ("encoder",
  `keras_gan_zoo.encoder`), or descent from the encoder's guess
  ("hybrid"); `compare_inversions` tabulates the three. StyleGAN projects
  into W (or W+, or Z).
- `generated_score`: "was this image drawn by this model?", from how well
  the model can reconstruct it (its own samples lie on its manifold), and
  optionally from what the model's own discriminator thinks of it
  (`discriminator_score`); `detection` measures its ROC AUC.
- `nearest_neighbours` and `memorisation`: distances to the closest
  training images, to check a generator does not copy them (Goodfellow et
  al. 2014, figure 2).

Every function works on every backend and with every family that draws an
image from a latent (`Family.latent_spaces` is not empty): DCGAN, the
class-conditional families (pass `labels=`), StyleGAN, ProGAN and StackGAN
(pass `captions=`).

Example:

>>> import keras_gan_zoo as kgz
>>> from keras_gan_zoo import latent
>>> gan = kgz.from_pretrained("dcgan-mnist")
>>> a, b = gan.sample_latents(2, seed=0)
>>> strip = gan.generate(latents=latent.interpolate(a, b, steps=8))
>>> latent.save_strip(strip, "path.png")
>>> fit = latent.project(gan, strip[:2], steps=200)
>>> fit.errors  # per-image RMS pixel error on the [0, 1] scale
"""

import dataclasses
import hashlib
import json
import math
import pathlib
import time

import numpy as np
from keras import ops
from PIL import Image
from tqdm.auto import tqdm

from keras_gan_zoo import encoder as encoders
from keras_gan_zoo import cache, evaluation, gradients, tasks, validation
from keras_gan_zoo.models.image_gan import ImageGAN

METHODS = ("slerp", "linear")
PROJECTIONS = ("optimize", "encoder", "hybrid")
# `detection`'s score name with the discriminator (the three signals of `_signals`).
DISCRIMINATOR_SCORE = "projection+discriminator+reconstruction"


def interpolate(start, end, steps=8, method="slerp"):
    """Latents on the path from `start` to `end`, both ends exact.

    Args:
        start, end: latents of one shape, `(D,)` or a batch `(N, D)` of
            pairs (row i of `start` to row i of `end`).
        steps: number of points, at least 2.
        method: `"slerp"` (along the great circle, with the norm changing
            linearly: where Gaussian latents live, White 2016) or
            `"linear"`.

    Returns:
        numpy float32 `(steps, D)`, or `(N, steps, D)` for batches.

    Example:

    >>> a, b = gan.sample_latents(2, seed=0)
    >>> path = latent.interpolate(a, b, steps=8)          # (8, latent_dim)
    >>> latent.save_strip(latent.render(gan, path), "walk.png")
    """
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if start.shape != end.shape or start.ndim not in (1, 2) or start.shape[-1] == 0:
        raise ValueError(f"start and end must be latents of one shape, (D,) or (N, D); got "
                         f"{start.shape} and {end.shape}")
    if not (np.all(np.isfinite(start)) and np.all(np.isfinite(end))):
        raise ValueError("start and end contain NaN or infinite values")
    if isinstance(steps, bool) or int(steps) != steps or steps < 2:
        raise ValueError(f"steps must be an integer >= 2; got {steps!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    a, b = np.atleast_2d(start), np.atleast_2d(end)
    t = np.linspace(0.0, 1.0, int(steps))[None, :, None]
    linear = (1 - t) * a[:, None] + t * b[:, None]
    if method == "linear":
        path = linear
    else:
        norm_a = np.linalg.norm(a, axis=1, keepdims=True)
        norm_b = np.linalg.norm(b, axis=1, keepdims=True)
        unit_a, unit_b = a / np.maximum(norm_a, 1e-12), b / np.maximum(norm_b, 1e-12)
        omega = np.arccos(np.clip(np.sum(unit_a * unit_b, axis=1, keepdims=True), -1.0, 1.0))
        sin = np.sin(omega)[:, None]
        omega = omega[:, None]
        # Directions along the great circle; nearly parallel pairs go straight.
        safe = np.where(sin > 1e-6, sin, 1.0)
        direction = (np.sin((1 - t) * omega) * unit_a[:, None] + np.sin(t * omega) * unit_b[:, None]) / safe
        norms = (1 - t) * norm_a[:, None] + t * norm_b[:, None]
        path = np.where(sin > 1e-6, direction * norms, linear)
    path[:, 0], path[:, -1] = a, b
    path = path.astype(np.float32)
    return path[0] if start.ndim == 1 else path


def _frames(images):
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3) or not len(images):
        raise ValueError(f"expected uint8 images (N, H, W, 1 or 3); got {images.dtype} {images.shape}")
    return [Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image) for image in images]


def save_strip(images, path, columns=None):
    """Saves uint8 images side by side (in rows of `columns`) as one PNG.

    >>> latent.save_strip(gan.generate(16, seed=0), "grid.png", columns=8)
    """
    _frames(images)  # checks them
    grid = tasks.image_grid(np.asarray(images), columns or len(images))
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path


def save_gif(images, path, duration_ms=120, loop=True, scale=1):
    """Saves uint8 images as an animated GIF, there and back when `loop`.

    >>> frames = latent.render(gan, latent.interpolate(*gan.sample_latents(2, seed=0), steps=16))
    >>> latent.save_gif(frames, "walk.gif", scale=4)
    """
    frames = _frames(images)
    if int(scale) > 1:
        frames = [f.resize((f.width * int(scale), f.height * int(scale)), Image.NEAREST) for f in frames]
    if loop and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(duration_ms), loop=0)
    return path


# ---- projection ------------------------------------------------------------

@dataclasses.dataclass
class Projection:
    """The result of `project`.

    Attributes:
        latents: the latents found, in `space` (numpy float32).
        images: their images (uint8).
        errors: per image, the root mean squared pixel error between the
            input and its reconstruction, on the [0, 1] scale.
        space: the latent space searched.
        method: how the latents were found.
        history: mean error over the batch every `record_every` steps.
    """

    latents: np.ndarray
    images: np.ndarray
    errors: np.ndarray
    space: str
    method: str
    history: list


def _adam(steps, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """A numpy Adam on the latents (the generator's weights never move)."""
    state = {"m": 0.0, "v": 0.0, "t": 0}

    def update(x, grad):
        state["t"] += 1
        state["m"] = beta_1 * state["m"] + (1 - beta_1) * grad
        state["v"] = beta_2 * state["v"] + (1 - beta_2) * grad * grad
        m_hat = state["m"] / (1 - beta_1 ** state["t"])
        v_hat = state["v"] / (1 - beta_2 ** state["t"])
        # Cosine decay to zero, so the last steps settle.
        rate = learning_rate * 0.5 * (1 + math.cos(math.pi * (state["t"] - 1) / steps))
        return x - rate * m_hat / (np.sqrt(v_hat) + epsilon)

    return update


def _check_latents(model, latents, space):
    """`latents` as float32 of the shape `space` has, or a clear error."""
    shape = model.initial_latents(1, space).shape[1:]
    try:
        latents = np.asarray(latents, dtype="float32")
    except (TypeError, ValueError):  # ragged rows, text: not an array of numbers
        raise ValueError(f"latents of {type(model).__name__}'s space {space!r} are an array of numbers of "
                         f"shape (N,) + {shape}; got {type(latents).__name__} that is not one "
                         "(rows of different lengths?)") from None
    if latents.ndim != len(shape) + 1 or latents.shape[1:] != shape or not len(latents):
        raise ValueError(f"latents of {type(model).__name__}'s space {space!r} have shape "
                         f"(N,) + {shape}; got {latents.shape}")
    if not np.all(np.isfinite(latents)):
        raise ValueError("latents contain NaN or infinite values")
    return latents


def render(model, latents, space=None, batch_size=256, **conditions):
    """The uint8 images of `latents` of `space` (default: the model's
    first space), drawn as projection draws them: sampling generator,
    inference mode, no noise.

    Example:

    >>> gan = kgz.from_pretrained("stylegan-fashion-mnist")
    >>> w = gan.map_latents(gan.sample_latents(4, seed=0))
    >>> latent.render(gan, w, space="w").shape
    (4, 32, 32, 1)
    """
    space = space_of(model, space)
    latents = _check_latents(model, latents, space)
    batch_size = validation.check_count(batch_size, "batch_size")
    conditions = model.latent_conditions(len(latents), **conditions)
    return validation.to_uint8(_render_float(model, latents, conditions, space, batch_size))


def _render_float(model, latents, conditions, space, batch_size):
    """Images in [-1, 1] (numpy) of checked latents and conditions."""
    return np.concatenate([
        np.asarray(ops.convert_to_numpy(model.render_latents(
            ops.convert_to_tensor(latents[s:s + batch_size]), [c[s:s + batch_size] for c in conditions],
            space))) for s in range(0, len(latents), batch_size)])


# Adam's rate on the latents, in every space: on 50 held-out images (200 steps)
# it lowers the optimisation error of every preset tried but dcgan-mnist (even)
# against the earlier 0.05 in Z and 0.01 in W (benchmarks/projection_rate.py,
# table in benchmarks/RESULTS.md).
LEARNING_RATE = 0.1
# Images `project` descends together (the restarts' draws follow the batches).
PROJECTION_BATCH = 256


def project(model, images, method="optimize", space=None, steps=200, learning_rate=LEARNING_RATE,
            restarts=1, batch_size=PROJECTION_BATCH, seed=0, progress=True, encoder=None, checkpoint=None,
            bank=0, **conditions):
    """Finds latents whose images reproduce `images`.

    Args:
        model: an image family with a latent space (DCGAN, cGAN, BigGAN,
            StyleGAN, ProGAN, StackGAN).
        images: `(N, H, W, C)` of the model's image shape: uint8, or
            floats in [-1, 1].
        method: iGAN's three inversions. `"optimize"`: Adam on the latent
            from the mean latent, minimising the pixel error. `"encoder"`:
            one pass of an inverting encoder (`keras_gan_zoo.encoder`), no
            descent. `"hybrid"`: the descent of "optimize", starting from
            the encoder's latent instead of the mean latent.
        space: where to search (`model.latent_spaces`; the first is the
            default: Z, or W for StyleGAN); with an encoder, its space.
        steps: descent steps (cosine-decayed rate).
        learning_rate: Adam's rate, cosine-decayed to zero over the steps.
        restarts: descents per image, the first from the mean latent, the
            others from latents drawn from the prior; the best is kept
            (more restarts escape more local minima, at that many times
            the cost).
        seed: seeds the restarts and the jitter of the first start.
        bank: 0, or a coarse search before the descent ("optimize" on an
            unconditional family): a number of latents drawn from the prior
            (seeded by `seed`, never the draws of `model.generate`), or
            latents of `space` to search; their images are drawn once, and
            each image's `restarts` descents start from the bank latents
            whose images are nearest to it in pixels, in place of the mean
            latent and random draws.
        encoder: an `encoder.Encoder` for "encoder" and "hybrid" (default:
            the one shipped with the model's preset).
        checkpoint: a folder that keeps each finished batch of `batch_size`
            images (its latents, in one `.npz`, written atomically), for
            long descents that may be killed: the same call again with the
            same folder takes the finished batches from it and descends
            only the others, and returns what one uninterrupted call does.
            A folder written by another call (other images, settings or
            weights) is refused, never mixed in.
        **conditions: what else fixes the image (`model.condition_name`):
            `labels=` for the class-conditional families, `captions=` for
            StackGAN (strings or unit embeddings; one per image, or one for
            all).

    Returns:
        A `Projection`.

    Example:

    >>> fit = latent.project(gan, images, steps=1000, restarts=4, batch_size=25,
    ...                      checkpoint="runs/projection")  # killed? run it again
    """
    if method not in PROJECTIONS:
        raise ValueError(f"method must be one of {PROJECTIONS}; got {method!r}")
    bank = _check_bank(bank, method)
    requested, space = space, space_of(model, space)
    if method != "optimize":
        encoder = _encoder_for(model, encoder, method, requested)
        space = model.check_latent_space(encoder.space)
    targets = validation.check_images(images, tuple(model.image_shape))  # [-1, 1]
    steps = validation.check_count(steps, "steps")
    batch_size = validation.check_count(batch_size, "batch_size")
    restarts = validation.check_count(restarts, "restarts")
    conditions = model.latent_conditions(len(targets), **conditions)
    bank = _start_bank(model, bank, space, conditions, restarts, seed, batch_size)
    rate = LEARNING_RATE if learning_rate is None else learning_rate
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not rate > 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate}")
    if method == "encoder":
        latents = encoder.encode(targets, batch_size=batch_size)
        return _projection(model, targets, latents, conditions, space, method, batch_size, [])
    rng = np.random.default_rng(seed)
    found, history = [], []
    keep = None if checkpoint is None else _BatchCheckpoint(
        checkpoint, model, encoder if method == "hybrid" else None,
        {"method": method, "space": space, "steps": steps, "learning_rate": float(rate),
         "restarts": restarts, "batch_size": batch_size, "seed": seed,
         **({"bank": bank[2]} if bank else {})})
    bar = tqdm(total=steps * math.ceil(len(targets) / batch_size), desc=f"projecting into {space}",
               disable=not progress)
    for start in range(0, len(targets), batch_size):
        part = slice(start, start + batch_size)
        count = len(targets[part])
        # Every restart of every image in one batch: image i's r-th start is row r * count + i.
        target = ops.convert_to_tensor(np.concatenate([targets[part]] * restarts))
        fixed = [np.concatenate([c[part]] * restarts) for c in conditions]

        def errors(latents, target=target, fixed=fixed):
            rendered = model.render_latents(latents, fixed, space)
            return ops.mean(ops.square(rendered - target), axis=(1, 2, 3))

        step = gradients.value_and_input_gradient(errors)
        if method == "hybrid":
            z = np.concatenate([encoder.encode(targets[part], batch_size=batch_size)] * restarts)
        else:
            z = model.initial_latents(count * restarts, space)
        z = z + 1e-3 * rng.standard_normal(z.shape)
        if restarts > 1:
            z[count:] = model.random_latents(count * (restarts - 1), space, rng)
        if bank:  # (after the draws above, so that every batch's draws stay as they are)
            z = _nearest_starts(bank, targets[part], restarts)
        z = z.astype(np.float32)
        # Every draw above is made for a kept batch too, so the batches after it start as they would.
        kept = None if keep is None else keep.load(start, targets[part], [c[part] for c in conditions])
        if kept is not None:
            found.append(kept["latents"])
            history.extend(kept["history"].tolist())
            bar.update(steps)
            continue
        update = _adam(steps, rate)
        for i in range(steps + 1):
            values, grad = step(z)
            if i == steps:  # the errors of the final latents
                break
            z = update(z, grad).astype(np.float32)
            if start == 0 and i % 10 == 0:
                history.append(float(np.sqrt(np.mean(values[:count])) / 2.0))
            bar.update(1)
        best = np.argmin(values.reshape(restarts, count), axis=0)
        found.append(z.reshape((restarts, count) + z.shape[1:])[best, np.arange(count)])
        if keep is not None:
            keep.save(start, targets[part], [c[part] for c in conditions], found[-1],
                      history if start == 0 else [])
    bar.close()
    return _projection(model, targets, np.concatenate(found), conditions, space, method,
                       batch_size, history)


def _check_bank(bank, method):
    """`project`'s `bank` argument: None for 0, else a count or latents (of
    a shape checked where the space is known), or a clear error."""
    if isinstance(bank, bool) or bank is None or (isinstance(bank, (int, np.integer)) and bank < 0):
        raise ValueError(f"bank must be 0, a positive integer or latents; got {bank!r}")
    if isinstance(bank, (int, np.integer)) and bank == 0:
        return None
    if method != "optimize":
        raise ValueError(f"bank= chooses where the descent starts; method={method!r} starts from the "
                         "encoder's latent: use one or the other")
    return bank


def _bank_record(bank):
    """What a result records of a checked bank: nothing for none, the count
    for one drawn from the prior, the count and a digest for given latents."""
    if bank is None:
        return {}
    if isinstance(bank, (int, np.integer)):
        return {"bank": int(bank)}
    given = np.asarray(bank, np.float32)
    return {"bank": len(given), "bank_sha256": hashlib.sha256(given.tobytes()).hexdigest()[:16]}


def _start_bank(model, bank, space, conditions, restarts, seed, batch_size):
    """`project`'s bank: (latents, their images flattened, its key for a
    checkpoint), or None."""
    if bank is None:
        return None
    given = None if isinstance(bank, (int, np.integer)) else _check_latents(model, bank, space)
    if conditions:
        raise ValueError(f"bank= searches one set of images for every target, which a class-conditional "
                         f"{type(model).__name__} draws per class: use bank=0")
    size = int(bank) if given is None else len(given)
    if size < restarts:
        raise ValueError(f"bank ({size} latents) must hold at least one latent per restart ({restarts})")
    if given is None:
        latents, key = model.random_latents(size, space, np.random.default_rng([seed, 1])), size
    else:
        latents, key = given, _bank_record(given)["bank_sha256"]
    latents = np.asarray(latents, np.float32)
    images = _render_float(model, latents, [], space, batch_size)
    return latents, images.reshape(len(images), -1).astype(np.float64), key


def _nearest_starts(bank, targets, restarts):
    """Per target, the `restarts` bank latents nearest in pixels, laid out as
    `project` descends them (row r * count + i: image i's r-th start)."""
    latents, flat, _ = bank
    t = np.asarray(targets, np.float64).reshape(len(targets), -1)
    distances = (np.square(t).sum(1)[:, None] - 2.0 * t @ flat.T + np.square(flat).sum(1)[None])
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :restarts]  # (count, restarts)
    return latents[nearest.T.reshape(-1)].copy()


class _BatchCheckpoint:
    """`project`'s kept batches: `batch-<first image>.npz` in a folder, each
    with the batch's best latents, its share of the error history and a key
    (the settings, and the sha256 of the weights, the batch's images and its
    conditions) that a later call must match to reuse it."""

    def __init__(self, folder, model, encoder, settings):
        self.folder = pathlib.Path(folder)
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
        networks = [model] + ([encoder.network] if encoder is not None else [])
        for variable in (v for network in networks for v in network.weights):
            digest.update(np.ascontiguousarray(ops.convert_to_numpy(variable.value)).tobytes())
        self.base = digest.hexdigest()

    def _key(self, targets, conditions):
        digest = hashlib.sha256(self.base.encode())
        for array in [targets, *conditions]:
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def _path(self, start):
        return self.folder / f"batch-{start:06d}.npz"

    def load(self, start, targets, conditions):
        path = self._path(start)
        if not path.is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            kept = {name: data[name] for name in data.files}
        if str(kept.get("key")) != self._key(targets, conditions):
            raise ValueError(
                f"{path} was written by another projection (other images, settings or weights): "
                "delete the folder or pass another checkpoint= to start afresh")
        return kept

    def save(self, start, targets, conditions, latents, history):
        with cache.replacing(self._path(start)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, latents=latents, history=np.asarray(history, "float64"),
                         key=np.asarray(self._key(targets, conditions)))


def _projection(model, targets, latents, conditions, space, method, batch_size, history):
    reconstructed = _render_float(model, latents, conditions, space, batch_size)
    # RMS error on the [0, 1] scale: the [-1, 1] error halved.
    rms = np.sqrt(np.mean(np.square(reconstructed - targets), axis=(1, 2, 3))) / 2.0
    return Projection(latents=latents, images=validation.to_uint8(reconstructed), errors=rms,
                      space=space, method=method, history=history)


def _encoder_for(model, encoder, method, requested_space):
    """The encoder for `method`, or a clear error when there is none or it
    predicts another space than the one asked for."""
    encoder = encoder if encoder is not None else encoders.of(model)
    if encoder is None:
        raise ValueError(
            f"method={method!r} needs an inverting encoder: this {type(model).__name__} has none "
            "(its preset ships no encoder.json). Train one with "
            "keras_gan_zoo.encoder.train_encoder(model, training_images) and pass encoder=, "
            "or use method='optimize'")
    if requested_space is not None and encoder.space != requested_space:
        raise ValueError(f"the encoder predicts latents of space {encoder.space!r}, not "
                         f"{requested_space!r}: leave space= unset or pass {encoder.space!r}")
    if tuple(encoder.network.input_shape[1:]) != tuple(model.image_shape):
        raise ValueError(f"the encoder reads images of shape {encoder.network.input_shape[1:]}; "
                         f"this model draws {tuple(model.image_shape)}")
    return encoder


def compare_inversions(model, images, steps=200, restarts=1, encoder=None, seed=0, progress=True,
                       learning_rate=LEARNING_RATE, **conditions):
    """iGAN's table (Zhu et al. 2016, table 1): the reconstruction error of
    the three inversions of the same `images` (held-out real images, to be
    fair to the encoder, which was trained on the training split).

    Returns:
        A dict: `rows`, one per method ("encoder", "optimize", "hybrid"),
        each with the mean and median RMS pixel error on [0, 1] and the wall
        time; and `num`, `steps`, `restarts`, `space`.

    Example:

    >>> images, _ = latent.held_out_sample(gan, num=50)
    >>> table = latent.compare_inversions(gan, images, steps=200)
    >>> [(row["method"], round(row["mean_rms_error"], 4)) for row in table["rows"]]
    """
    rows = []
    for method in ("encoder", "optimize", "hybrid"):
        start = time.time()
        fit = project(model, images, method=method, steps=steps, restarts=restarts, seed=seed,
                      encoder=encoder, progress=progress, learning_rate=learning_rate, **conditions)
        rows.append({"method": method, "mean_rms_error": float(np.mean(fit.errors)),
                     "median_rms_error": float(np.median(fit.errors)),
                     "wall_time_s": round(time.time() - start, 1)})
    return {"rows": rows, "num": int(len(fit.errors)), "steps": int(steps), "restarts": int(restarts),
            "learning_rate": float(learning_rate), "space": fit.space}


def held_out_sample(model, num=200, seed=0):
    """The `num` held-out test images of the model's data set that the
    latent commands score (a seeded choice without replacement), and their
    labels or captions (None where the data set has none).

    >>> images, labels = latent.held_out_sample(kgz.from_pretrained("cgan-mnist"), num=8)
    """
    num = validation.check_count(num, "num")
    _, (x_test, y_test) = model.data_splits()
    if num > len(x_test):
        raise ValueError(f"the data set holds {len(x_test)} held-out images; asked for {num}")
    pick = np.random.default_rng(seed).choice(len(x_test), num, replace=False)
    return x_test[pick], (None if y_test is None else y_test[pick])


def space_of(model, space=None):
    """The latent space `space` of `model` (default: its first), or a clear
    error for a model that has none."""
    if not isinstance(model, ImageGAN):
        raise ValueError(f"{type(model).__name__} draws no images: it has no latent space to project into")
    return model.check_latent_space(space)


def generated_score(model, images, steps=200, discriminator=False, calibration=200, seed=0, **options):
    """Per image, how likely it is that `model` drew it (higher: more
    likely). A model's own samples lie on its manifold and reconstruct
    almost exactly; other images (real ones, another model's) do not.

    Args:
        model: an image family with a latent space.
        images: `(N, H, W, C)` uint8, or floats in [-1, 1].
        steps: descent steps of the projection.
        discriminator: False: minus the RMS error of the best
            reconstruction by `project`. True: three signals, each divided
            by its spread over `calibration` of the model's own samples
            (drawn with `seed + 1` and projected alike) and summed with the
            signs that make own samples score high: the log of that error;
            the model's own discriminator logit (`discriminator_score`); and
            that logit less the part the reconstruction's logit predicts
            (the regression slope fitted on the own samples), which asks
            "how much more real than the nearest image the generator draws
            does this look?" and so cancels the discriminator's preference
            for some contents over others. The discriminator was trained to
            tell exactly this generator's samples from real images, so it
            adds what the pixels miss (StyleGAN's noise maps, which
            projection cannot reproduce).
        calibration: own samples that set the spreads (discriminator=True).
        seed: seeds the projection's restarts (and the calibration samples).
        **options: go to `project` (e.g. `space=`, `restarts=`, `labels=`).

    Example:

    >>> gan = kgz.from_pretrained("stylegan-fashion-mnist")
    >>> own, real = gan.generate(8, seed=1), gan.data_splits()[1][0][:8]
    >>> latent.generated_score(gan, np.concatenate([own, real]), discriminator=True)
    """
    if not discriminator:
        return -project(model, images, steps=steps, seed=seed, **options).errors
    return scores_with_discriminator(model, images, steps, calibration, seed, **options)[0]


def scores_with_discriminator(model, images, steps=200, calibration=200, seed=0, **options):
    """`generated_score(..., discriminator=True)` of `images`, and the same
    score of the `calibration` own samples that set its scale: a reference
    for reading the first (own samples score around the second's median)."""
    calibration = validation.check_count(calibration, "calibration")
    name = model.condition_name
    conditions = {name: options.pop(name)} if name is not None and name in options else {}
    folder = options.pop("checkpoint", None)
    kept = lambda name: None if folder is None else pathlib.Path(folder) / name
    signals, _ = _signals(model, images, conditions, steps=steps, seed=seed, checkpoint=kept("scored"),
                          **options)
    own, own_conditions = model.own_samples(calibration, seed + 1)
    own_signals, _ = _signals(model, own, own_conditions, steps=steps, seed=seed,
                              checkpoint=kept("calibration"), **options)
    return _calibrated_score(signals, own_signals), _calibrated_score(own_signals, own_signals)


def _signals(model, images, conditions, discriminator=True, **options):
    """What the scores read of each image, and the projection's space: the
    projection's RMS error (`options` go to `project`) and, with the
    discriminator, the logit of the image and the logit of its
    reconstruction."""
    fit = project(model, images, **options, **conditions)
    if not discriminator:
        return (fit.errors,), fit.space
    return (fit.errors, discriminator_score(model, images, **conditions),
            discriminator_score(model, fit.images, **conditions)), fit.space


def discriminator_score(model, images, batch_size=256, batched=False, **conditions):
    """Per image, the logit the model's own discriminator gives it
    (inference mode; higher: the discriminator finds it more real), for the
    image families that ship their discriminator. An image's score does not
    depend on the other images passed with it (see
    `ImageGAN.discriminator_logits` for discriminators that read batch
    statistics).

    `conditions`: what else the discriminator reads (`labels=` for the
    class-conditional families, `captions=` for StackGAN). `batched`: see
    `ImageGAN.discriminator_logits` (faster for a minibatch-std
    discriminator, each score then reading its batch-mates a little).

    Example:

    >>> gan = kgz.from_pretrained("stylegan-fashion-mnist")
    >>> latent.discriminator_score(gan, gan.generate(4, seed=0)).shape
    (4,)
    """
    space_of(model)  # an image family with a generator to invert
    targets = validation.check_images(images, tuple(model.image_shape))
    batch_size = validation.check_count(batch_size, "batch_size")
    conditions = model.latent_conditions(len(targets), **conditions)
    return np.asarray(model.discriminator_logits(targets, conditions, batch_size=batch_size, batched=batched),
                      "float64")


def _calibrated_score(signals, own_signals):
    """generated_score with the discriminator, from `_signals` of the scored
    images and of the model's own calibration samples: minus the log error,
    minus the logit and minus the logit's residual given the
    reconstruction's logit (slope fitted on the own samples), each over its
    standard deviation on the own samples (own samples reconstruct better
    and look less real to the discriminator that was trained against them,
    also compared with their reconstructions)."""
    log_error = lambda e: np.log(np.maximum(np.asarray(e, "float64"), 1e-8))
    own_errors, own_logits, own_reconstructed = (np.asarray(x, "float64") for x in own_signals)
    spread = np.var(own_reconstructed)
    slope = float(np.cov(own_logits, own_reconstructed, bias=True)[0, 1] / spread) if spread > 0 else 0.0
    residual = lambda logits, reconstructed: np.asarray(logits) - slope * np.asarray(reconstructed)
    unit = lambda value, own_value: value / max(float(np.std(own_value)), 1e-8)
    errors, logits, reconstructed = signals
    return (-unit(log_error(errors), log_error(own_errors)) - unit(np.asarray(logits, "float64"), own_logits)
            - unit(residual(logits, reconstructed), residual(own_logits, own_reconstructed)))


def detection(model, real_images, real_labels=None, num=200, method="optimize", steps=200, restarts=1,
              seed=0, other_images=None, other_labels=None, progress=True, learning_rate=LEARNING_RATE,
              discriminator=False, batch_size=PROJECTION_BATCH, checkpoint=None, bank=0):
    """"Was this image generated by this model?", measured: the ROC AUC of
    `generated_score` separating `num` of the model's own samples from
    held-out real images (and, given `other_images`, from another model's
    samples of the same data set).

    Args:
        model: an image family with a latent space.
        real_images: held-out real images (never the training split);
            the first `num` are used.
        real_labels: what else fixes each image, for a conditional model:
            its class (class-conditional) or its caption (text-to-image).
            Each image is projected with it, and the model's own samples
            with what they were drawn from (`ImageGAN.own_samples`).
        num: images on each side.
        method, steps, restarts, learning_rate, bank: how `project` inverts each image.
        seed: the model's samples and the restarts.
        other_images, other_labels: another model's samples (and their
            classes or captions, for a conditional model).
        discriminator: score with the projection error and the model's
            discriminator (`generated_score(..., discriminator=True)`); the
            calibration uses `num` more own samples (seed + 1), never the
            scored ones, and the result keeps each signal's own AUC too.
        batch_size: images projected together.
        checkpoint: a folder that keeps every finished batch of every side
            (`project`'s `checkpoint`, one subfolder a side), so that a
            long measurement killed midway goes on where it stopped when
            called again, with the same result.

    Returns:
        A dict with the AUCs (`auc_own_vs_real`, `auc_own_vs_other`), the
        mean RMS reconstruction error of each side, and the settings.

    Example:

    >>> _, (x_test, y_test) = model.data_splits()
    >>> latent.detection(model, x_test[:200], method="hybrid")["auc_own_vs_real"]
    """
    num = validation.check_count(num, "num")
    checked = _check_bank(bank, method)
    if checked is not None and not isinstance(checked, (int, np.integer)):
        bank = checked = _check_latents(model, checked, space_of(model))  # before anything is projected
    recorded_bank = _bank_record(checked)
    condition = model.condition_name
    kept = lambda name: None if checkpoint is None else pathlib.Path(checkpoint) / name

    def side(images, labels, what, name):
        images = np.asarray(images)[:num]
        if len(images) < num:
            raise ValueError(f"detection needs {num} {what}; got {len(images)}")
        if condition is not None and labels is None:
            raise ValueError(f"{type(model).__name__} draws each image from its {condition}: pass the "
                             f"{what}' {condition}")
        conditions = {condition: np.asarray(labels)[:num]} if condition is not None else {}
        return _signals(model, images, conditions, discriminator, method=method, steps=steps,
                        restarts=restarts, seed=seed, progress=progress, learning_rate=learning_rate,
                        batch_size=batch_size, checkpoint=kept(name), bank=bank)

    own, own_conditions = model.own_samples(num, seed)
    sides = {"own": side(own, own_conditions.get(condition), "own samples", "own"),
             "real": side(real_images, real_labels, "real images", "real")}
    if other_images is not None:
        sides["other"] = side(other_images, other_labels, "other model's samples", "other")
    result = {"num": num, "method": method, "steps": int(steps), "restarts": int(restarts),
              "batch_size": int(batch_size), "learning_rate": float(learning_rate), "space": sides["own"][1],
              **recorded_bank}
    if discriminator:
        calibration, calibration_conditions = model.own_samples(num, seed + 1)
        own_signals, _ = side(calibration, calibration_conditions.get(condition), "calibration samples",
                              "calibration")
        result.update({"score": DISCRIMINATOR_SCORE, "calibration": num})
        scores = {name: _calibrated_score(signals, own_signals) for name, (signals, _) in sides.items()}
    else:
        scores = {name: -signals[0] for name, (signals, _) in sides.items()}
    for name, (signals, _) in sides.items():
        result[f"rms_error_{name}"] = float(np.mean(signals[0]))
        if name == "own":
            continue
        result[f"auc_own_vs_{name}"] = roc_auc(scores["own"], scores[name])
        if discriminator:
            result[f"auc_own_vs_{name}_projection"] = roc_auc(-sides["own"][0][0], -signals[0])
            result[f"auc_own_vs_{name}_discriminator"] = roc_auc(-sides["own"][0][1], -signals[1])
    return result

# ---- vector arithmetic -----------------------------------------------------
def ink(images):
    """Per image, the mean intensity on the [0, 1] scale: how much ink a
    light-on-dark digit or garment carries (thicker strokes, fuller shapes
    score higher). An attribute score for `attribute_vector`."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return images.reshape(len(images), -1).mean(axis=1) / scale


@dataclasses.dataclass
class Attribute:
    """The result of `attribute_vector`.

    Attributes:
        vector: mean latent of the highest-scoring samples minus that of
            the lowest-scoring ones (numpy float32, one latent's shape).
        space: the latent space it lives in.
        high_score, low_score: mean score of the two groups.
        mean_score: mean score of all `num` samples.
        num: samples drawn; `fraction` of them make each group.
    """

    vector: np.ndarray
    space: str
    high_score: float
    low_score: float
    mean_score: float
    num: int
    fraction: float


def attribute_vector(model, score, num=2000, fraction=0.1, groups=None, space=None, seed=0,
                     batch_size=256, **conditions):
    """A direction in latent space along which the attribute `score`
    measures grows: the mean latent of the top `fraction` of `num` random
    samples by `score` minus the mean latent of the bottom `fraction`.

    Radford et al. (2015) average the latents of a few hand-picked
    exemplars ("smiling woman" - "neutral woman"); ranking many samples by
    a measured attribute gives the same kind of vector, and `score` then
    measures what adding it does (see `benchmarks/vector_arithmetic.py`).

    An attribute often goes with others: on MNIST the inkiest digits are
    mostly 0s and 8s and the faintest mostly 1s, so "inky minus faint" also
    turns 1s into 0s. `groups` holds those fixed, as "smiling woman minus
    neutral woman" holds "woman": samples are ranked within each group
    (e.g. the class a classifier reads) and the group differences are
    averaged, weighted by group size.

    Args:
        model: an image family with a latent space.
        score: a function from uint8 images `(N, H, W, C)` to N numbers
            (e.g. `latent.ink`, or a classifier's probability of a class).
        num: samples to rank.
        fraction: share of `num` in each of the two groups (0 < f <= 0.5),
            within each of `groups`.
        groups: optional function from uint8 images to N group labels
            (e.g. a classifier's classes); groups with fewer than 2 /
            `fraction` samples are left out.
        space: the latent space (default: the model's first).
        seed: seeds the samples.
        **conditions: e.g. `labels=` (N classes) for class-conditional
            families.

    Returns:
        An `Attribute`; `shift(latents, attribute.vector, amount)` applies it.

    Example:

    >>> gan = kgz.from_pretrained("dcgan-mnist")
    >>> thick = latent.attribute_vector(gan, latent.ink, num=2000)
    >>> z = gan.sample_latents(8, seed=1)
    >>> bolder = latent.render(gan, latent.shift(z, thick.vector, 1.0))
    """
    space = space_of(model, space)
    num = validation.check_count(num, "num")
    if not 0.0 < float(fraction) <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5]; got {fraction}")
    latents = model.random_latents(num, space, np.random.default_rng(seed)).astype("float32")
    images = render(model, latents, space, batch_size, **conditions)
    values = np.asarray(score(images), np.float64)
    if values.shape != (num,) or not np.all(np.isfinite(values)):
        raise ValueError(f"score must return {num} finite numbers, one per image; "
                         f"got an array of shape {values.shape}")
    labels = np.zeros(num, int) if groups is None else np.asarray(groups(images))
    if labels.shape != (num,):
        raise ValueError(f"groups must return {num} labels, one per image; got shape {labels.shape}")
    vector, high, low, weight = 0.0, [], [], 0
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        size = int(round(float(fraction) * len(members)))
        if size < 1:
            continue  # too few samples in this group to rank
        order = members[np.argsort(values[members], kind="stable")]
        low.append(order[:size])
        high.append(order[-size:])
        difference = latents[order[-size:]].mean(axis=0) - latents[order[:size]].mean(axis=0)
        vector, weight = vector + len(members) * difference, weight + len(members)
    if not weight:
        raise ValueError(f"no group has the {1 / float(fraction):.0f} samples it takes to rank; "
                         "raise num or fraction")
    high, low = np.concatenate(high), np.concatenate(low)
    return Attribute(vector=(vector / weight).astype("float32"), space=space,
                     high_score=float(values[high].mean()), low_score=float(values[low].mean()),
                     mean_score=float(values.mean()), num=num, fraction=float(fraction))


def shift(latents, vector, amount=1.0):
    """`latents + amount * vector` (each latent moved along the attribute).

    >>> bolder = latent.shift(gan.sample_latents(8, seed=1), thick.vector, amount=1.5)
    """
    latents, vector = np.asarray(latents, "float32"), np.asarray(vector, "float32")
    if latents.shape[1:] != vector.shape:
        raise ValueError(f"vector has shape {vector.shape}; each latent has shape {latents.shape[1:]}")
    return latents + np.float32(amount) * vector


def roc_auc(positive_scores, negative_scores):
    """Area under the ROC curve: the probability that a random positive
    scores above a random negative (ties count half)."""
    pos, neg = np.asarray(positive_scores, np.float64), np.asarray(negative_scores, np.float64)
    if pos.ndim != 1 or neg.ndim != 1 or not len(pos) or not len(neg):
        raise ValueError("expected two non-empty 1-D score arrays")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


# ---- memorisation ----------------------------------------------------------

def _vectors(images, space, extractor, progress):
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"expected uint8 images (N, H, W, C); got {images.dtype} {images.shape}")
    if space == "pixels":
        return images.reshape(len(images), -1).astype(np.float32) / 255.0
    if space == "features":
        extractor = extractor or evaluation.feature_extractor()
        return np.asarray(extractor(images, progress=progress), np.float32)
    raise ValueError(f"space must be 'pixels' or 'features'; got {space!r}")


def nearest_neighbours(images, reference, k=1, space="pixels", extractor=None, progress=True):
    """The `k` nearest `reference` images of each image.

    Args:
        images, reference: uint8 `(N, H, W, C)` and `(M, H, W, C)`.
        space: `"pixels"` (Euclidean on [0, 1] pixels) or `"features"`
            (Euclidean on the FID InceptionV3 features).

    Returns:
        `(indices, distances)`, both `(N, k)`, nearest first.

    Example:

    >>> (train, _), _ = datasets.load("mnist")
    >>> indices, distances = latent.nearest_neighbours(gan.generate(16, seed=0), train, k=3)
    """
    a = _vectors(images, space, extractor, progress)
    b = _vectors(reference, space, extractor, progress)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"images and reference differ in shape: {np.shape(images)[1:]} vs "
                         f"{np.shape(reference)[1:]}")
    if isinstance(k, bool) or int(k) != k or not 1 <= k <= len(b):
        raise ValueError(f"k must be an integer in [1, {len(b)}]; got {k!r}")
    indices = np.empty((len(a), int(k)), np.int64)
    distances = np.empty((len(a), int(k)))
    for start, rows in evaluation.distance_rows(a, b):
        nearest = np.argpartition(rows, k - 1, axis=1)[:, :k] if k < len(b) else np.tile(
            np.arange(len(b)), (len(rows), 1))
        near = np.take_along_axis(rows, nearest, axis=1)
        order = np.argsort(near, axis=1, kind="stable")
        indices[start:start + len(rows)] = np.take_along_axis(nearest, order, axis=1)
        distances[start:start + len(rows)] = np.take_along_axis(near, order, axis=1)
    return indices, distances


def memorisation(generated, train, held_out, space="pixels", extractor=None, progress=True):
    """Are generated images closer to the training set than new real images are?

    Compares the distance of each generated image to its nearest training
    image with the same distance for held-out real images. A generator that
    copies its training images has a ratio well below 1 (and a large share
    of near copies); one that draws new images from the same distribution
    has a ratio about 1 or above (GAN samples are usually a little further
    from the training set than held-out images are).

    Returns a dict: the median nearest-training distances of each side,
    their ratio (generated / held-out), and the share of generated images
    nearer to a training image than the 1st percentile of the held-out
    distances (`near_copies`; about 0.01 without copying).

    Example:

    >>> (train, _), (test, _) = datasets.load("mnist")
    >>> result = latent.memorisation(gan.generate(1000, seed=0), train, test[:1000])
    >>> result["ratio"], result["near_copies"]
    """
    _, generated_d = nearest_neighbours(generated, train, space=space, extractor=extractor,
                                        progress=progress)
    _, held_out_d = nearest_neighbours(held_out, train, space=space, extractor=extractor,
                                       progress=progress)
    generated_d, held_out_d = generated_d[:, 0], held_out_d[:, 0]
    threshold = float(np.percentile(held_out_d, 1))
    return {
        "space": space,
        "median_generated_to_train": float(np.median(generated_d)),
        "median_held_out_to_train": float(np.median(held_out_d)),
        "ratio": float(np.median(generated_d) / max(np.median(held_out_d), 1e-12)),
        "near_copies": float(np.mean(generated_d < threshold)),
        "num_generated": int(len(generated_d)),
        "num_held_out": int(len(held_out_d)),
        "num_train": int(len(train)),
    }
