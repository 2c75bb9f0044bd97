"""The `keras-gan-zoo` command: sample, train, evaluate and use the shipped presets.

Examples:

    keras-gan-zoo list
    keras-gan-zoo sample dcgan-mnist --num 64 --seed 0 --out grid.png
    keras-gan-zoo sample cgan-fashion-mnist --label sneaker --label bag --num 8 --out shoes.png
    keras-gan-zoo sample pix2pix-openmoji-line2color --input my_sketches/ --out coloured.png
    keras-gan-zoo sample unmt-en-es-bible --text "And God said, Let there be light"
    keras-gan-zoo train dcgan_mnist --smoke
    keras-gan-zoo evaluate dcgan-mnist --num 10000
    keras-gan-zoo interpolate dcgan-mnist --out strip.png     # and project, detect, neighbours, modes
    keras-gan-zoo detection dcgan-mnist --num 200             # and inversion: the lectures' tables
    keras-gan-zoo remeasure runs/new/dcgan-mnist --dry-run   # the card's commands, on new weights
    keras-gan-zoo ship runs/new/dcgan-mnist --goal "..." --keep-notes   # then replace the shipped preset
    keras-gan-zoo cards            # regenerate MODEL_CARDS.md
"""

import argparse
import importlib.util
import inspect
import pathlib
import sys
import time

import keras
import numpy as np
from PIL import Image

import keras_gan_zoo as kgz
from keras_gan_zoo import (cards, classifier, datasets, evaluation, gradients, latent, presets, registry,
                           remeasure, sampling, tasks, training)
from keras_gan_zoo.tasks import image_grid  # noqa: F401  (public: cli.image_grid)


def save_image(array, path):
    array = np.asarray(array)
    if array.shape[-1] == 1:
        array = array[..., 0]
    pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _cmd_list(args):
    for name in presets.list_presets():
        metadata = presets.read_json(presets.preset_dir(name) / presets.METADATA_FILE, "metadata")
        family = registry.family_class(metadata.get("class_name", ""))
        line = family.headline(metadata.get("metrics", {})) if family is not None else None
        print(f"{name:28s} {metadata.get('class_name', ''):14s} {line or 'not evaluated'}")


# showcase() argument -> `sample` flag, for the options that belong to some families only.
SAMPLE_OPTIONS = {"truncation": "truncation", "captions": "caption", "stage": "stage", "labels": "label",
                  "inputs": "input", "direction": "direction", "sentences": "text", "source": "source",
                  "beam_size": "beam"}


def _cmd_sample(args):
    model = kgz.from_pretrained(args.preset, compile=False)
    # Each family's showcase takes its own options: passed only when given.
    options = {name: getattr(args, flag) for name, flag in SAMPLE_OPTIONS.items()
               if getattr(args, flag) is not None}
    takes = inspect.signature(model.showcase).parameters
    refused = [f"--{SAMPLE_OPTIONS[name]}" for name in options if name not in takes]
    if refused:
        own = [f"--{flag}" for name, flag in SAMPLE_OPTIONS.items() if name in takes
               and (name != "truncation" or getattr(model, "truncation_argument", None))]
        raise ValueError(f"{args.preset} is a {type(model).__name__}, which takes no {', '.join(refused)} "
                         f"when sampling; its own options: {', '.join(own) or 'none'}")
    if args.resample is not None:
        extra = model.truncation_args(args.truncation) if args.truncation is not None else {}
        num, columns = args.num, args.columns
        if args.label:  # a row of --num per class, as without --resample
            classes = model.class_labels(args.label)
            extra["labels"], num, columns = np.repeat(classes, num), num * len(classes), columns or num
        if model.condition_name == "captions":  # one image per caption, as without --resample
            if args.stage is not None:
                raise ValueError("--resample picks with the last stage's discriminator: drop --stage")
            extra["captions"] = args.caption or [str(c) for c in model.held_out_captions()[:num]]
            num = len(extra["captions"])
        images = sampling.discriminator_resample(model, num, seed=args.seed, candidates=args.resample,
                                                 temperature=args.temperature, **extra)
        save_image(image_grid(images, columns), args.out)
        print(f"Wrote {num} samples of {args.preset} (seed {args.seed}), each the discriminator's pick "
              f"of {args.resample} at temperature {args.temperature:g}, to {args.out}")
        return
    show = model.showcase(num=args.num, seed=args.seed, columns=args.columns, **options)
    if show.images is not None:
        save_image(image_grid(show.images, show.columns), args.out)
        print(f"Wrote {show.summary} of {args.preset} to {args.out}")
    else:
        print(f"{args.preset}: {show.summary}")
    given = args.text or args.caption  # the user's own inputs: print every one
    for line in show.lines if given else show.lines[:3 * args.num + 8]:
        print(line)


def _find_recipe(name):
    path = pathlib.Path(name)
    if path.suffix != ".py":
        path = pathlib.Path(__file__).resolve().parent.parent / "recipes" / f"{name.replace('-', '_')}.py"
    if not path.is_file():
        folder = pathlib.Path(__file__).resolve().parent.parent / "recipes"
        # Only files that define a RECIPE; the others (gpu_all.py, classifiers.py) are scripts.
        known = sorted(p.stem for p in folder.glob("*.py") if "\nRECIPE = " in p.read_text()) \
            if folder.is_dir() else []
        raise SystemExit(f"Unknown recipe {name!r}. Recipes: {known} (or pass a path to a recipe .py file).")
    # Recipes may build on each other (`from dcgan_mnist import RECIPE`).
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"recipe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "RECIPE", None), dict):
        raise SystemExit(f"{path.name} defines no RECIPE: it is a script, not a training recipe. "
                         f"Run it with `python {path}`.")
    return module.RECIPE


def _cmd_train(args):
    recipe = _find_recipe(args.recipe)
    training.run_recipe(recipe, smoke=args.smoke, output_dir=args.out, epochs=args.epochs,
                        fid_images=args.fid_images, precision=args.precision, run_dir=args.run_dir,
                        steps=args.steps, checkpoint_every=args.checkpoint_every, devices=args.devices,
                        minutes=args.minutes, init_from=args.init_from)


def _cmd_evaluate(args):
    if args.real:
        _evaluate_against_images(args)
        return
    if args.resample is not None:
        sampling.evaluate_preset(args.preset, candidates=args.resample, temperature=args.temperature,
                                 num_images=args.num, seed=args.seed, num_reference=args.num_reference,
                                 write=not args.no_write, calibrate=args.calibrate)
        return
    if args.calibrate is not None:
        raise ValueError("--calibrate fine-tunes the discriminator that --resample picks with: add --resample K")
    evaluation.evaluate_preset(args.preset, num_images=args.num, seed=args.seed,
                               write=not args.no_write, num_reference=args.num_reference,
                               num_per_class=args.num_per_class, baseline=args.baseline,
                               baseline_label=args.baseline_label, supervised=args.supervised,
                               beam=args.beam, limit=args.limit, quick=args.quick)


def _evaluate_against_images(args):
    """`evaluate --real PATH`: FID and KID of the preset's samples against your
    own images (e.g. held out from a fine-tuning set). Printed, never recorded:
    a card's figures use its data set's protocol."""
    model = _latent_model(args)
    if model.condition_name == "captions":
        raise ValueError(f"{args.preset} draws each image from a caption, and --real images come without "
                         "captions: measure it with `keras-gan-zoo evaluate PRESET` (held-out captions)")
    real = datasets.load_images(args.real, image_size=model.image_shape[0], channels=model.image_shape[-1])
    result = evaluation.evaluate_model(model, None, num_images=args.num, seed=args.seed,
                                       reference_images=real, num_reference=args.num_reference)
    print(f"{args.preset}: {result['num_generated']:,} samples (seed {args.seed}) against your "
          f"{result['num_reference']:,} images: FID {result['fid']:.2f}, KID {result['kid']:.4f} "
          f"(+- {result['kid_std']:.4f}), precision {result['precision']:.3f}, recall {result['recall']:.3f}, "
          f"density {result['density']:.3f}, coverage {result['coverage']:.3f} ({result['wall_time_s']:.0f} s). "
          "FID is biased upwards on a few thousand images or fewer: compare models on the same images "
          "and --num, or read KID.")


def _cmd_cards(args):
    for name in presets.list_presets():  # each card from its preset's config and metadata
        folder = presets.preset_dir(name)
        if args.parameters:  # recount from the loaded networks (checksums verified on load)
            model = presets.load(folder, compile=False)
            presets.update_metadata(folder, {"parameters": presets.parameter_counts(model)})
        config = presets.read_json(folder / presets.CONFIG_FILE, "config")
        metadata = presets.read_json(folder / presets.METADATA_FILE, "metadata")
        (folder / presets.CARD_FILE).write_text(cards.render_model_card(config, metadata))
    out = pathlib.Path(args.out)
    out.write_text(presets.render_model_cards_file())
    print(f"Wrote the cards of {len(presets.list_presets())} presets and {out}")


def _cmd_push(args):
    """`push PRESET ORG/NAME`: a preset (a shipped name, or the folder that
    `train --out` wrote) to a Hugging Face Hub repo, card and optional parts
    (e.g. its inverting encoder) included."""
    model = kgz.from_pretrained(args.preset, compile=False)  # checksums verified first
    try:
        commit = model.push_to_hub(args.repo_id, private=args.private, commit_message=args.message)
    except (ValueError, TypeError):
        raise  # what was asked is wrong (e.g. the repo id): said as it is
    except Exception as error:  # no token, no network, or the Hub refused (the client's own error types)
        raise ValueError(f"the upload to {args.repo_id!r} failed: {error}. Log in with `huggingface-cli "
                         "login` (or set HF_TOKEN) and check that you may write to that repo.") from error
    print(f"Pushed {args.preset} to {args.repo_id}: {getattr(commit, 'commit_url', commit)}\n"
          f"Load it with kgz.from_pretrained('hf://{args.repo_id}').")


def _cmd_ship(args):
    remeasure.ship(args.folder, goal=args.goal, notes=args.notes, keep_notes=args.keep_notes,
                   carry=args.carry or ())


def _cmd_remeasure(args):
    try:
        remeasure.run(args.preset, commands_from=args.commands_from, backend=args.backend, start=args.start,
                      only=args.only.split(",") if args.only else None, dry_run=args.dry_run)
    except RuntimeError as error:
        print(f"keras-gan-zoo: error: {error}", file=sys.stderr)
        raise SystemExit(1)


def _conditions(args, num, model):
    """`labels=` for the class-conditional families (every image of --label,
    a class number or name); `captions=` for text-to-image (--caption once
    for every image, or once per image)."""
    captions = getattr(args, "caption", None)
    if model.condition_name == "captions":
        if args.label is not None:
            raise ValueError(f"{args.preset} draws images of captions, not classes: use --caption, not --label")
        if not captions or len(captions) not in (1, num):
            raise ValueError(f"{args.preset} draws each image from a caption: give --caption once for every "
                             f"image, or once per image ({num})")
        return {"captions": captions}
    if captions:
        raise ValueError(f"{args.preset} is a {type(model).__name__}, which takes no captions: drop --caption")
    if args.label is None:
        return {}
    if not hasattr(model, "class_labels"):
        raise ValueError(f"{args.preset} is a {type(model).__name__}, which has no classes: drop --label")
    return {"labels": np.repeat(model.class_labels([args.label]), num)}


def _read_images(model, paths):
    """Image files as uint8 of the model's shape (`datasets.load_images`: resized, converted to
    gray or RGB, transparency on white), one per path so that results line up with the paths."""
    folders = [path for path in paths if pathlib.Path(path).is_dir()]
    if folders:
        raise ValueError(f"{folders[0]!r} is a folder: pass image files (e.g. {folders[0]}/*.png)")
    return datasets.load_images(paths, image_size=model.image_shape[0], channels=model.image_shape[-1])


def _cmd_interpolate(args):
    model = kgz.from_pretrained(args.preset, compile=False)
    if hasattr(model, "interpolate_captions") or args.caption:
        images, what = _caption_walk(args, model)
    else:
        latent.space_of(model)  # a clear error for presets that no latent draws
        ends = model.sample_latents(2, seed=args.seed)
        path = latent.interpolate(ends[0], ends[1], steps=args.steps, method=args.method)
        images = model.generate(latents=path, **_conditions(args, len(path), model))
        what = f"{args.method} steps between two latents"
    latent.save_strip(images, args.out)
    print(f"Wrote {args.steps} {what} (seed {args.seed}) to {args.out}")
    if args.gif:
        latent.save_gif(images, args.gif, scale=max(1, 128 // images.shape[1]))
        print(f"Wrote {args.gif}")


def _caption_walk(args, model):
    """`interpolate --caption A --caption B`: a text-to-image preset's images
    from one caption to the other, z fixed (`StackGAN.interpolate_captions`)."""
    if not hasattr(model, "interpolate_captions"):
        raise ValueError(f"{args.preset} is a {type(model).__name__}, which takes no captions: drop --caption")
    if not args.caption or len(args.caption) != 2:
        raise ValueError(f"{args.preset} interpolates between two captions: give --caption twice, e.g. "
                         "--caption 'red heart' --caption 'blue heart'")
    if args.method != "slerp":
        raise ValueError("between captions the path is the great circle of their unit embeddings: drop --method")
    images = model.interpolate_captions(*args.caption, steps=args.steps, seed=args.seed)
    return images, f"steps from {args.caption[0]!r} to {args.caption[1]!r}"


def _cmd_project(args):
    model = _latent_model(args)
    images = _read_images(model, args.images)
    if args.command == "detect" and args.discriminator:
        scores, own = latent.scores_with_discriminator(
            model, images, method=args.method, steps=args.steps, restarts=args.restarts, seed=args.seed,
            calibration=args.calibration, learning_rate=args.learning_rate, bank=args.bank,
            **_conditions(args, len(images), model))
        low, median = np.percentile(own, [5, 50])
        print(f"generated_score with the discriminator; {len(own)} of the preset's own samples score "
              f"median {median:.2f}, 95% of them above {low:.2f}")
        for path, score in zip(args.images, scores):
            print(f"{path}: generated_score {score:.2f}")
        return
    fit = latent.project(model, images, method=args.method, steps=args.steps, restarts=args.restarts,
                         seed=args.seed, learning_rate=args.learning_rate, bank=args.bank,
                         **_conditions(args, len(images), model))
    if args.command == "detect":
        for path, error in zip(args.images, fit.errors):
            print(f"{path}: generated_score {-error:.4f} (RMS reconstruction error {error:.4f})")
        return
    save_image(image_grid(np.concatenate([images, fit.images]), len(images)), args.out)
    print(f"Wrote the {len(images)} images over their reconstructions ({fit.space} space) to {args.out}")
    for path, error in zip(args.images, fit.errors):
        print(f"{path}: RMS error {error:.4f} (pixels on [0, 1])")


def _cmd_neighbours(args):
    start = time.time()
    model = _latent_model(args)
    samples = model.showcase(num=args.num, seed=args.seed).images
    training = model.preset_metadata.get("training", {})
    if not training.get("dataset"):
        raise ValueError(f"{args.preset} records no training data set to search")
    (x_train, _), (x_test, _) = model.data_splits()
    indices, _ = latent.nearest_neighbours(samples, x_train, k=1)
    save_image(image_grid(np.concatenate([samples, x_train[indices[:, 0]]]), len(samples)), args.out)
    print(f"Wrote {len(samples)} samples over their nearest training images (pixels) to {args.out}")
    n = min(args.num_check, len(x_test))
    check = latent.memorisation(model.showcase(num=n, seed=args.seed + 1).images, x_train,
                                x_test[np.random.default_rng(args.seed).choice(len(x_test), n, replace=False)])
    print(f"memorisation ({n} samples, {n} held-out images, {len(x_train):,} training images): median "
          f"nearest-training distance {check['median_generated_to_train']:.3f} (samples) vs "
          f"{check['median_held_out_to_train']:.3f} (held-out), ratio {check['ratio']:.3f}; near copies "
          f"{check['near_copies']:.1%}")
    if args.write:
        command = f"keras-gan-zoo neighbours {args.preset} --num-check {args.num_check} --write"
        check.update({"command": command, "seed": args.seed, "backend": keras.backend.backend(),
                      "device": gradients.device_description(), "wall_time_s": round(time.time() - start, 1)})
        presets.update_metadata(presets.resolve(args.preset), {"metrics": {"memorisation": check}})
        print(f"Recorded in {args.preset}'s metadata and card")


def _cmd_modes(args):
    model = kgz.from_pretrained(args.preset, compile=False)
    if model.task is not tasks.UNCONDITIONAL_IMAGE:
        raise ValueError(f"{args.preset} is a {model.task.name} model: mode coverage counts the classes "
                         "an unconditional generator draws (class-conditional ones have class fidelity)")
    dataset = model.preset_metadata.get("training", {}).get("dataset") or model.default_dataset
    command = f"keras-gan-zoo modes {args.preset} --num {args.num}" + (" --write" if args.write else "")
    modes = evaluation.mode_coverage_metrics(model, dataset, args.num, args.seed, command)
    print(f"{modes['classes_covered']}/{modes['num_classes']} classes drawn; normalized entropy "
          f"{modes['normalized_entropy']:.3f}; class-mix distance to the test set "
          f"{modes['total_variation']:.3f}; shares (%) "
          + " ".join(f"{100 * share:.1f}" for share in modes["histogram"]))
    if args.write:
        presets.update_metadata(presets.resolve(args.preset), {"metrics": {"mode_coverage": modes}})
        print(f"Recorded in {args.preset}'s metadata and card")


def _cmd_inversion(args):
    start = time.time()
    model = _latent_model(args)
    images, labels = latent.held_out_sample(model, args.num, args.seed)
    # Conditional presets project each image with its own class or caption.
    conditions = {model.condition_name: labels} if model.condition_name else {}
    table = latent.compare_inversions(model, images, steps=args.steps, restarts=args.restarts,
                                      seed=args.seed, learning_rate=args.learning_rate, **conditions)
    print(f"| method | mean RMS pixel error | median | wall time |  ({table['num']} held-out images, "
          f"{table['space']})")
    for row in table["rows"]:
        print(f"| {row['method']} | {row['mean_rms_error']:.4f} | {row['median_rms_error']:.4f} | "
              f"{row['wall_time_s']:.1f} s |")
    if args.write:
        command = (f"keras-gan-zoo inversion {args.preset} --num {args.num} --steps {args.steps} "
                   f"--restarts {args.restarts} --learning-rate {args.learning_rate:g} --write")
        table.update({"command": command, "seed": args.seed, "backend": keras.backend.backend(),
                      "device": gradients.device_description(),
                      "wall_time_s": round(time.time() - start, 1),
                      "encoder": model.preset_metadata.get("encoder", {})})
        presets.update_metadata(presets.resolve(args.preset), {"metrics": {"inversion": table}})
        print(f"Recorded in {args.preset}'s metadata and card")


def _cmd_detection(args):
    start = time.time()
    model = _latent_model(args)
    images, labels = latent.held_out_sample(model, args.num, args.seed)
    other_images = other_labels = None
    if args.other:
        other = _latent_model(argparse.Namespace(preset=args.other))
        drawn, drawn_with = other.own_samples(args.num, args.seed + 1)
        other_images = _same_frame(drawn, model.image_shape,
                                   f"{args.other} draws {tuple(other.image_shape)} images; {args.preset} "
                                   f"draws {tuple(model.image_shape)}: choose a preset of the same data set")
        if model.condition_name is not None:
            other_labels = drawn_with.get(model.condition_name)
        if model.condition_name == "labels" and other_labels is None:
            other_labels = _classify(model, other_images)  # an unconditional preset's samples
        elif model.condition_name is not None and other_labels is None:
            raise ValueError(f"{args.other} draws no images of {model.condition_name}: choose a "
                             f"{model.task.name} preset of the same data set")
    result = latent.detection(model, images, labels, num=args.num,
                              method=args.method, steps=args.steps, restarts=args.restarts, seed=args.seed,
                              other_images=other_images, other_labels=other_labels,
                              learning_rate=args.learning_rate, discriminator=args.discriminator,
                              batch_size=args.batch_size, checkpoint=args.checkpoint, bank=args.bank)
    parts = lambda side: (f" (projection alone {result[f'auc_own_vs_{side}_projection']:.3f}, discriminator "
                          f"alone {result[f'auc_own_vs_{side}_discriminator']:.3f})" if args.discriminator else "")
    print(f"ROC AUC own samples vs held-out real images: {result['auc_own_vs_real']:.3f}{parts('real')} "
          f"(mean RMS error {result['rms_error_own']:.4f} vs {result['rms_error_real']:.4f})")
    if args.other:
        print(f"ROC AUC own samples vs {args.other}'s samples: {result['auc_own_vs_other']:.3f}{parts('other')}")
    if args.write:
        command = (f"keras-gan-zoo detection {args.preset} --num {args.num} --method {args.method} "
                   f"--steps {args.steps} --restarts {args.restarts} --learning-rate {args.learning_rate:g} "
                   f"--seed {args.seed}" + (f" --other {args.other}" if args.other else "")
                   + (f" --batch-size {args.batch_size}" if args.batch_size != latent.PROJECTION_BATCH else "")
                   + (f" --bank {args.bank}" if args.bank else "")
                   + (" --discriminator" if args.discriminator else "") + " --write")
        result.update({"command": command, "seed": args.seed, "other": args.other,
                       "backend": keras.backend.backend(), "device": gradients.device_description(),
                       "wall_time_s": round(time.time() - start, 1)})
        presets.update_metadata(presets.resolve(args.preset), {"metrics": {"detection": result}})
        print(f"Recorded in {args.preset}'s metadata and card")


def _same_frame(images, shape, error):
    """Another preset's samples in this preset's frame: the same data set
    zero-padded (28x28 digits in a 32x32 frame) or cropped alike; anything
    else is `error`."""
    size, channels = shape[0], shape[-1]
    if images.shape[-1] != channels or (size - images.shape[1]) % 2:
        raise ValueError(error)
    if images.shape[1] < size:
        return datasets.pad_images(images, size)
    return datasets.center_crop(images, size)


def _classify(model, images):
    """Labels for another model's samples, read by the data set's shipped classifier."""
    dataset = model.preset_metadata.get("training", {}).get("dataset") or model.default_dataset
    judge, _ = classifier.load_classifier(dataset)
    return classifier.predict_labels(judge, images)


def _latent_model(args):
    model = kgz.from_pretrained(args.preset, compile=False)
    latent.space_of(model)  # a clear error for presets that no latent draws
    return model


def _latent_parser(sub, name, help_text, func):
    p = sub.add_parser(name, help=help_text)
    p.add_argument("preset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--label", default=None, help="class-conditional presets: the class, a number or a name "
                                                 "(e.g. sneaker)")
    p.set_defaults(func=func)
    return p


def _descent_options(p, steps, restarts):
    """The projection's descent settings, shared by the latent commands."""
    p.add_argument("--steps", type=int, default=steps)
    p.add_argument("--restarts", type=int, default=restarts)
    p.add_argument("--learning-rate", type=float, default=latent.LEARNING_RATE,
                   help="Adam's rate on the latents (cosine-decayed)")


def _bank_option(p):
    p.add_argument("--bank", type=int, default=0, metavar="N",
                   help="start each descent from the nearest (in pixels) of N latents drawn from the prior "
                        "(unconditional presets, --method optimize; latent.project's bank)")


def _resample_options(parser, recorded=""):
    """--resample and --temperature (`keras_gan_zoo.sampling`)."""
    parser.add_argument("--resample", type=int, default=None, metavar="K",
                        help="image families: each image the discriminator's pick of K samples "
                             "(sampling.discriminator_resample)" + recorded)
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="with --resample: weights exp(logit / temperature); 1 is the density-ratio "
                             "estimate, smaller is choosier")


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-gan-zoo", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the shipped presets").set_defaults(func=_cmd_list)
    p = sub.add_parser("sample", help="write a grid of samples from a preset")
    p.add_argument("preset")
    p.add_argument("--num", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--columns", type=int, default=None)
    p.add_argument("--out", default="grid.png")
    p.add_argument("--truncation", type=float, default=None,
                   help="BigGAN: truncation threshold on z; StyleGAN: truncation_psi")
    p.add_argument("--caption", action="append", default=None,
                   help="text-to-image: a caption (repeat for more); default: held-out captions")
    p.add_argument("--stage", type=int, default=None, help="text-to-image: 1 for the stage-I images")
    p.add_argument("--label", action="append", default=None,
                   help="class-conditional: a class number or name, e.g. 7 or sneaker (repeat for more); "
                        "--num samples of each, a row per class")
    p.add_argument("--input", action="append", default=None,
                   help="image-to-image: an image file or a folder of images to translate (repeat for more); "
                        "default: held-out inputs")
    p.add_argument("--direction", default=None, help="CycleGAN: a2b (default) or b2a")
    p.add_argument("--text", action="append", default=None,
                   help="translation: a sentence to translate (repeat for more); default: held-out verses "
                        "with their references")
    p.add_argument("--source", default=None, help="translation: the language of the input, en (default) or es")
    p.add_argument("--beam", type=int, default=None, help="translation: beam size (default 1, greedy)")
    _resample_options(p)
    p.set_defaults(func=_cmd_sample)
    p = sub.add_parser("train", help="run a recipe from recipes/")
    p.add_argument("recipe", help="recipe name (dcgan_mnist) or path to a recipe file")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--fid-images", type=int, default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--run-dir", default=None, help="folder for checkpoints and logs (default runs/<preset>)")
    training.add_precision_argument(p)
    training.add_step_arguments(p)
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("evaluate", help="measure a preset with its task's evaluator (FID/KID, "
                                        "class fidelity, held-out translation figures, R-precision, BLEU)")
    p.add_argument("preset")
    p.add_argument("--num", type=int, default=10000)
    p.add_argument("--seed", type=int, default=123)
    p.add_argument("--num-reference", type=int, default=None,
                   help="compare with the first N test images, or of --real's images (default: all)")
    p.add_argument("--num-per-class", type=int, default=1000,
                   help="class-conditional models: generated images per class for class fidelity")
    p.add_argument("--baseline", default=None,
                   help="image-to-image models: a preset folder measured the same way and "
                        "recorded next to this one (e.g. the L1-only pix2pix)")
    p.add_argument("--baseline-label", default="baseline")
    p.add_argument("--supervised", default=None,
                   help="translation models: a supervised reference preset measured the same way")
    p.add_argument("--beam", type=int, default=4, help="translation models: beam size (1: greedy)")
    p.add_argument("--limit", type=int, default=None,
                   help="translation and text-to-image models: the first N held-out examples only")
    p.add_argument("--quick", action="store_true",
                   help="a quick check on a few samples (never recorded in the preset)")
    p.add_argument("--no-write", action="store_true", help="do not record the result in the preset")
    p.add_argument("--real", action="append", default=None,
                   help="image families with a latent: FID/KID against these image files or folders (your "
                        "own held-out images) instead of the data set's test split; printed, not recorded")
    _resample_options(p, "; recorded as the card's resampling figures, next to the plain ones")
    p.add_argument("--calibrate", type=int, default=None, metavar="STEPS",
                   help="with --resample: first fine-tune the discriminator for the sampled generator on the "
                        "training images (sampling.calibrated_discriminator; weights restored after)")
    p.set_defaults(func=_cmd_evaluate)
    p = _latent_parser(sub, "interpolate", "write a strip (and a GIF) between two latents", _cmd_interpolate)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--method", choices=latent.METHODS, default="slerp")
    p.add_argument("--out", default="interpolation.png")
    p.add_argument("--gif", default=None, help="also write an animated GIF here")
    p.add_argument("--caption", action="append", default=None,
                   help="text-to-image presets: twice, the start and the end of the walk (z held fixed)")
    for name, help_text in (("project", "find the latents of images and write their reconstructions"),
                            ("detect", "score images by how likely the preset drew them")):
        p = _latent_parser(sub, name, help_text, _cmd_project)
        p.add_argument("images", nargs="+", help="image files (resized to the preset's size)")
        p.add_argument("--caption", action="append", default=None,
                       help="text-to-image presets: the images' caption (once for all, or once per image)")
        _descent_options(p, steps=600, restarts=4)
        p.add_argument("--method", choices=latent.PROJECTIONS, default="optimize",
                       help="iGAN's inversions; encoder and hybrid use the preset's inverting encoder")
        p.add_argument("--out", default="projection.png")
        _bank_option(p)
        if name == "detect":
            p.add_argument("--discriminator", action="store_true",
                           help="score with the projection error and the preset's own discriminator")
            p.add_argument("--calibration", type=int, default=200,
                           help="own samples that scale the signals (with --discriminator)")
    p = _latent_parser(sub, "neighbours", "samples over their nearest training images, and the "
                                          "memorisation check", _cmd_neighbours)
    p.add_argument("--num", type=int, default=16)
    p.add_argument("--num-check", type=int, default=1000,
                   help="samples and held-out images of the memorisation check")
    p.add_argument("--out", default="neighbours.png")
    p.add_argument("--write", action="store_true", help="record the check in the preset's metadata and card")
    p = sub.add_parser("modes", help="mode coverage: how many classes an unconditional preset draws, "
                                     "how evenly (the data set's shipped classifier)")
    p.add_argument("preset")
    p.add_argument("--num", type=int, default=10000)
    p.add_argument("--seed", type=int, default=123)
    p.add_argument("--write", action="store_true", help="record it in the preset's metadata and card")
    p.set_defaults(func=_cmd_modes)
    p = _latent_parser(sub, "inversion", "iGAN's table: held-out images projected by the encoder, "
                                         "by optimisation and by both", _cmd_inversion)
    p.add_argument("--num", type=int, default=200, help="held-out test images")
    _descent_options(p, steps=200, restarts=1)
    p.add_argument("--write", action="store_true", help="record the table in the preset's metadata and card")
    p = _latent_parser(sub, "detection", "was it generated by this model? ROC AUC of generated_score, own "
                                         "samples against held-out real images (and another preset's)",
                       _cmd_detection)
    p.add_argument("--num", type=int, default=200, help="images on each side")
    p.add_argument("--method", choices=latent.PROJECTIONS, default="optimize")
    _descent_options(p, steps=200, restarts=1)
    p.add_argument("--other", help="a preset of the same data set whose samples to tell apart")
    _bank_option(p)
    p.add_argument("--discriminator", action="store_true",
                   help="score with the projection error and the preset's own discriminator, each scaled "
                        "on as many more own samples (latent.generated_score(..., discriminator=True))")
    p.add_argument("--batch-size", type=int, default=latent.PROJECTION_BATCH,
                   help="images projected together (it sets the restarts' draws, so it is part of the result)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="keep each finished batch here: killed, the same command goes on where it stopped")
    p.add_argument("--write", action="store_true", help="record the figures in the preset's metadata and card")
    p = sub.add_parser("remeasure", help="run again every command a preset's card figures came from, "
                                         "on the preset's current weights (after new training)")
    p.add_argument("preset", help="a preset name, or a folder named as the preset (runs/new/dcgan-mnist)")
    p.add_argument("--commands-from", default=None, metavar="PRESET",
                   help="the card whose commands to run (default: the preset's own; e.g. the shipped "
                        "preset a run continued from with --init-from)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.add_argument("--backend", choices=remeasure.BACKENDS, default=None,
                   help="run every command on this backend (default: the one each figure was measured on)")
    p.add_argument("--start", type=int, default=1, help="begin with this step (after a failure)")
    p.add_argument("--only", default=None, help="comma-separated metric keys (e.g. fid,inversion)")
    p.set_defaults(func=_cmd_remeasure)
    p = sub.add_parser("ship", help="replace a shipped preset with a remeasured candidate folder "
                                    "(after `remeasure`; refuses while a card figure is not remeasured)")
    p.add_argument("folder", help="the candidate, named as the preset (runs/new/candidate/dcgan-mnist)")
    p.add_argument("--goal", default=None, help="the card's goal line with the new figures (required when "
                                                "the shipped card has a goal)")
    p.add_argument("--carry", action="append", default=None, metavar="KEY",
                   help="carry this figure of the shipped card over unmeasured (one that describes another "
                        "model, e.g. a baseline); repeat for more")
    notes = p.add_mutually_exclusive_group()
    notes.add_argument("--notes", default=None, help="the card's notes on how the weights were trained")
    notes.add_argument("--keep-notes", action="store_true", help="keep the shipped card's notes")
    p.set_defaults(func=_cmd_ship)
    p = sub.add_parser("push", help="upload a preset (a shipped name or a folder from `train --out`) "
                                    "with its card to a Hugging Face Hub repo")
    p.add_argument("preset")
    p.add_argument("repo_id", metavar="ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the repo as private")
    p.add_argument("--message", default=None, help="the commit message")
    p.set_defaults(func=_cmd_push)
    p = sub.add_parser("cards", help="regenerate each preset's card and MODEL_CARDS.md from weights/")
    p.add_argument("--out", default="MODEL_CARDS.md")
    p.add_argument("--parameters", action="store_true",
                   help="also recount each preset's parameters per network by loading it")
    p.set_defaults(func=_cmd_cards)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, TypeError) as error:
        print(f"keras-gan-zoo: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
