"""Does every shipped preset draw the same samples on TensorFlow, PyTorch and JAX?

    python benchmarks/cross_backend_samples.py                    # every shipped preset
    python benchmarks/cross_backend_samples.py stylegan-openmoji  # some

The product's promise is that a user who switches `KERAS_BACKEND` gets the
same images. This script checks it on what a user sees: for each preset it
runs `model.showcase(num=16, seed=0, columns=8)` (what `keras-gan-zoo sample
PRESET --num 16 --columns 8 --seed 0` draws, the README gallery's command) in
one fresh process per backend, then compares each backend's uint8 images with
the gallery picture in docs/images (drawn on TensorFlow from the same
weights; the weights' sha256 is checked against the gallery's record), and
each backend's printed lines (translations, captions) with TensorFlow's.

Prints one markdown row per preset: for image presets how many pixel values
(of the whole grid) differ from the gallery picture and by how much at most
(in 0-255 levels); for translation presets how many printed lines (sources,
translations, references) differ from TensorFlow's.
The test suite checks a 64-value fingerprint per preset on TensorFlow only;
this is the whole picture on every backend, too slow for a test (about a
minute a backend on a 2-core CPU, most of it loading).
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

BACKENDS = ("tensorflow", "torch", "jax")
ROOT = pathlib.Path(__file__).resolve().parent.parent
GALLERY = ROOT / "docs" / "images"
SHOW = {"num": 16, "seed": 0, "columns": 8}


def draw(names, out):
    """Child process: writes each preset's showcase (images and lines) under `out`."""
    import keras_gan_zoo as kgz
    from keras_gan_zoo import presets

    out = pathlib.Path(out)
    for name in names:
        metadata = presets.read_json(presets.preset_dir(name) / presets.METADATA_FILE, "metadata")
        model = kgz.from_pretrained(name, compile=False)
        show = model.showcase(**SHOW)
        if show.images is not None:
            np.save(out / f"{name}.npy", np.asarray(show.images))
        (out / f"{name}.json").write_text(json.dumps({
            "lines": list(show.lines), "columns": show.columns,
            "weights_sha256": metadata["files"][presets.WEIGHTS_FILE]["sha256"]}))


def gallery_picture(name, sha256):
    """The gallery's picture of `name` as an array, or None when it shows other weights."""
    from PIL import Image

    record = json.loads((GALLERY / "gallery.json").read_text()).get(name)
    if record is None or record["weights_sha256"] != sha256:
        return None
    return np.asarray(Image.open(GALLERY / f"gallery-{name}.png"))


def compare(name, folders):
    """One markdown row: each backend against the gallery picture (images) or TensorFlow (lines)."""
    from keras_gan_zoo.tasks import image_grid

    drawn = {b: json.loads((folders[b] / f"{name}.json").read_text()) for b in BACKENDS}
    cells = []
    if (folders["tensorflow"] / f"{name}.npy").exists():
        reference = gallery_picture(name, drawn["tensorflow"]["weights_sha256"])
        if reference is None:
            return f"| `{name}` | the gallery picture shows other weights: draw it again first | | |"
        for backend in BACKENDS:
            grid = image_grid(np.load(folders[backend] / f"{name}.npy"), drawn[backend]["columns"])
            grid = grid.reshape(reference.shape).astype(int)
            diff = np.abs(grid - reference.astype(int))
            cells.append(f"{np.count_nonzero(diff):,} of {diff.size:,} differ" + (f", by {diff.max()} at most" if
                                                                                   diff.any() else ""))
    else:
        lines = drawn["tensorflow"]["lines"]
        for backend in BACKENDS:
            other = drawn[backend]["lines"]
            differ = sum(a != b for a, b in zip(other, lines)) + abs(len(other) - len(lines))
            cells.append(f"{differ} of {len(lines)} printed lines differ")
    return f"| `{name}` | " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="default: every shipped preset")
    parser.add_argument("--child", nargs=2, metavar=("BACKEND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        draw(args.presets, args.child[1])
        return
    if not args.presets:
        from keras_gan_zoo import presets
        args.presets = presets.list_presets()
    with tempfile.TemporaryDirectory() as tmp:
        folders, seconds = {}, {}
        for backend in BACKENDS:
            folders[backend] = pathlib.Path(tmp) / backend
            folders[backend].mkdir()
            env = dict(os.environ, KERAS_BACKEND=backend)
            start = time.time()
            subprocess.run([sys.executable, __file__, *args.presets, "--child", backend, str(folders[backend])],
                           env=env, check=True)
            seconds[backend] = time.time() - start
        print("| preset | TensorFlow | PyTorch | JAX |")
        print("|---|---|---|---|")
        for name in args.presets:
            print(compare(name, folders))
    print("\nwall time: " + ", ".join(f"{b} {s:.0f} s" for b, s in seconds.items()))


if __name__ == "__main__":
    main()
