"""DCGAN training speed: keras-gan-zoo `fit` against a hand-written loop.

    python benchmarks/train_step.py                # all three backends
    python benchmarks/train_step.py --steps 300 --width 64 --batch-size 64
    python benchmarks/train_step.py --backends torch --keras-torch-path   # without the fast paths
    python benchmarks/train_step.py --image-size 64 --channels 3 --width 128   # the paper's LSUN network
    python benchmarks/train_step.py --backends torch --jit-compile   # Keras's step through torch.compile
    python benchmarks/train_step.py --backends torch --width 4 --batch-size 2 --python-profile 25
        # a Python-bound step, and where its Python time goes (cProfile of one more Keras round)

For each backend (one subprocess each: Keras picks its backend at import),
the same DCGAN (28x28 grey MNIST by default) is trained with `DCGAN.fit` and with a hand-written
loop of the identical network in that framework (PyTorch modules; pure JAX
with optax; TensorFlow GradientTape), alternately, in one process. Prints

    <backend> keras_steps_per_s=<x> native_steps_per_s=<y> ratio=<x/y> keras_images_per_s=... native_images_per_s=...
    <backend> generate_images_per_s=<x> raw_images_per_s=<y> overhead=<%>

`generate` is compared with a direct compiled call of the same generator
(`predict_on_batch`) on the same latents. The best of `--rounds` is kept.
The run stops if the two networks' parameter counts differ.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _data(steps, batch_size, image_size=28, channels=1):
    """MNIST for the 28x28 grey network; random uint8 images of the shape
    otherwise (a step's cost does not depend on what the pixels show)."""
    need = steps * batch_size
    if (image_size, channels) != (28, 1):
        return np.random.default_rng(0).integers(0, 256, (need, image_size, image_size, channels), "uint8")
    from keras_gan_zoo import datasets

    (x, _), _ = datasets.load_mnist()
    return np.concatenate([x] * (need // len(x) + 1))[:need]


def run_backend(args):
    import keras

    import keras_gan_zoo as kgz
    from native_dcgan import LOOPS

    from keras_gan_zoo import gradients

    backend = keras.backend.backend()
    print(f"{backend} device={gradients.device_description()}", flush=True)
    if args.keras_torch_path and backend == "torch":
        # Keras's own torch code, without gradients' fast paths.
        gradients.set_torch_fast_paths(False)
    data = _data(args.steps, args.batch_size, args.image_size, args.channels)
    model = kgz.DCGAN(image_size=args.image_size, channels=args.channels, width=args.width)
    # --jit-compile: the step compiled by the backend's compiler (torch.compile on PyTorch; XLA on
    # JAX and TensorFlow, where "auto" already compiles), timed after the compilation.
    model.compile(**({"jit_compile": True} if args.jit_compile else {}))
    start = time.perf_counter()
    model.fit(data[: 10 * args.batch_size], batch_size=args.batch_size, epochs=1, verbose=0)  # compile
    first_fit_s = time.perf_counter() - start
    native = LOOPS[backend](width=args.width, channels=args.channels, image_size=args.image_size)
    count = lambda network: sum(int(np.prod(v.shape)) for v in network.trainable_weights)
    if native.num_parameters != (count(model.generator), count(model.discriminator)):
        raise SystemExit(f"{backend}: the hand-written network has {native.num_parameters} parameters, "
                         f"Keras's {(count(model.generator), count(model.discriminator))}")
    batches = [data[i:i + args.batch_size] for i in range(0, len(data), args.batch_size)]
    for b in batches[:10]:
        native(b)
    sync = getattr(native, "sync", lambda: None)

    keras_best = native_best = 0.0
    for _ in range(args.rounds):
        start = time.perf_counter()
        model.fit(data, batch_size=args.batch_size, epochs=1, verbose=0, shuffle=False)
        keras_best = max(keras_best, args.steps / (time.perf_counter() - start))
        start = time.perf_counter()
        for b in batches:
            last = native(b)
        sync()
        float(last[0])
        native_best = max(native_best, args.steps / (time.perf_counter() - start))
    print(f"{backend} keras_steps_per_s={keras_best:.2f} native_steps_per_s={native_best:.2f} "
          f"ratio={keras_best / native_best:.3f} keras_images_per_s={keras_best * args.batch_size:.1f} "
          f"native_images_per_s={native_best * args.batch_size:.1f} "
          f"first_fit_s={first_fit_s:.1f}", flush=True)  # 10 steps with the compilation
    if args.python_profile:
        _python_profile(backend, lambda: model.fit(data, batch_size=args.batch_size, epochs=1, verbose=0,
                                                   shuffle=False), args.python_profile)
    if args.skip_generate:
        return

    latents = model.sample_latents(args.generate_images, seed=0)
    model.generate(latents=latents[:256])
    model.ema_generator.predict_on_batch(latents[:256])
    gen_best = raw_best = 0.0
    for _ in range(args.rounds):
        start = time.perf_counter()
        model.generate(latents=latents, batch_size=256)
        gen_best = max(gen_best, len(latents) / (time.perf_counter() - start))
        start = time.perf_counter()
        for i in range(0, len(latents), 256):
            np.asarray(keras.ops.convert_to_numpy(model.ema_generator.predict_on_batch(latents[i:i + 256])))
        raw_best = max(raw_best, len(latents) / (time.perf_counter() - start))
    print(f"{backend} generate_images_per_s={gen_best:.0f} raw_images_per_s={raw_best:.0f} "
          f"overhead={100 * (raw_best / gen_best - 1):.1f}%", flush=True)


def _python_profile(backend, run, top):
    """Prints the `top` functions by cumulative time of `run()` under cProfile,
    one line each: `<backend> profile cumulative_s=<s> calls=<n> <function>`."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler)
    print(f"{backend} profile total_s={stats.total_tt:.2f}", flush=True)
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][3])[:top]
    for (path, line, name), (_, calls, _, cumulative, _) in rows:
        where = os.path.join(*path.split(os.sep)[-3:]) if os.sep in path else path
        print(f"{backend} profile cumulative_s={cumulative:.2f} calls={calls} {where}:{line}({name})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,torch,jax", help="comma-separated")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=28, help="any size DCGAN takes (28, 32, 64)")
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--skip-generate", action="store_true", help="time the training step only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--generate-images", type=int, default=4096)
    parser.add_argument("--keras-torch-path", action="store_true",
                        help="PyTorch: time Keras's own torch code (copies around each convolution, "
                             "batch norm from elementwise ops) instead of keras_gan_zoo.gradients' "
                             "fast paths")
    parser.add_argument("--jit-compile", action="store_true",
                        help="compile Keras's step with jit_compile=True (PyTorch: torch.compile)")
    parser.add_argument("--python-profile", type=int, default=0, metavar="N",
                        help="after the timing, profile one more Keras round with cProfile and print "
                             "its N functions of most cumulative time")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, HERE)
        return run_backend(args)
    for backend in args.backends.split(","):
        lines, error = run_child(backend, args)
        print("\n".join(lines) if lines else f"{backend} failed:\n{error}", flush=True)


def run_child(backend, args, env=None):
    """Runs the benchmark for one backend in a subprocess (Keras picks its
    backend at import); returns (its result lines, the end of its stderr)."""
    env = dict(env or os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, os.path.join(HERE, "train_step.py"), "--child"]
    for flag in ("steps", "batch_size", "width", "image_size", "channels", "rounds", "generate_images"):
        cmd += ["--" + flag.replace("_", "-"), str(getattr(args, flag))]
    cmd += ["--keras-torch-path"] if getattr(args, "keras_torch_path", False) else []
    cmd += ["--skip-generate"] if getattr(args, "skip_generate", False) else []
    cmd += ["--jit-compile"] if getattr(args, "jit_compile", False) else []
    cmd += ["--python-profile", str(args.python_profile)] if getattr(args, "python_profile", 0) else []
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith(backend + " ")]
    return lines, result.stderr[-2000:]


if __name__ == "__main__":
    main()
