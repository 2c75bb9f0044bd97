"""Would a fused `torch.var_mean` speed up Keras's BatchNormalization on PyTorch?

    KERAS_BACKEND=torch python benchmarks/torch_batchnorm_moments.py

Keras's torch `moments` takes the variance as E[x^2] - E[x]^2 (mean, square,
mean, square: four passes and their gradients). This times a training-mode
BatchNormalization forward and backward on a DCGAN-sized NHWC activation
(64 x 14 x 14 x 64), one thread, with Keras's `moments` and with one
`torch.var_mean` call, alternating the two `--rounds` times, and prints both
totals and the largest output and gradient differences.
"""

import argparse
import time

import keras
import torch
from keras.src.backend.torch import nn as torch_nn
from keras.src.backend.torch.core import convert_to_tensor

KERAS_MOMENTS = torch_nn.moments


def var_mean_moments(x, axes, keepdims=False, synchronized=False):
    x = convert_to_tensor(x)
    variance, mean = torch.var_mean(x, dim=tuple(axes), keepdim=keepdims, correction=0)
    return mean, variance


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
    for name, moments in (("keras", KERAS_MOMENTS), ("var_mean", var_mean_moments)):
        torch_nn.moments = moments
        outputs[name] = step()
    totals = {"keras": 0.0, "var_mean": 0.0}
    for _ in range(args.rounds):
        for name, moments in (("keras", KERAS_MOMENTS), ("var_mean", var_mean_moments)):
            torch_nn.moments = moments
            start = time.perf_counter()
            for _ in range(args.calls):
                step()
            totals[name] += time.perf_counter() - start
    torch_nn.moments = KERAS_MOMENTS
    (y1, g1), (y2, g2) = outputs["keras"], outputs["var_mean"]
    print(f"keras moments {totals['keras']:.2f} s, var_mean {totals['var_mean']:.2f} s "
          f"(ratio {totals['var_mean'] / totals['keras']:.2f}); max output difference "
          f"{float((y1 - y2).abs().max()):.1e}, max gradient difference {float((g1 - g2).abs().max()):.1e}")


if __name__ == "__main__":
    main()
