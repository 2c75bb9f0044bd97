"""The Frechet distance's matrix square root: `evaluation.frechet_distance`
(symmetric eigenvalue problems) against the reference tools' general
`scipy.linalg.sqrtm(S1 S2)`, on the same 2048-d statistics.

    OMP_NUM_THREADS=1 python benchmarks/frechet_distance.py --num 32 3000

For each image count, two sets of random non-negative 2048-d "features"
(Inception features are post-ReLU averages) with a shared random mixing,
so the covariances are correlated, rank-deficient below 2,049 images and
full rank above. Prints each method's value and wall time.
"""

import argparse
import time

import numpy as np


def sqrtm_reference(mu1, sigma1, mu2, sigma2):
    import scipy.linalg

    diff = mu1 - mu2
    covmean = np.real(scipy.linalg.sqrtm(sigma1 @ sigma2))
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def main():
    from keras_gan_zoo import evaluation

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, nargs="+", default=[32, 3000], help="images per set")
    parser.add_argument("--dim", type=int, default=2048)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(args.dim, args.dim)) * 0.05
    for num in args.num:
        a = np.abs(rng.normal(size=(num, args.dim)) @ mixing)
        b = np.abs(rng.normal(size=(num, args.dim)) @ mixing + 0.1)
        stats = [*evaluation.statistics(a), *evaluation.statistics(b)]
        values = {}
        for name, fn in (("eigh", evaluation.frechet_distance), ("sqrtm", sqrtm_reference)):
            start = time.perf_counter()
            values[name] = fn(*stats)
            print(f"num={num} dim={args.dim} method={name} fid={values[name]:.6f} "
                  f"wall_s={time.perf_counter() - start:.1f}", flush=True)
        print(f"num={num} relative_difference={abs(values['eigh'] - values['sqrtm']) / values['sqrtm']:.1e}")


if __name__ == "__main__":
    main()
