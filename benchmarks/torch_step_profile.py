"""Where Keras-on-PyTorch spends the DCGAN training step, against the
hand-written PyTorch loop of `benchmarks/native_dcgan.py` (torch.profiler).

    KERAS_BACKEND=torch python benchmarks/torch_step_profile.py
    KERAS_BACKEND=torch python benchmarks/torch_step_profile.py --keras-torch-path

Prints both loops' steps/s, their ratio, and each loop's operators by self
CPU time (`aten::copy_` is where Keras's copies around convolutions show).
`--keras-torch-path` times Keras's own torch code instead of
`keras_gan_zoo.gradients`' fast paths (channels-last views around
convolutions, fused training-mode batch norm). One thread by default.
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rows", type=int, default=12)
    parser.add_argument("--keras-torch-path", action="store_true")
    args = parser.parse_args()
    os.environ["KERAS_BACKEND"] = "torch"
    sys.path.insert(0, HERE)
    import torch
    from torch.profiler import ProfilerActivity, profile

    import keras_gan_zoo as kgz
    from native_dcgan import LOOPS
    from train_step import _data

    torch.set_num_threads(args.threads)
    if args.keras_torch_path:
        # Keras's own torch code, without gradients' fast paths.
        from keras_gan_zoo import gradients as _gradients
        _gradients.set_torch_fast_paths(False)
    data = _data(args.steps, args.batch_size)
    model = kgz.DCGAN(image_size=28, width=args.width)
    model.compile()
    model.fit(data[: 10 * args.batch_size], batch_size=args.batch_size, epochs=1, verbose=0)
    native = LOOPS["torch"](width=args.width)
    batches = [data[i:i + args.batch_size] for i in range(0, len(data), args.batch_size)]
    for batch in batches[:5]:
        native(batch)
    keras_fit = lambda: model.fit(data, batch_size=args.batch_size, epochs=1, verbose=0, shuffle=False)
    native_fit = lambda: [native(batch) for batch in batches]

    def seconds(run):
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    keras_s = min(seconds(keras_fit) for _ in range(2))
    native_s = min(seconds(native_fit) for _ in range(2))
    print(f"keras_steps_per_s={args.steps / keras_s:.2f} native_steps_per_s={args.steps / native_s:.2f} "
          f"ratio={native_s / keras_s:.3f}")
    for name, run in (("keras", keras_fit), ("native", native_fit)):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            run()
        print(f"--- {name}")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
