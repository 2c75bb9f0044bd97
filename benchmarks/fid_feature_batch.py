"""How the FID feature network's batch size costs on the CPU: wall time, user
and system CPU time and minor page faults of the reference TorchScript
InceptionV3 (`evaluation.InceptionFeatures`) for each batch size.

    OMP_NUM_THREADS=1 python benchmarks/fid_feature_batch.py --batch-sizes 100 10 --num 200

Each batch size runs in a fresh process (the allocator's state carries over
otherwise) on the same random 32x32 RGB uint8 images, after one warm-up
batch, and prints one line per batch size.
"""

import argparse
import resource
import subprocess
import sys
import time


def measure(batch_size, num):
    import numpy as np

    from keras_gan_zoo import evaluation

    extractor = evaluation.InceptionFeatures(batch_size=batch_size, device="cpu")
    images = np.random.default_rng(0).integers(0, 256, (num, 32, 32, 3), dtype=np.uint8)
    extractor(images[:batch_size], progress=False)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    extractor(images, progress=False)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(f"batch_size={batch_size} images={num} wall_s={wall:.1f} user_s={user:.1f} system_s={system:.1f} "
          f"minor_faults={after.ru_minflt - before.ru_minflt} cpu_s_per_image={(user + system) / num:.3f}",
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 25, 10, 4])
    parser.add_argument("--num", type=int, default=200, help="images per batch size")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        return measure(args.one, args.num)
    for batch_size in args.batch_sizes:
        subprocess.run([sys.executable, __file__, "--one", str(batch_size), "--num", str(args.num)], check=True)


if __name__ == "__main__":
    main()
