"""Start a two-stage StackGAN recipe at stage II from a stage-I-only run.

    python recipes/stackgan_stage1_from.py runs/stackgan-openmoji-projection \\
        stackgan_openmoji_projection_full runs/stackgan-projection-full
    python recipes/stackgan_openmoji_projection_full.py --run-dir runs/stackgan-projection-full \\
        --from-stage 2 --out runs/stackgan-projection-full/preset

Builds the recipe's two-stage model, copies into it the stage-I networks
(stage-I conditioning, stage-I generator and its moving average, stage-I
discriminator) of the one-stage run's `preset`, and writes what `--from-stage
2` resumes from: `after-stage1.weights.h5` and the one-stage run's
`stages.json` (its stage I's steps and wall time go into the card). Checks
that the copy draws the same stage-I images as the one-stage preset and
prints the largest difference. This is how the candidate in
benchmarks/RESULTS.md ("Both stages with the projection discriminator") was
made from the stage-I ablation.
"""

import argparse
import pathlib
import shutil
import sys

import numpy as np

from keras_gan_zoo import presets, training


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="run folder of the stage-I-only recipe (holds preset/ and stages.json)")
    parser.add_argument("recipe", help="the two-stage recipe, e.g. stackgan_openmoji_projection_full")
    parser.add_argument("run_dir", help="run folder of the two-stage recipe to write")
    args = parser.parse_args(argv)
    source, run_dir = pathlib.Path(args.source), pathlib.Path(args.run_dir)
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    recipe = __import__(args.recipe).RECIPE
    model = training.build_model(recipe)
    one = presets.load(source / "preset", compile=False)
    try:
        model.copy_stage(one, stage=1)
    except ValueError as error:
        raise SystemExit(f"{source / 'preset'} does not fit {args.recipe}: {error}")
    captions = list(one.held_out_captions()[:8])
    difference = np.abs(model.generate(captions, seed=0, stage=1, output="float")
                        - one.generate(captions, seed=0, stage=1, output="float")).max()
    run_dir.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(run_dir / "after-stage1.weights.h5"))
    shutil.copy(source / "stages.json", run_dir / "stages.json")
    print(f"Wrote {run_dir / 'after-stage1.weights.h5'} and stages.json; stage-I images of 8 held-out "
          f"captions differ from {source / 'preset'} by at most {difference:g}")


if __name__ == "__main__":
    main()
