"""Rewrite a shipped preset's fingerprint after its weights changed.

    KERAS_BACKEND=tensorflow python tests/write_fingerprint.py stackgan-openmoji

The fingerprint is what `test_shipped_presets.py` compares every later load
with: the preset's outputs for fixed inputs (`_outputs`), 64 values and the
mean (`_sample`), written on TensorFlow like the others. Run it only for a
preset whose weights were replaced on purpose (`keras-gan-zoo ship` says so);
it prints how far the outputs moved.
"""

import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import keras_gan_zoo as kgz  # noqa: E402
from test_shipped_presets import _outputs, _sample  # noqa: E402

PATH = pathlib.Path(__file__).resolve().parent / "data" / "preset_fingerprints.json"


def main(argv=None):
    names = sys.argv[1:] if argv is None else argv
    if not names:
        raise SystemExit(__doc__)
    data = json.loads(PATH.read_text())
    for name in names:
        got = _outputs(name, kgz.from_pretrained(name, compile=False))
        if isinstance(got, list):  # a translator: its words
            entry = {"translations": got}
        else:
            values, mean = _sample(got)
            entry = {"shape": list(np.shape(got)), "mean": round(mean, 6),
                     "values": [round(float(v), 6) for v in values]}
        old = data.get(name)
        if old and "values" in old and "values" in entry:
            change = np.max(np.abs(np.array(old["values"]) - np.array(entry["values"])))
            print(f"{name}: outputs moved by at most {change:.6f}")
        data[name] = entry
    PATH.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")


if __name__ == "__main__":
    main()
