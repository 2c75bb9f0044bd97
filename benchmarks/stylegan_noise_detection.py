"""Does projecting StyleGAN's noise maps too make "was this generated?" work?

    KERAS_BACKEND=jax OMP_NUM_THREADS=1 python benchmarks/stylegan_noise_detection.py --num 40 --steps 300 --penalty 0 0.001

`latent.project` renders StyleGAN with zero noise, but the preset's own
samples carry random noise maps, so they cannot be reconstructed exactly.
This measures how much of their error that is (the same latents with and
without noise) and, for the preset's own samples against held-out test
images, the ROC AUC of minus the projection error: W only (as the library
projects), then W and every noise map optimised together (from zero, Adam at
the library's rate), with `penalty` times the noise maps' mean square added
to the loss (0: unconstrained).
"""

import argparse
import time

import numpy as np
from keras import ops

import keras_gan_zoo as kgz
from keras_gan_zoo import gradients, latent, validation


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", default="stylegan-fashion-mnist")
    parser.add_argument("--num", type=int, default=40, help="images a side")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--penalty", type=float, nargs="+", default=[0.0, 0.001])
    args = parser.parse_args()
    model = kgz.from_pretrained(args.preset, compile=False)
    own = model.generate(args.num, seed=123)
    noiseless = model.generate(args.num, seed=123, noise="none")
    gap = np.sqrt(np.mean(np.square(own / 255.0 - noiseless / 255.0), axis=(1, 2, 3)))
    print(f"own samples with vs without their noise: mean RMS {gap.mean():.4f}", flush=True)
    real, _ = latent.held_out_sample(model, args.num, seed=0)
    _, synthesis = model._networks(use_ema=True)
    sizes = [int(np.prod(s)) for s in model.noise_shapes]

    def render(x):
        w = ops.repeat(ops.expand_dims(x[:, :model.w_dim], 1), model.num_ws, axis=1)
        noises, offset = [], model.w_dim
        for shape, size in zip(model.noise_shapes, sizes):
            noises.append(ops.reshape(x[:, offset:offset + size], (-1,) + tuple(shape)))
            offset += size
        return synthesis([w] + noises, training=False)

    def project(images, penalty, with_noise):
        target = ops.convert_to_tensor(validation.check_images(images, tuple(model.image_shape)))
        keep = np.r_[np.ones(model.w_dim), np.full(sum(sizes), float(with_noise))].astype("float32")

        def loss(x):
            x = x * keep
            error = ops.mean(ops.square(render(x) - target), axis=(1, 2, 3))
            return error + penalty * ops.mean(ops.square(x[:, model.w_dim:]), axis=1)

        step = gradients.value_and_input_gradient(loss)
        x = np.concatenate([model.initial_latents(len(images), "w"),
                            np.zeros((len(images), sum(sizes)))], axis=1).astype("float32")
        update = latent._adam(args.steps, latent.LEARNING_RATE)
        for _ in range(args.steps):
            _, grad = step(x)
            x = update(x, grad).astype("float32")
        x = x * keep
        rendered = np.asarray(ops.convert_to_numpy(render(ops.convert_to_tensor(x))))
        return np.sqrt(np.mean(np.square(rendered - np.asarray(target)), axis=(1, 2, 3))) / 2.0

    for penalty, with_noise in [(0.0, False)] + [(p, True) for p in args.penalty]:
        start = time.time()
        own_error, real_error = project(own, penalty, with_noise), project(real, penalty, with_noise)
        print(f"noise_maps={with_noise} penalty={penalty} rms_own={own_error.mean():.4f} "
              f"rms_real={real_error.mean():.4f} auc_own_vs_real={latent.roc_auc(-own_error, -real_error):.3f} "
              f"wall_s={time.time() - start:.0f}", flush=True)


if __name__ == "__main__":
    main()
