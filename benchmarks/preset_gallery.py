"""The README's gallery: what each shipped image preset draws, drawn again.

    python benchmarks/preset_gallery.py                  # every image preset
    python benchmarks/preset_gallery.py stylegan-openmoji  # one, after new weights

For each preset runs `keras-gan-zoo sample PRESET --num 16 --columns 8
--seed 0 --out docs/images/gallery-PRESET.png` (held-out inputs over their
translations for image-to-image presets, held-out captions for
text-to-image, classes in turn for class-conditional ones) and records in
docs/images/gallery.json the sha256 of the weights each picture was drawn
from, with the backend, device and wall time. `tests/test_docs.py` fails
when a shipped preset's weights no longer match its picture, so a
retrained preset cannot keep showing its old samples.
"""

import argparse
import contextlib
import io
import json
import pathlib
import time

import keras

from keras_gan_zoo import cli, gradients, presets, registry

IMAGES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "images"
RECORD = IMAGES / "gallery.json"
ARGS = ["--num", "16", "--columns", "8", "--seed", "0"]


def image_presets():
    """The shipped presets whose task outputs images."""
    names = []
    for name in presets.list_presets():
        metadata = presets.read_json(presets.preset_dir(name) / presets.METADATA_FILE, "metadata")
        if registry.family_class(metadata["class_name"]).task.output == "images":
            names.append(name)
    return names


def weights_sha256(name):
    metadata = presets.read_json(presets.preset_dir(name) / presets.METADATA_FILE, "metadata")
    return metadata["files"][presets.WEIGHTS_FILE]["sha256"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="default: every shipped image preset")
    args = parser.parse_args(argv)
    names = args.presets or image_presets()
    record = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for name in names:
        out = IMAGES / f"gallery-{name}.png"
        command = ["sample", name, *ARGS, "--out", str(out)]
        start = time.time()
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            code = cli.main(command)
        if code:
            raise SystemExit(f"keras-gan-zoo {' '.join(command)} failed:\n{printed.getvalue()}")
        record[name] = {
            "command": "keras-gan-zoo " + " ".join(["sample", name, *ARGS, "--out", f"docs/images/{out.name}"]),
            "weights_sha256": weights_sha256(name), "backend": keras.backend.backend(),
            "device": gradients.device_description(), "wall_time_s": round(time.time() - start, 1)}
        print(f"{name}: {out.name} ({record[name]['wall_time_s']} s)")
    RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")


if __name__ == "__main__":
    main()
