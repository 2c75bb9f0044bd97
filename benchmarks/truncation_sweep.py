"""The truncation trick's trade-off for a preset: FID/KID (and class
fidelity for class-conditional models) at several truncation values,
recorded in the preset's metadata and model card.

    python benchmarks/truncation_sweep.py biggan-fashion-mnist --values none 1.0 0.5 0.25
    python benchmarks/truncation_sweep.py stylegan-fashion-mnist --values 1.0 0.9 0.7 0.5

Every value uses the same latent seed and is compared with the same first
`--num-reference` test images of the preset's data set (in the recipe's
format, e.g. zero-padded to 32x32). Small protocols bias FID upwards: compare
rows with each other, not with 10k-vs-10k figures.
"""

import argparse
import json
import sys
import time

import keras

from keras_gan_zoo import evaluation, gradients, presets


def _value(text):
    return None if text.lower() in ("none", "off") else float(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--values", nargs="+", type=_value, required=True,
                        help="truncation values; 'none' = off (BigGAN)")
    parser.add_argument("--num", type=int, default=2000)
    parser.add_argument("--num-reference", type=int, default=2000)
    parser.add_argument("--num-per-class", type=int, default=200)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    folder = presets.resolve(args.preset)
    model = presets.load(folder, compile=False)
    training = model.preset_metadata.get("training", {})
    start = time.time()
    result = evaluation.truncation_sweep(
        model, training["dataset"], args.values, num_images=args.num,
        num_reference=args.num_reference, seed=args.seed, num_per_class=args.num_per_class,
        dataset_args=training.get("dataset_args", {}))
    result.update({
        "command": "python benchmarks/truncation_sweep.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "backend": keras.backend.backend(), "device": gradients.device_description(),
        "network": evaluation.NETWORK_NAME, "wall_time_s": round(time.time() - start, 1),
    })
    print(json.dumps(result, indent=1))
    if not args.no_write:
        presets.update_metadata(folder, {"metrics": {"truncation_sweep": result}})


if __name__ == "__main__":
    main()
