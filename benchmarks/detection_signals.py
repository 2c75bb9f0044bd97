"""Which per-image signals tell a model's own samples from held-out real images?

    KERAS_BACKEND=tensorflow python benchmarks/detection_signals.py stylegan-fashion-mnist \
        --split dev --num 200 --steps 300 --out runs/detection-dev.npz

`latent.detection(..., discriminator=True)` scores an image with its
projection error and its discriminator logit. This computes those and other
candidate signals for the same images, once, and prints the ROC AUC of each
candidate score, so a new score is chosen on one split and reported on
another:

- `test`: exactly the images of `keras-gan-zoo detection PRESET --seed 123`
  (own samples drawn with seed 123, held-out images picked with seed 123,
  calibration samples with seed 124);
- `dev`: own samples drawn with seed 7 (calibration: 8) and held-out images
  that the test split does not use.

Signals per image: the projection's RMS error, the discriminator's logit of
the image and of its reconstruction (the reconstruction is the closest image
the generator draws without noise; the difference of the two logits asks
"how much more real than its nearest generated neighbour does this look?",
which cancels the discriminator's preference for some contents over others).
Every score is standardised by its spread over the calibration samples (own
samples, never the scored ones), as `latent._calibrated_score` does.
"""

import argparse
import time

import keras
import numpy as np
from keras import ops

import keras_gan_zoo as kgz
from keras_gan_zoo import latent, validation


def images_of(model, split, num):
    """Own samples, held-out real images and calibration samples of `split`."""
    _, (x_test, _) = model.data_splits()
    test_pick = np.random.default_rng(123).choice(len(x_test), num, replace=False)
    if split == "test":
        return model.generate(num, seed=123), x_test[test_pick], model.generate(num, seed=124)
    rest = np.setdiff1d(np.arange(len(x_test)), test_pick)
    pick = np.random.default_rng(7).choice(rest, num, replace=False)
    return model.generate(num, seed=7), x_test[pick], model.generate(num, seed=8)


def signals(model, images, args):
    fit = latent.project(model, images, method=args.method, steps=args.steps, restarts=args.restarts,
                         seed=123, learning_rate=args.learning_rate, bank=args.bank)
    return {"error": fit.errors, "image": np.asarray(images), "reconstruction": fit.images,
            "logit": latent.discriminator_score(model, images),
            "logit_reconstruction": latent.discriminator_score(model, fit.images)}


def pooled_log_error(side, size=2):
    """The log RMS error after `size` x `size` average pooling (texture finer
    than that, such as StyleGAN's noise, left out)."""
    pool = lambda x: x.astype("float64").reshape(
        len(x), x.shape[1] // size, size, x.shape[2] // size, size, x.shape[3]).mean(axis=(2, 4)) / 255.0
    return np.log(np.sqrt(np.mean(np.square(pool(side["image"]) - pool(side["reconstruction"])), axis=(1, 2, 3))))


def feature_log_distance(model, side):
    """The log mean-square distance between an image and its reconstruction
    in the discriminator's last per-image layer (before the minibatch
    standard deviation)."""
    features = keras.Model(model.discriminator.inputs, model.discriminator.get_layer("minibatch_stddev").input)
    phi = lambda x: np.asarray(ops.convert_to_numpy(features(ops.convert_to_tensor(
        x.astype("float32") / 127.5 - 1.0))))
    return np.log(np.mean(np.square(phi(side["image"]) - phi(side["reconstruction"])), axis=(1, 2, 3)))


def scores(model, sides):
    """Candidate scores of each side (higher: more likely own), each part
    over its spread on the calibration samples."""
    calibration = sides["calibration"]
    own_logits, own_reconstructed = calibration["logit"], calibration["logit_reconstruction"]
    slope = np.cov(own_logits, own_reconstructed, bias=True)[0, 1] / np.var(own_reconstructed)
    parts = {"projection": lambda s: -np.log(s["error"]), "pooled projection": lambda s: -pooled_log_error(s),
             "feature distance": lambda s: -feature_log_distance(model, s),
             "logit": lambda s: -s["logit"], "logit gap": lambda s: s["logit_reconstruction"] - s["logit"],
             "logit residual": lambda s: slope * s["logit_reconstruction"] - s["logit"]}
    spread = {name: max(float(np.std(part(calibration))), 1e-8) for name, part in parts.items()}
    unit = {side: {name: part(values) / spread[name] for name, part in parts.items()}
            for side, values in sides.items()}
    combos = {"projection + logit (library before)": ("projection", "logit"),
              "projection + logit gap": ("projection", "logit gap"),
              "projection + logit + residual (library)": ("projection", "logit", "logit residual"),
              "pooled projection + logit + residual": ("pooled projection", "logit", "logit residual"),
              "feature distance + logit + residual": ("feature distance", "logit", "logit residual")}
    result = {}
    for side, values in unit.items():
        result[side] = dict(values)
        result[side].update({name: sum(values[p] for p in combo) for name, combo in combos.items()})
        # A two-sided alternative: minus the Mahalanobis distance from the own samples' mean.
        both = lambda s: np.stack([np.log(s["error"]), s["logit"]], axis=1)
        mean, precision = both(calibration).mean(axis=0), np.linalg.inv(np.cov(both(calibration).T))
        centred = both(sides[side]) - mean
        result[side]["Mahalanobis (error, logit)"] = -np.einsum("ij,jk,ik->i", centred, precision, centred)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", default="stylegan-fashion-mnist")
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--num", type=int, default=200, help="images a side")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--restarts", type=int, default=1)
    parser.add_argument("--method", choices=["optimize", "hybrid"], default="optimize",
                        help="how to project (hybrid: descend from the shipped encoder's latent)")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--bank", type=int, default=0,
                        help="start each descent from the nearest of this many prior draws (latent.project)")
    parser.add_argument("--out", help="an .npz to keep the signals in (read back instead of recomputed)")
    args = parser.parse_args()
    start = time.time()
    model = kgz.from_pretrained(args.preset, compile=False)
    try:
        saved = np.load(args.out) if args.out else None
    except FileNotFoundError:
        saved = None
    if saved is not None:
        sides = {side: {k.split("/", 1)[1]: saved[k] for k in saved.files if k.startswith(side + "/")}
                 for side in ("own", "real", "calibration")}
    else:
        own, real, calibration = images_of(model, args.split, validation.check_count(args.num, "num"))
        sides = {name: signals(model, images, args)
                 for name, images in (("own", own), ("real", real), ("calibration", calibration))}
        if args.out:
            np.savez(args.out, **{f"{side}/{k}": v for side, values in sides.items() for k, v in values.items()})
    scored = scores(model, sides)
    own, real = scored["own"], scored["real"]
    print(f"{args.preset}, {args.split} split, {args.num} a side, {args.steps} steps, "
          f"{args.restarts} restart(s), {args.method}, bank {args.bank}; mean RMS error own {sides['own']['error'].mean():.4f} "
          f"real {sides['real']['error'].mean():.4f}")
    for name in own:
        print(f"  ROC AUC own vs real, {name:42s} {latent.roc_auc(own[name], real[name]):.3f}")
    print(f"wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
