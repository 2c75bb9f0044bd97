"""Recipe for the inverting encoder that ships with an image preset.

    python recipes/inverting_encoder.py dcgan-mnist            # writes weights/dcgan-mnist/encoder.*
    python recipes/inverting_encoder.py dcgan-mnist --smoke    # the same pipeline in seconds

iGAN's encoder (Zhu et al. 2016, section 3.1; `keras_gan_zoo.encoder`):
for a class-conditional preset the generator draws each image's latent
with the image's class;
stride-2 convolutions from the image to the preset's first latent space,
trained with Adam(1e-3) for `--epochs` on the preset's *training* split so
that the frozen generator redraws each image from its latent (mean squared
pixel error). The held-out split stays unseen: `keras-gan-zoo inversion
PRESET --write` measures the three inversions on it and records them in
the card. An interrupted run resumes from its last finished epoch
(`runs/encoder-PRESET/backup`) when the same command runs again. The
generator's weights are not touched; the preset folder gains
`encoder.weights.h5` and `encoder.json` (presets without them load as
before).
"""

import argparse

import keras

import keras_gan_zoo as kgz
from keras_gan_zoo import encoder as encoders
from keras_gan_zoo import gradients, presets, training


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--space", help="latent space (default: the preset's first)")
    parser.add_argument("--smoke", action="store_true", help="256 images, 1 epoch, not saved")
    args = parser.parse_args(argv)
    model = kgz.from_pretrained(args.preset, compile=False)
    (x_train, y_train), _ = model.data_splits()
    # A conditional generator draws each training image's latent with its class (or caption).
    conditions = {model.condition_name: y_train} if model.condition_name else {}
    if args.smoke:
        x_train, args.epochs = x_train[:256], 1
        conditions = {k: v[:256] for k, v in conditions.items()}
    # An interrupted run resumes from its last finished epoch: run the same command again.
    run_dir = training.REPO_ROOT / "runs" / f"encoder-{args.preset}"
    backup, clock = (None, None) if args.smoke else (run_dir / "backup", run_dir / "clock.json")
    if clock and not backup.exists():  # a fresh run: forget a finished run's time
        clock.unlink(missing_ok=True)
    encoder = encoders.train_encoder(model, x_train, space=args.space, epochs=args.epochs,
                                     batch_size=args.batch_size, width=args.width, verbose=2,
                                     backup_dir=backup, callbacks=[training.ProgressBar()]
                                     + ([training.RunClock(clock)] if clock else []), **conditions)
    # Training time over every sitting of a resumed run.
    wall = sum(training.RunClock.read(clock).values()) if clock else 0.0
    encoder.config["training"].update({
        "command": " ".join(["python recipes/inverting_encoder.py", args.preset]
                            + (["--epochs", str(args.epochs)] if args.epochs != 5 else [])),
        "backend": keras.backend.backend(), "device": gradients.device_description(),
        "wall_time_s": round(wall, 1)})
    if args.smoke:
        print(f"smoke run: final RMS error {encoder.config['training']['final_rms_error']:.4f}")
        return
    folder = encoder.save(model.preset_path)
    presets.update_metadata(folder, {"encoder": encoder.config})
    print(f"Saved the encoder to {folder} ({wall:.0f} s; training RMS error "
          f"{encoder.config['training']['final_rms_error']:.4f})")


if __name__ == "__main__":
    main()
