"""FID/KID of several presets under one protocol, for side-by-side comparison.

    python benchmarks/same_protocol_fid.py dcgan-mnist cgan-mnist --num 2000 --num-reference 2000

Each preset generates `--num` images (seed 123; class-conditional models
cycle through the classes, so the classes are balanced like the test set)
and is compared with the first `--num-reference` test images of the data
set it was trained on. Small protocols bias FID upwards: compare figures
within one run of this script, not with the 10k-vs-10k figures. Results are
appended to `benchmarks/same_protocol_fid.jsonl`; nothing is written into
the presets.
"""

import argparse
import json
import pathlib
import time

import keras

from keras_gan_zoo import evaluation, gradients, presets

OUT = pathlib.Path(__file__).resolve().parent / "same_protocol_fid.jsonl"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="+")
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--num-reference", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args(argv)
    extractor = evaluation.feature_extractor()
    for name in args.presets:
        model = presets.load(name, compile=False)
        dataset = model.preset_metadata["training"]["dataset"]
        result = evaluation.evaluate_model(model, dataset, num_images=args.num, seed=args.seed,
                                           extractor=extractor, num_reference=args.num_reference)
        record = {"preset": name, "dataset": dataset, **result,
                  "backend": keras.backend.backend(), "device": gradients.device_description(),
                  "date": time.strftime("%Y-%m-%d")}
        print(json.dumps(record))
        with OUT.open("a") as f:
            f.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
