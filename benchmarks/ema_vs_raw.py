"""FID of a preset's EMA generator against its raw generator, same latents.

    python benchmarks/ema_vs_raw.py biggan-fashion-mnist --num 1000 --num-reference 2000
    python benchmarks/ema_vs_raw.py biggan-fashion-mnist --sync   # ship G as the EMA if G wins

An EMA with a constant decay keeps decay^t of the random initial weights
after t steps (0.999^2300 = 10%), so on a short run the raw generator can be
the better one. The comparison is recorded in the preset's metadata
(`metrics.ema_vs_raw`); with `--sync` and a better raw generator, the EMA
weights are replaced by the generator's and the metadata says so.
"""

import argparse
import sys
import time

import keras

from keras_gan_zoo import evaluation, gradients, presets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--num", type=int, default=1000)
    parser.add_argument("--num-reference", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--sync", action="store_true")
    args = parser.parse_args(argv)
    folder = presets.resolve(args.preset)
    model = presets.load(folder, compile=False)
    training = model.preset_metadata.get("training", {})
    start = time.time()
    extractor = evaluation.feature_extractor()
    result = {}
    for label, use_ema in (("ema", True), ("raw", False)):
        measured = evaluation.evaluate_model(
            model, training["dataset"], num_images=args.num, seed=args.seed, extractor=extractor,
            num_reference=args.num_reference, dataset_args=training.get("dataset_args", {}),
            generate_args={"use_ema": use_ema})
        result[label] = {"fid": measured["fid"], "kid": measured["kid"]}
        print(f"{label}: FID {measured['fid']:.2f}, KID {measured['kid']:.4f}")
    result.update({"num_generated": args.num, "num_reference": args.num_reference,
                   "command": "python benchmarks/ema_vs_raw.py " + " ".join(sys.argv[1:] if argv is None else argv),
                   "backend": keras.backend.backend(), "device": gradients.device_description(),
                   "wall_time_s": round(time.time() - start, 1)})
    synced = args.sync and result["raw"]["fid"] < result["ema"]["fid"]
    if synced:
        model.sync_ema()
        metadata = {**model.preset_metadata}
        metadata["notes"] = (metadata.get("notes", "") + " " if metadata.get("notes") else "") + (
            f"The EMA generator of this short run was worse than the raw generator (FID "
            f"{result['ema']['fid']:.2f} vs {result['raw']['fid']:.2f}, {args.num} vs "
            f"{args.num_reference} images), so the shipped EMA weights are a copy of the "
            f"generator (`{result['command']}`). Recipes now can set `ema_warmup`.")
        model.save_pretrained(folder, metadata=metadata)
    presets.update_metadata(folder, {"metrics": {"ema_vs_raw": {**result, "synced": synced}}})


if __name__ == "__main__":
    main()
