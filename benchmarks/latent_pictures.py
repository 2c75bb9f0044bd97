"""The README's pictures of the latent tools on a preset, drawn again.

    python benchmarks/latent_pictures.py dcgan-mnist

Runs the command-line tools the README shows, with the arguments it names,
and writes docs/images/{interpolation,projection,neighbours}-PRESET.png:

- `keras-gan-zoo interpolate PRESET --seed 3 --steps 10`
- `keras-gan-zoo project PRESET <the first --num-project test images> --method hybrid`
  (the test images are written as PNG files into a temporary folder first)
- `keras-gan-zoo neighbours PRESET --num 10`

Prints each command's own output, then one JSON line: the projection's RMS
errors, backend, device and wall time. A preset whose weights change needs
its pictures drawn again, or the README shows another generator.
"""

import argparse
import contextlib
import io
import json
import pathlib
import sys
import tempfile
import time

import numpy as np

import keras_gan_zoo as kgz
from keras_gan_zoo import cli, gradients

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "images"


def run(argv):
    """`keras-gan-zoo ARGV`, echoed; returns what it printed."""
    print("$ keras-gan-zoo " + " ".join(argv))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(argv)
    sys.stdout.write(out.getvalue())
    if code:
        raise SystemExit(f"keras-gan-zoo {argv[0]} failed with exit code {code}")
    return out.getvalue()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--num-project", type=int, default=8, help="test images to project")
    parser.add_argument("--out-dir", default=str(IMAGES))
    args = parser.parse_args(argv)
    start, out = time.time(), pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = args.preset
    run(["interpolate", name, "--seed", "3", "--steps", "10", "--out", str(out / f"interpolation-{name}.png")])
    model = kgz.from_pretrained(name, compile=False)
    _, (x_test, _) = model.data_splits()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for i, image in enumerate(np.asarray(x_test[:args.num_project])):
            paths.append(str(pathlib.Path(folder) / f"test-{i}.png"))
            cli.save_image(image, paths[-1])
        printed = run(["project", name, *paths, "--method", "hybrid",
                       "--out", str(out / f"projection-{name}.png")])
    errors = [float(line.rsplit("RMS error ", 1)[1].split()[0])
              for line in printed.splitlines() if "RMS error " in line]
    run(["neighbours", name, "--num", "10", "--out", str(out / f"neighbours-{name}.png")])
    print(json.dumps({"preset": name, "projection_rms_errors": errors,
                      "projection_rms_range": [min(errors), max(errors)],
                      "backend": gradients.BACKEND, "device": gradients.device_description(),
                      "wall_time_s": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
