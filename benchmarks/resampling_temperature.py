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
"""

import argparse
import json
import sys
import time

import keras

from keras_gan_zoo import evaluation, gradients, presets, sampling


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.5, 0.25])
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--num", type=int, default=5000)
    parser.add_argument("--num-reference", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
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
    print(f"| candidates | temperature | FID | KID | precision | recall | wall time |\n|---|---|---|---|---|---|---|")
    results = []
    for candidates, temperature in rows:
        start = time.time()
        images = sampling.discriminator_resample(model, args.num, seed=args.seed, candidates=candidates,
                                                 temperature=temperature or 1.0)
        features = extractor(images, desc="generated features")
        distances = evaluation.fid_kid(features, reference.astype("float64"))
        fid, kid = distances["fid"], distances["kid"]
        variety = evaluation.precision_recall_features(reference, features, k=3)
        row = {"candidates": candidates, "temperature": temperature, **distances, **variety,
               "wall_time_s": round(time.time() - start, 1)}
        results.append(row)
        print(f"| {candidates} | {'-' if temperature is None else f'{temperature:g}'} | {fid:.2f} | {kid:.5f} "
              f"| {variety['precision']:.3f} | {variety['recall']:.3f} | {row['wall_time_s']:.0f} s |", flush=True)
    for row in results:
        print(json.dumps({"preset": folder.name, **row, "num_generated": args.num, "reference": "train",
                          "num_reference": int(len(reference)), "seed": args.seed, "command": command,
                          "backend": keras.backend.backend(), "device": gradients.device_description()}))


if __name__ == "__main__":
    main()
