"""Chooses the temperature of discriminator resampling on training images,
so that the test images stay untouched for the figure the card reports.

    python benchmarks/resampling_temperature.py dcgan-mnist --temperatures 1 0.5 0.25

For each temperature (and plain sampling, `candidates=1`), `--num` images
from `sampling.discriminator_resample` (seed 7: not the evaluation's 123)
are compared with the first `--num-reference` training images by FID, KID,
precision and recall (InceptionV3 features). Prints a Markdown table and
one JSON line per row; the lowest FID names the temperature to measure on
the test images with `keras-gan-zoo evaluate PRESET --resample K
--temperature T`.

`--calibrate STEPS` first fine-tunes the discriminator for the generator
(`sampling.calibrated_discriminator`) on the training images after the
reference ones, so the images it learns from and those FID compares with
are disjoint; every row, plain sampling included, then runs inside it.
"""

import argparse
import contextlib
import json
import sys
import time

import keras

from keras_gan_zoo import datasets, evaluation, gradients, presets, sampling, tasks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.5, 0.25])
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--num", type=int, default=5000)
    parser.add_argument("--num-reference", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calibrate", type=int, default=None, metavar="STEPS",
                        help="fine-tune the discriminator first (sampling.calibrated_discriminator) on the "
                             "training images after the reference ones")
    parser.add_argument("--calibration-learning-rate", type=float, default=1e-4)
    args = parser.parse_args(argv)
    folder = presets.resolve(args.preset)
    model = presets.load(folder, compile=False)
    training = model.preset_metadata.get("training", {})
    dataset = training.get("dataset") or model.default_dataset
    extractor = evaluation.feature_extractor()
    reference = evaluation.reference_features(dataset, "train", extractor=extractor, limit=args.num_reference,
                                              **training.get("dataset_args", {}))
    command = "python benchmarks/resampling_temperature.py " + " ".join(sys.argv[1:] if argv is None else argv)
    rows = [(1, None)] + [(args.candidates, t) for t in args.temperatures]
    calibration, record = contextlib.nullcontext(), None
    if args.calibrate:
        (images, labels), _ = datasets.load(dataset, **training.get("dataset_args", {}))
        labels = labels[args.num_reference:] if model.task is tasks.CLASS_CONDITIONAL_IMAGE else None
        calibration = sampling.calibrated_discriminator(model, images[args.num_reference:], steps=args.calibrate,
                                                        labels=labels, learning_rate=args.calibration_learning_rate)
    results = []
    with calibration as record:
        if record:
            print(f"calibrated on {record['images']} training images for {record['steps']} steps "
                  f"({record['wall_time_s']:.0f} s): logistic loss {record['before']['loss']:.3f} -> "
                  f"{record['after']['loss']:.3f}")
        print(f"| candidates | temperature | FID | KID | precision | recall | wall time |\n|---|---|---|---|---|---|---|")
        for candidates, temperature in rows:
            results.append(_row(model, extractor, reference, candidates, temperature, args))
    for row in results:
        print(json.dumps({"preset": folder.name, **row, "num_generated": args.num, "reference": "train",
                          "num_reference": int(len(reference)), "seed": args.seed, "command": command,
                          **({"calibration": record} if record else {}),
                          "backend": keras.backend.backend(), "device": gradients.device_description()}))


def _row(model, extractor, reference, candidates, temperature, args):
    """FID, KID, precision and recall of one row, printed as a table row."""
    start = time.time()
    images = sampling.discriminator_resample(model, args.num, seed=args.seed, candidates=candidates,
                                             temperature=temperature or 1.0)
    features = extractor(images, desc="generated features")
    distances = evaluation.fid_kid(features, reference.astype("float64"))
    variety = evaluation.precision_recall_features(reference, features, k=3)
    row = {"candidates": candidates, "temperature": temperature, **distances, **variety,
           "wall_time_s": round(time.time() - start, 1)}
    print(f"| {candidates} | {'-' if temperature is None else f'{temperature:g}'} | {distances['fid']:.2f} "
          f"| {distances['kid']:.5f} | {variety['precision']:.3f} | {variety['recall']:.3f} "
          f"| {row['wall_time_s']:.0f} s |", flush=True)
    return row


if __name__ == "__main__":
    main()
