"""Run the test suite once per Keras backend, several backends at a time.

    python tests/backends.py                       # all three, two runs at a time
    python tests/backends.py --jobs 1 jax          # one backend, in the foreground
    python tests/backends.py -- -k presets         # extra arguments go to pytest

Each backend's run gets its own `KERAS_HOME` (Keras writes `keras.json` there
on first import, and the JAX compilation cache lives in it) and shares one
`KERAS_GAN_ZOO_SHARED_CACHE` with the others (rendered data sets, the converted
Inception network and reference features do not depend on the backend; their
writers replace files atomically, so runs side by side may share them).

Why parallel: most tests are small, so a run spends its time in one Python
thread (tracing, compiling, bookkeeping) and a second core sits idle. When
several runs share the cores, each backend's math library is held to its
share of the cores (`--threads`): PyTorch's OpenMP pool in particular spins
when more threads than cores compete, and a contended run then slows by
several times.

Why shards: with one run per backend, two at a time, the last backend ran
alone on one core while the other core idled (TensorFlow and JAX side by
side, then PyTorch by itself). Each backend's test files are split into
`--shards` groups of about equal expected time (`FILE_MINUTES`, measured;
a new file counts as one minute), and the runs start longest first on the
free cores, so the cores stay busy to the end. Each shard is a pytest run
of its own (own `KERAS_HOME`); a backend passes when all its shards pass.

Output of each run is kept in a log and printed whole when that run ends, so
the three runs do not interleave; the exit status is non-zero when any fails.
"""

import argparse
import concurrent.futures
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BACKENDS = ("tensorflow", "torch", "jax")
# Each test file's minutes in each backend's run, one thread, two runs side
# by side on a 2-core CPU. Every run measures them again: the runner prints
# `=== minutes per test file (<backend>)` at the end, ready to paste here
# (pytest's per-test durations, setup and teardown included, summed per file
# by tests/conftest.py). Only the order and the balance of the shards use
# them: a stale figure costs time, not results. A file not listed counts as
# one minute.
FILE_MINUTES = {  # CI run of 2026-12-04 (32.0 min of tests, two runs at a time)
    "jax": {
        "test_family_contract.py": 5.5, "test_unmt.py": 2.3, "test_stackgan.py": 2.1, "test_cyclegan.py": 1.2,
        "test_checkpoint.py": 1.0, "test_stylegan.py": 1.0, "test_evaluation.py": 1.0, "test_gpu_all.py": 1.0,
        "test_adversarial_model.py": 1.0, "test_latent.py": 0.8, "test_data_parallel.py": 0.8,
        "test_biggan.py": 0.7, "test_encoder.py": 0.7, "test_presets.py": 0.6, "test_progan.py": 0.5,
        "test_augment.py": 0.5, "test_emoji.py": 0.5, "test_cli.py": 0.4, "test_cgan.py": 0.4,
        "test_pix2pix.py": 0.3, "test_dcgan.py": 0.3, "test_layers.py": 0.2, "test_bible.py": 0.2,
        "test_datasets.py": 0.2, "test_hub.py": 0.1, "test_losses.py": 0.1, "test_package_structure.py": 0.0,
        "test_shipped_presets.py": 0.0, "test_families_across_backends.py": 0.0,
    },
    "tensorflow": {
        "test_family_contract.py": 4.0, "test_unmt.py": 3.2, "test_stackgan.py": 3.1,
        "test_evaluation.py": 1.8, "test_cyclegan.py": 1.7, "test_shipped_presets.py": 1.3,
        "test_presets.py": 1.1, "test_biggan.py": 1.0, "test_gpu_all.py": 1.0, "test_checkpoint.py": 0.8,
        "test_stylegan.py": 0.7, "test_latent.py": 0.6, "test_adversarial_model.py": 0.5,
        "test_pix2pix.py": 0.4, "test_encoder.py": 0.4, "test_progan.py": 0.4, "test_emoji.py": 0.4,
        "test_cli.py": 0.3, "test_dcgan.py": 0.3, "test_families_across_backends.py": 0.3,
        "test_cgan.py": 0.3, "test_bible.py": 0.2, "test_augment.py": 0.2, "test_datasets.py": 0.1,
        "test_hub.py": 0.1, "test_layers.py": 0.0, "test_package_structure.py": 0.0, "test_losses.py": 0.0,
        "test_data_parallel.py": 0.0,
    },
    "torch": {
        "test_evaluation.py": 2.7, "test_families_across_backends.py": 1.9, "test_family_contract.py": 1.7,
        "test_gpu_all.py": 0.9, "test_data_parallel.py": 0.9, "test_checkpoint.py": 0.7,
        "test_presets.py": 0.4, "test_latent.py": 0.4, "test_stackgan.py": 0.4, "test_augment.py": 0.3,
        "test_cyclegan.py": 0.2, "test_cli.py": 0.2, "test_unmt.py": 0.2, "test_bible.py": 0.2,
        "test_adversarial_model.py": 0.2, "test_encoder.py": 0.1, "test_pix2pix.py": 0.1, "test_cgan.py": 0.1,
        "test_stylegan.py": 0.1, "test_biggan.py": 0.1, "test_progan.py": 0.1, "test_hub.py": 0.1,
        "test_emoji.py": 0.0, "test_datasets.py": 0.0, "test_dcgan.py": 0.0, "test_package_structure.py": 0.0,
        "test_layers.py": 0.0, "test_shipped_presets.py": 0.0, "test_losses.py": 0.0,
    },
}
TIMES_VARIABLE = "KERAS_GAN_ZOO_TEST_TIMES"  # where tests/conftest.py writes a run's seconds per file


def thread_limits(threads):
    """Environment that holds each backend's math library to `threads`."""
    n = str(threads)
    # Only dashed XLA flags: XLA stops reading XLA_FLAGS at the first word
    # that is not one (an `intra_op_parallelism_threads=N` here once hid every
    # flag after it, tests/conftest.py's among them).
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "TF_NUM_INTRAOP_THREADS": n,
            "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "")
                          + f" --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}").strip()}


def shards(files, count, backend):
    """`files` in `count` groups of about equal `FILE_MINUTES[backend]`
    (longest file to the lightest group first); empty groups are dropped."""
    minutes = lambda path: FILE_MINUTES[backend].get(pathlib.Path(path).name, 1.0)
    groups = [[] for _ in range(max(1, count))]
    load = [0.0] * len(groups)
    for path in sorted(files, key=lambda f: (-minutes(f), f)):
        k = load.index(min(load))
        groups[k].append(path)
        load[k] += minutes(path)
    return [(sorted(g), w) for g, w in zip(groups, load) if g]


def minutes_per_file(paths):
    """{file name: minutes} summed over the seconds-per-file JSON files that
    tests/conftest.py wrote, largest first, rounded for pasting."""
    import json

    seconds = {}
    for path in paths:
        for name, value in json.loads(pathlib.Path(path).read_text()).items():
            seconds[pathlib.Path(name).name] = seconds.get(pathlib.Path(name).name, 0.0) + value
    return {name: round(value / 60, 1) for name, value in sorted(seconds.items(), key=lambda kv: -kv[1])}


def run(backend, shared, pytest_args, threads, log_dir, name=None, times=None):
    name = name or backend
    home = tempfile.mkdtemp(prefix=f"kgz-{backend}-")
    env = dict(os.environ, KERAS_BACKEND=backend, KERAS_HOME=home, KERAS_GAN_ZOO_SHARED_CACHE=shared)
    if times:
        env[TIMES_VARIABLE] = str(times)
    if threads:
        env.update(thread_limits(threads))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=15",
               *pytest_args]
    start = time.monotonic()
    try:
        if log_dir is None:
            code = subprocess.run(command, cwd=ROOT, env=env).returncode
            log = ""
        else:
            path = pathlib.Path(log_dir) / f"{name}.log"
            with open(path, "w") as out:
                code = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
            log = path.read_text()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return name, code, time.monotonic() - start, log


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backends", nargs="*", help="tensorflow, torch and/or jax (default: all three)")
    parser.add_argument("--jobs", type=int, default=2, help="backends run at the same time (default 2)")
    parser.add_argument("--threads", type=int, default=None,
                        help="math-library threads per run (default: the cores divided among the "
                             "runs when several run at once, the library's own choice otherwise)")
    parser.add_argument("--shards", type=int, default=None,
                        help="pytest runs per backend, each over a share of the test files "
                             "(default: 3 when several runs go at once and no pytest arguments "
                             "are given, else 1)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.shards is not None and args.shards < 1:
        parser.error("--shards must be at least 1")
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}: choose from {', '.join(BACKENDS)}")
    backends = list(dict.fromkeys(args.backends or BACKENDS))
    count = args.shards if args.shards is not None else (3 if args.jobs > 1 and not extra else 1)
    if count > 1 and extra:
        parser.error("--shards splits the whole suite: give no pytest arguments with it")
    runs = []  # (name, backend, pytest arguments, expected weight)
    for backend in backends:
        if count == 1:
            runs.append((backend, backend, extra or ["tests"], sum(FILE_MINUTES[backend].values())))
            continue
        files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.py"))
        for k, (group, minutes) in enumerate(shards(files, count, backend), 1):
            runs.append((f"{backend}-{k}", backend, group, minutes))
    runs.sort(key=lambda r: -r[3])  # the longest starts first
    jobs = min(args.jobs, len(runs))
    threads = args.threads if args.threads is not None else (
        max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None)
    shared = tempfile.mkdtemp(prefix="kgz-shared-")
    logs = tempfile.mkdtemp(prefix="kgz-logs-") if jobs > 1 else None
    times = pathlib.Path(tempfile.mkdtemp(prefix="kgz-times-"))
    timed = lambda name: times / f"{name}.json"
    results = []
    started = time.monotonic()
    try:
        if jobs == 1:
            for name, backend, pytest_args, _ in runs:
                print(f"=== KERAS_BACKEND={backend} ({name})", flush=True)
                results.append(run(backend, shared, pytest_args, threads, None, name, timed(name)) + (backend,))
        else:
            print(f"=== {len(runs)} runs ({', '.join(r[0] for r in runs)}): {jobs} at a time, "
                  f"{threads} thread(s) each; each log prints when its run ends", flush=True)
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                futures = {pool.submit(run, backend, shared, pytest_args, threads, logs, name, timed(name)): backend
                           for name, backend, pytest_args, _ in runs}
                for future in concurrent.futures.as_completed(futures):
                    name, code, seconds, log = future.result()
                    print(f"=== KERAS_BACKEND={futures[future]} ({name}: {seconds / 60:.1f} min, "
                          f"exit {code})\n{log}", flush=True)
                    results.append((name, code, seconds, log, futures[future]))
        for backend in backends:
            measured = [timed(name) for name, b, _, _ in runs if b == backend and timed(name).is_file()]
            if measured:
                print(f"=== minutes per test file ({backend}): {minutes_per_file(measured)}", flush=True)
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(times, ignore_errors=True)
        if logs:
            shutil.rmtree(logs, ignore_errors=True)
    summary = []
    for backend in backends:
        mine = [r for r in results if r[4] == backend]
        failed = [r[0] for r in mine if r[1] != 0]
        summary.append(f"{backend} {'FAILED (' + ', '.join(failed) + ')' if failed else 'passed'} "
                       f"({len(mine)} run(s), {sum(r[2] for r in mine) / 60:.1f} min in all)")
    print(f"=== summary after {(time.monotonic() - started) / 60:.1f} min: " + "; ".join(summary))
    return max(code for _, code, _, _, _ in results)


if __name__ == "__main__":
    sys.exit(main())
