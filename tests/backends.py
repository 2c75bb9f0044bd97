"""Run the test suite once per Keras backend, several backends at a time.

    python tests/backends.py                       # all three, two at a time
    python tests/backends.py --jobs 1 jax          # one backend, in the foreground
    python tests/backends.py -- -k presets         # extra arguments go to pytest

Each backend's run gets its own `KERAS_HOME` (Keras writes `keras.json` there
on first import, and the JAX compilation cache lives in it) and shares one
`KERAS_GAN_ZOO_SHARED_CACHE` with the others (rendered data sets, the converted
Inception network and reference features do not depend on the backend; their
writers replace files atomically, so runs side by side may share them).

Why parallel: most tests are small, so a run spends its time in one Python
thread (tracing, compiling, bookkeeping) and a second core sits idle. Running
the longest backend (JAX, whose compiles dominate) beside the other two cuts
the wall time of `make test` on a 2-core machine. When several runs share the
cores, each backend's math library is held to its share of the cores (`--threads`):
PyTorch's OpenMP pool in particular spins when more threads than cores
compete, and a contended run then slows by several times.

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
# Measured wall minutes of each backend's run alone on a 2-core CPU (`make
# test`, --durations output of CI): the longest starts first.
EXPECTED_MINUTES = {"jax": 13.9, "tensorflow": 11.9, "torch": 7.0}


def thread_limits(threads):
    """Environment that holds each backend's math library to `threads`."""
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "TF_NUM_INTRAOP_THREADS": n,
            "XLA_FLAGS": (os.environ.get("XLA_FLAGS", "")
                          + f" --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'}"
                          + f" intra_op_parallelism_threads={n}").strip()}


def run(backend, shared, pytest_args, threads, log_dir):
    home = tempfile.mkdtemp(prefix=f"kgz-{backend}-")
    env = dict(os.environ, KERAS_BACKEND=backend, KERAS_HOME=home, KERAS_GAN_ZOO_SHARED_CACHE=shared)
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
            path = pathlib.Path(log_dir) / f"{backend}.log"
            with open(path, "w") as out:
                code = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
            log = path.read_text()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return backend, code, time.monotonic() - start, log


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
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(unknown)}: choose from {', '.join(BACKENDS)}")
    backends = sorted(dict.fromkeys(args.backends or BACKENDS), key=lambda b: -EXPECTED_MINUTES[b])
    jobs = min(args.jobs, len(backends))
    threads = args.threads if args.threads is not None else (
        max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None)
    pytest_args = extra or ["tests"]
    shared = tempfile.mkdtemp(prefix="kgz-shared-")
    logs = tempfile.mkdtemp(prefix="kgz-logs-") if jobs > 1 else None
    results = []
    try:
        if jobs == 1:
            for backend in backends:
                print(f"=== KERAS_BACKEND={backend}", flush=True)
                results.append(run(backend, shared, pytest_args, threads, None))
        else:
            print(f"=== {', '.join(backends)}: {jobs} at a time, {threads} thread(s) each; "
                  "each log prints when its run ends", flush=True)
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                futures = [pool.submit(run, b, shared, pytest_args, threads, logs) for b in backends]
                for future in concurrent.futures.as_completed(futures):
                    backend, code, seconds, log = future.result()
                    print(f"=== KERAS_BACKEND={backend} ({seconds / 60:.1f} min, exit {code})\n{log}",
                          flush=True)
                    results.append((backend, code, seconds, log))
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        if logs:
            shutil.rmtree(logs, ignore_errors=True)
    print("=== summary: " + "; ".join(f"{b} {'passed' if c == 0 else f'FAILED (exit {c})'} in "
                                       f"{s / 60:.1f} min" for b, c, s, _ in results))
    return max(code for _, code, _, _ in results)


if __name__ == "__main__":
    sys.exit(main())
