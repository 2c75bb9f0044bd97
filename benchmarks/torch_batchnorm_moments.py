"""How fast is training-mode BatchNormalization on PyTorch: Keras's layer,
Keras's layer with a fused `torch.var_mean`, and keras-gan-zoo's fused
`native_batch_norm` fast path?

    KERAS_BACKEND=torch python benchmarks/torch_batchnorm_moments.py

Keras's torch `moments` takes the variance as E[x^2] - E[x]^2 (mean, square,
mean, square: four passes and their gradients). This times a training-mode
BatchNormalization forward and backward on a DCGAN-sized NHWC activation
(64 x 14 x 14 x 64), one thread, with Keras's own code (`keras`), with one
`torch.var_mean` call for the moments (`var_mean`) and with
`keras_gan_zoo.gradients`' fused batch norm (`fused`), alternating the three
`--rounds` times, and prints the totals, each against Keras's, and the
largest output and gradient differences.
"""

import argparse
import time

import keras
import torch
from keras.src.backend.torch import nn as torch_nn
from keras.src.backend.torch.core import convert_to_tensor

from keras_gan_zoo import gradients

KERAS_MOMENTS = torch_nn.moments


def var_mean_moments(x, axes, keepdims=False, synchronized=False):
    x = convert_to_tensor(x)
    variance, mean = torch.var_mean(x, dim=tuple(axes), keepdim=keepdims, correction=0)
    return mean, variance


# name -> (Keras's moments function, gradients' fast paths on)
VARIANTS = {"keras": (KERAS_MOMENTS, False), "var_mean": (var_mean_moments, False),
            "fused": (KERAS_MOMENTS, True)}


def select(name):
    moments, fast = VARIANTS[name]
    torch_nn.moments = moments
    gradients.set_torch_fast_paths(fast)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    torch.set_num_threads(1)
    layer = keras.layers.BatchNormalization()
    inputs = torch.randn(64, 14, 14, 64)
    layer.build(inputs.shape)

    def step():
        x = inputs.clone().requires_grad_(True)
        y = layer(x, training=True)
        return y, torch.autograd.grad((y * y).mean(), x)[0]

    outputs = {}
    for name in VARIANTS:
        select(name)
        y, g = step()
        outputs[name] = (y.detach(), g)
    totals = dict.fromkeys(VARIANTS, 0.0)
    for _ in range(args.rounds):
        for name in VARIANTS:
            select(name)
            start = time.perf_counter()
            for _ in range(args.calls):
                step()
            totals[name] += time.perf_counter() - start
    torch_nn.moments = KERAS_MOMENTS
    gradients.set_torch_fast_paths(True)
    y1, g1 = outputs["keras"]
    for name in VARIANTS:
        y2, g2 = outputs[name]
        print(f"{name}: {totals[name]:.2f} s ({totals[name] / totals['keras']:.2f}x Keras's); "
              f"max output difference {float((y1 - y2).abs().max()):.1e}, "
              f"max gradient difference {float((g1 - g2).abs().max()):.1e}")


if __name__ == "__main__":
    main()
