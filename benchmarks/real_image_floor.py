"""What real images score under a preset's FID protocol: N random *training*
images against the same held-out reference, the figures a generator that
copied the training set would reach (the floor of FID, the ceiling of recall
and coverage).

    python benchmarks/real_image_floor.py openmoji --image-size 32 --num 1000
    python benchmarks/real_image_floor.py openmoji_noto --domain b --num 428

Prints FID, KID, precision/recall and density/coverage (k = 3 / 5).
`--domain a|b` is for the two-domain (unpaired) data set `openmoji_noto`:
that domain's training images against its own held-out images, the floor
under CycleGAN's FID(G(A), B) (domain b, as many images as the 428 held-out
A images it translates) and FID(G(B), A) (domain a, 377).
"""

import argparse
import json
import time

import keras
import numpy as np

from keras_gan_zoo import datasets, evaluation, gradients


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--num", type=int, default=1000, help="random training images")
    parser.add_argument("--num-reference", type=int, default=None, help="first N test images (default all)")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--domain", choices=("a", "b"),
                        help="two-domain data sets (openmoji_noto): which domain")
    args = parser.parse_args(argv)
    start = time.time()
    dataset_args = {"image_size": args.image_size} if args.image_size else {}
    extractor = evaluation.feature_extractor()
    if args.domain:
        loaded = datasets.load(args.dataset, **dataset_args)
        if not (isinstance(loaded[0], tuple) and len(loaded[0]) == 2 and loaded[0][0].ndim == 4
                and loaded[0][1].ndim == 4):
            parser.error(f"--domain is for a two-domain data set such as openmoji_noto; "
                         f"{args.dataset!r} has one")
        index = "ab".index(args.domain)
        train = loaded[0][index]
        reference = extractor(loaded[1][index][:args.num_reference], desc="held-out images")
    else:
        (train, _), _ = datasets.load(args.dataset, **dataset_args)
        reference = evaluation.reference_features(args.dataset, "test", extractor=extractor,
                                                  limit=args.num_reference, **dataset_args)
    pick = np.random.default_rng(args.seed).choice(len(train), min(args.num, len(train)), replace=False)
    features = extractor(train[pick], desc="training images")
    fid = evaluation.frechet_distance(*evaluation.statistics(features), *evaluation.statistics(reference))
    kid, kid_std = evaluation.kernel_inception_distance(features, reference.astype(np.float64))
    result = {"dataset": args.dataset, **dataset_args,
              **({"domain": args.domain} if args.domain else {}), "num_real_training": int(len(pick)),
              "num_reference": int(len(reference)), "fid": fid, "kid": kid, "kid_std": kid_std,
              **evaluation.precision_recall_features(reference, features, k=3),
              **{k: v for k, v in evaluation.density_coverage_features(reference, features).items() if k != "k"},
              "backend": keras.backend.backend(), "device": gradients.device_description(),
              "wall_time_s": round(time.time() - start, 1)}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
