"""Latent vector arithmetic with a measured effect: the "ink" direction.

    python benchmarks/vector_arithmetic.py dcgan-mnist
    python benchmarks/vector_arithmetic.py dcgan-fashion-mnist

`latent.attribute_vector` ranks `--num` samples by ink (mean intensity)
within each class the data set's shipped classifier reads, and averages
over classes the mean latent of the inkiest 10% minus that of the faintest
10% (ranked over all samples at once, the direction would also change the
class: the inkiest digits are mostly 0s and 8s, the faintest mostly 1s;
`--ungrouped` shows it).
Then, on the faintest quarter of `--num-test` *other* samples, it adds
`amount` times that vector and measures the mean ink and the share of
images whose class (the data set's shipped classifier) stays what it was.
A random direction of the same length is the control: it shows that the
change comes from the direction, not from moving the latent at all.

Prints a markdown table and one JSON line (figures, backend, device, wall
time); `--strip PATH` writes a picture (rows: examples; columns: amounts).
"""

import argparse
import json
import time

import keras
import numpy as np

import keras_gan_zoo as kgz
from keras_gan_zoo import classifier, gradients, latent

AMOUNTS = (-1.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--num", type=int, default=2000, help="samples ranked for the direction")
    parser.add_argument("--num-test", type=int, default=1000, help="other samples it is tested on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ungrouped", action="store_true", help="rank all samples at once")
    parser.add_argument("--strip", help="write a picture of 8 examples across the amounts")
    args = parser.parse_args(argv)
    start = time.time()
    model = kgz.from_pretrained(args.preset, compile=False)
    dataset = model.preset_metadata["training"]["dataset"]
    judge, _ = classifier.load_classifier(dataset)
    groups = None if args.ungrouped else (lambda images: classifier.predict_labels(judge, images))
    found = latent.attribute_vector(model, latent.ink, num=args.num, groups=groups, seed=args.seed)
    # The faintest quarter of fresh samples (a different seed from the ranking's).
    z = model.random_latents(args.num_test, found.space, np.random.default_rng(args.seed + 1))
    z = z[np.argsort(latent.ink(latent.render(model, z)))[: args.num_test // 4]]
    base_labels = classifier.predict_labels(judge, latent.render(model, z))
    rng = np.random.default_rng(args.seed + 2)
    random = rng.standard_normal(found.vector.shape).astype("float32")
    random *= np.linalg.norm(found.vector) / np.linalg.norm(random)
    rows = []
    for name, vector in (("ink", found.vector), ("random", random)):
        for amount in AMOUNTS if name == "ink" else (0.25, 0.5, 1.0):
            images = latent.render(model, latent.shift(z, vector, amount))
            rows.append({"direction": name, "amount": amount,
                         "mean_ink": float(latent.ink(images).mean()),
                         "class_kept": float(np.mean(classifier.predict_labels(judge, images) == base_labels))})
    print("| direction | amount | mean ink | class kept |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['direction']} | {row['amount']:+.2f} | {row['mean_ink']:.4f} | {row['class_kept']:.1%} |")
    if args.strip:
        strips = [latent.render(model, latent.shift(z[:8], found.vector, amount)) for amount in AMOUNTS]
        latent.save_strip(np.stack(strips, axis=1).reshape((-1,) + strips[0].shape[1:]), args.strip,
                          columns=len(AMOUNTS))
    result = {"preset": args.preset, "grouped_by_class": not args.ungrouped, "num": args.num, "num_test": args.num_test, "space": found.space,
              "vector_norm": float(np.linalg.norm(found.vector)), "ink_top_10pct": found.high_score,
              "ink_bottom_10pct": found.low_score, "ink_all": found.mean_score, "rows": rows,
              "backend": keras.backend.backend(), "device": gradients.device_description(),
              "wall_time_s": round(time.time() - start, 1)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
