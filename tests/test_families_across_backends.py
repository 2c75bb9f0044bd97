"""Every family: same outputs from the same weights on all three backends,
and the shipped presets of the conditional and translation families work."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from keras_gan_zoo import classifier, emoji, presets

BACKENDS = ("tensorflow", "torch", "jax")

CHILD = """
import sys, numpy as np, keras_gan_zoo as kgz
out = {}
for i, (name, kind, path) in enumerate(zip(sys.argv[2::3], sys.argv[3::3], sys.argv[4::3])):
    model = kgz.from_pretrained(name, compile=False)
    x = np.load(path)
    if kind == "generate":
        out[str(i)] = model.generate(latents=x, output="float")
    else:
        kwargs = {"direction": kind.split(":")[1]} if ":" in kind else {}
        out[str(i)] = model.translate(x, output="float", **kwargs)
np.savez(sys.argv[1], **out)
"""


def _tiny_presets(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (16, 16, 16, 3), dtype=np.uint8)
    gray = images[..., :1]
    cgan = kgz.ConditionalGAN(num_classes=3, latent_dim=8, image_size=16, width=4, embedding_dim=4, seed=0)
    cgan.fit(gray, np.arange(16) % 3, batch_size=8, epochs=1, verbose=0)
    p2p = kgz.Pix2Pix(image_size=16, width=4, max_width=8, d_layers=2, seed=0)
    p2p.fit(images, images[:, ::-1], batch_size=8, epochs=1, verbose=0)
    cyc = kgz.CycleGAN(image_size=16, width=4, num_blocks=1, d_layers=2, seed=0)
    cyc.fit(images, 255 - images, batch_size=8, epochs=1, verbose=0)
    cases = []
    for name, model in (("cgan", cgan), ("p2p", p2p), ("cyc", cyc)):
        folder = model.save_pretrained(tmp_path / name)
        cases.append((str(folder), model))
    return [
        (cases[0][0], "generate", cgan.sample_latents(6, seed=1), cases[0][1]),
        (cases[1][0], "translate", images[:5], cases[1][1]),
        (cases[2][0], "translate:a2b", images[:5], cases[2][1]),
        (cases[2][0], "translate:b2a", images[5:9], cases[2][1]),
    ]


def _run(model, kind, x):
    if kind == "generate":
        return model.generate(latents=x, output="float")
    kwargs = {"direction": kind.split(":")[1]} if ":" in kind else {}
    return model.translate(x, output="float", **kwargs)


def test_same_outputs_on_every_backend(tmp_path):
    cases = _tiny_presets(tmp_path)
    args, here = [], []
    for i, (folder, kind, x, model) in enumerate(cases):
        np.save(tmp_path / f"x{i}.npy", x)
        args += [folder, kind, str(tmp_path / f"x{i}.npy")]
        here.append(_run(model, kind, x))
    (tmp_path / "child.py").write_text(CHILD)
    this = keras.backend.backend()
    for other in [b for b in BACKENDS if b != this]:
        out = tmp_path / f"{other}.npz"
        subprocess.run([sys.executable, str(tmp_path / "child.py"), str(out)] + args,
                       env=dict(os.environ, KERAS_BACKEND=other), check=True, timeout=300)
        there = np.load(out)
        for i, expected in enumerate(here):
            np.testing.assert_allclose(there[str(i)], expected, atol=1e-4,
                                       err_msg=f"{cases[i][0]} {cases[i][1]}: {this} vs {other}")
