"""Model cards: a generic card (front matter, model, training, evaluation,
data and licence) plus the sections the preset's family declares.

The card of a preset is rendered from its `config.json` and `metadata.json`
alone; its family (found through the Keras registry) supplies its task,
usage lines, what its weight file holds and its own evaluation sections
(`Family.card_sections(metrics)`). Nothing here names a family.

Example:

>>> from keras_gan_zoo import cards
>>> print(cards.render_model_card(config, metadata))
"""

import json

from keras_gan_zoo import datasets, registry, tasks

# Config entries that say nothing about the architecture.
_NOT_ARCHITECTURE = {"name", "trainable", "dtype", "seed", "vocabulary", "ema_warmup"}


def num(value):
    """Thousands separators for counts; anything else as text."""
    return f"{value:,}" if isinstance(value, int) else str(value if value is not None else "?")


def pct(value):
    return f"{100 * value:.2f}%"


def fid_kid_cell(entry):
    return f"{entry['fid']:.1f} | {entry['kid']:.4f}"


def fid_lines(metrics, dataset_title):
    """The FID/KID lines of a generated-image preset (any image task)."""
    fid = metrics.get("fid")
    if not fid:
        return []
    lines = [
        f"- FID: **{fid['value']:.2f}** ({num(fid['num_generated'])} generated images vs "
        f"{num(fid['num_reference'])} {dataset_title} test images, {fid.get('network', 'InceptionV3')}). "
        + command_line(fid),
    ]
    if "kid" in metrics:
        kid = metrics["kid"]
        lines.append(f"- KID: {kid['value']:.5f} ± {kid['std']:.5f} (same images).")
    variety = metrics.get("precision_recall")
    if variety:
        lines.append(f"- Precision {variety['precision']:.3f}, recall {variety['recall']:.3f} "
                     "(Kynkaanniemi et al. 2019, k=3); density "
                     f"{variety['density']:.3f}, coverage {variety['coverage']:.3f} (Naeem et al. 2020, "
                     "k=5); same images and features. Recall and coverage measure variety: a collapsed "
                     "generator covers few real images.")
    return lines


def truncation_lines(sweep):
    """The truncation trade-off table (BigGAN's `truncation`, StyleGAN's `truncation_psi`)."""
    if not sweep:
        return []
    name = sweep["parameter"]
    conditional = any("class_fidelity" in row for row in sweep["rows"])
    off = lambda v: "off" if v is None or (name == "truncation_psi" and v == 1.0) else f"{v:g}"
    lines = [
        "",
        f"Truncation trade-off (`generate(..., {name}=...)`): {num(sweep['num_generated'])} generated "
        f"vs the first {num(sweep['num_reference'])} test images per row, the same latents in every "
        "row (small protocol: FID is biased upwards; compare rows with each other)"
        + (f"; class fidelity on {sweep['num_per_class']} images per class." if conditional else "."),
        "",
        f"| {name} | FID | KID |" + (" class fidelity |" if conditional else ""),
        "|---|---|---|" + ("---|" if conditional else ""),
    ]
    for row in sweep["rows"]:
        lines.append(f"| {off(row['value'])} | {row['fid']:.2f} | {row['kid']:.4f} |"
                     + (f" {pct(row['class_fidelity'])} |" if conditional else ""))
    lines += ["", f"- {command_line(sweep)}"]
    return lines


def resampling_lines(record, plain=None):
    """Discriminator resampling (`keras_gan_zoo.sampling`) next to the plain
    sampler's FID record `plain`."""
    if not record:
        return []
    against = (f" against **{plain['value']:.2f}** for plain sampling" if plain
               and plain.get("num_generated") == record["num_generated"] and plain.get("seed") == record["seed"]
               and plain.get("num_reference") == record["num_reference"] else "")
    modes = record.get("mode_coverage")
    mix = (f" The classifier reads {modes['classes_covered']} of {modes['num_classes']} classes, normalized "
           f"entropy {modes['normalized_entropy']:.3f}, class-mix distance to the test images "
           f"{modes['total_variation']:.3f}; class shares (%): " + per_class(modes["histogram"], modes) + "."
           if modes else "")
    calibration = record.get("calibration")
    judge = (f"the shipped discriminator after {calibration['steps']} steps of calibration on the training "
             f"images (`with sampling.calibrated_discriminator(model, train_images, steps="
             f"{calibration['steps']}):`; its logistic loss {calibration['before']['loss']:.3f} -> "
             f"{calibration['after']['loss']:.3f}, weights restored after)" if calibration else
             "the shipped discriminator")
    return [
        "",
        f"- Discriminator resampling (`sampling.discriminator_resample(model, n, candidates="
        f"{record['candidates']}, temperature={record['temperature']:g})`, `keras-gan-zoo sample ... "
        f"--resample {record['candidates']} --temperature {record['temperature']:g}`): each image is one of "
        f"{record['candidates']} samples, drawn with weight exp(logit / {record['temperature']:g}) by "
        f"{judge}; FID **{record['fid']:.2f}**{against} ({num(record['num_generated'])} "
        f"generated vs {num(record['num_reference'])} test images, seed {record['seed']}), KID "
        f"{record['kid']:.5f}, precision {record['precision']:.3f}, recall {record['recall']:.3f}, density "
        f"{record['density']:.3f}, coverage {record['coverage']:.3f}; it costs {record['candidates']} "
        f"generator and discriminator passes per image.{mix} " + command_line(record),
    ]


def wall_time(seconds):
    """"374 s" below ten minutes, "61.0 min" from there on."""
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.1f} min"


def measured_on(result):
    """"backend torch, CPU (2 cores, x86_64), 374 s": what recorded a figure and
    where, as far as its record says (older metadata may lack the device or
    the wall time). Every measured line of a card ends with it.

    A record kept from the weights a preset continued from, not yet measured
    again on the shipped ones, says so in its `"weights"` key (e.g. "the
    13,736-step weights before the decayed tail"), and the line names them;
    `keras-gan-zoo remeasure` replaces the whole record, key included."""
    parts = [f"backend {result.get('backend')}"] + [
        str(result[key]) for key in ("device",) if result.get(key)]
    if result.get("wall_time_s") is not None:
        parts.append(wall_time(result["wall_time_s"]))
    if result.get("weights"):
        parts.append(f"**measured on {result['weights']}, not on the shipped weights**")
    return ", ".join(parts)


def command_line(result):
    """"Command: `...`; backend jax, NVIDIA H200, 68 s": how to reproduce a figure."""
    return f"Command: `{result.get('command', '')}`; {measured_on(result)}."


def ema_lines(comparison):
    """The EMA generator against the raw one, same latents (benchmarks/ema_vs_raw.py)."""
    if not comparison:
        return []
    ema, raw = comparison["ema"], comparison["raw"]
    better = "the EMA generator" if ema["fid"] <= raw["fid"] else "the raw generator"
    return ["", f"- EMA against raw generator ({num(comparison['num_generated'])} generated vs the first "
            f"{num(comparison['num_reference'])} test images, the same latents): FID {ema['fid']:.2f} "
            f"against {raw['fid']:.2f}, KID {ema['kid']:.4f} against {raw['kid']:.4f}; {better} is better"
            + ("; the shipped EMA weights are a copy of the generator" if comparison.get("synced") else "")
            + f". {command_line(comparison)}"]


def memorisation_lines(result):
    """The memorisation check (`keras_gan_zoo.latent.memorisation`)."""
    if not result:
        return []
    return [
        "",
        f"- Memorisation check ({result['space']}): the median distance of {num(result['num_generated'])} "
        f"samples to their nearest of the {num(result['num_train'])} training images is "
        f"{result['median_generated_to_train']:.3f}, against {result['median_held_out_to_train']:.3f} for "
        f"{num(result['num_held_out'])} held-out test images (ratio {result['ratio']:.2f}; well below 1 "
        f"would mean copying); {pct(result['near_copies'])} of the samples are nearer to a training "
        "image than the closest 1% of the held-out images. " + command_line(result),
    ]


def per_class(values, record, digits=1, percent=""):
    """Per-class figures (fractions, shown as percentages) for a card: "sneaker 99.1%" where
    the measurement recorded class names (`datasets.named_classes`), "7: 99.1%" otherwise."""
    names = record.get("class_names") or [f"{c}:" for c in range(len(values))]
    return ", ".join(f"{name} {100 * value:.{digits}f}{percent}" for name, value in zip(names, values))


def mode_coverage_lines(modes):
    """Mode coverage on class-labelled data (`keras_gan_zoo.classifier.mode_coverage`)."""
    if not modes:
        return []
    shares = per_class(modes["histogram"], modes)
    return [
        "",
        f"- Mode coverage: the shipped classifier (test accuracy {pct(modes['classifier_test_accuracy'])}) "
        f"reads {num(modes['num_generated'])} samples as {modes['classes_covered']} of the "
        f"{modes['num_classes']} classes (at least a tenth of a fair share each); normalized class "
        f"entropy {modes['normalized_entropy']:.3f} (1: perfectly even); class-mix distance to the "
        f"{num(modes['num_real'])} test images {modes['total_variation']:.3f} (total variation; 0: the "
        f"same mix). Class shares (%): {shares}. " + command_line(modes),
    ]


def inversion_lines(table):
    """iGAN's table of the three inversions (`keras_gan_zoo.latent.compare_inversions`)."""
    if not table:
        return []
    lines = ["", f"Projection of {num(table['num'])} held-out images into {table['space']} (iGAN's "
             f"three inversions; {table['steps']} Adam steps x {table['restarts']} restart(s) for the "
             "two that descend):", "",
             "| method | mean RMS pixel error | median | wall time |", "|---|---|---|---|"]
    for row in table["rows"]:
        lines.append(f"| {row['method']} | {row['mean_rms_error']:.4f} | {row['median_rms_error']:.4f} "
                     f"| {row['wall_time_s']:.1f} s |")
    if table.get("encoder"):
        training = table["encoder"].get("training", {})
        lines += ["", f"- The inverting encoder ships with the preset (`encoder.weights.h5`): trained "
                  f"on {num(training.get('images', 0))} training images for {training.get('epochs')} "
                  f"epochs by `{training.get('command', '')}` ({measured_on(training)})."]
    lines += [f"- {command_line(table)}"]
    return lines


# Issue goal for "was this generated by this model?" against held-out real images.
DETECTION_AUC_GOAL = 0.95


def detection_lines(result):
    """"Was this generated by this model?" (`keras_gan_zoo.latent.detection`)."""
    if not result:
        return []
    signals = {"projection+discriminator": "the log error of the best reconstruction and the preset's own "
                                           "discriminator logit",
               "projection+discriminator+reconstruction": "the log error of the best reconstruction, the "
               "preset's own discriminator logit and that logit's excess over what its reconstruction's "
               "logit predicts"}.get(result.get("score"))
    both = signals is not None
    auc = result["auc_own_vs_real"]
    score = (f"{signals}, each scaled by its spread on {num(result.get('calibration'))} more of its samples"
             if both else "minus the error of the best reconstruction")
    line = (f"- Was it generated by this model? `latent.generated_score` ({score}; {result['method']} "
            f"projection into {result['space']}, {result['steps']} steps x {result['restarts']} restart(s)) "
            f"tells {num(result['num'])} of the preset's samples from {num(result['num'])} held-out real "
            f"images with ROC AUC {auc:.3f} (goal {DETECTION_AUC_GOAL}: "
            f"{'reached' if auc >= DETECTION_AUC_GOAL else '**not reached**'}"
            + (f"; projection alone {result['auc_own_vs_real_projection']:.3f}, discriminator alone "
               f"{result['auc_own_vs_real_discriminator']:.3f}" if both else "")
            + f"; mean RMS error {result['rms_error_own']:.4f} on its samples, {result['rms_error_real']:.4f} "
            "on real images)")
    if "auc_own_vs_other" in result:
        line += (f", and from {num(result['num'])} samples of `{result['other']}` with ROC AUC "
                 f"{result['auc_own_vs_other']:.3f}"
                 + (f" (projection alone {result['auc_own_vs_other_projection']:.3f}, discriminator alone "
                    f"{result['auc_own_vs_other_discriminator']:.3f})" if both else ""))
    return ["", f"{line}. {command_line(result)}"]


def augmentation_ablation_lines(ablation):
    """The table of a run with and without augmentation at equal budget."""
    if not ablation:
        return []
    lines = ["", "Augmentation at equal wall-clock budget (same protocol as the FID above):", "",
             "| run | steps | wall time | FID | KID | precision | recall | coverage |",
             "|---|---|---|---|---|---|---|---|"]
    for row in ablation["rows"]:
        lines.append(f"| {row['label']} | {num(row['steps'])} | {row['wall_time_s'] / 60:.1f} min | "
                     f"{row['fid']:.1f} | {row['kid']:.4f} | {row['precision']:.3f} | {row['recall']:.3f} | "
                     f"{row['coverage']:.3f} |")
    return lines + ["", f"- {command_line(ablation)}"]


def augmentation_lines(training):
    augment = training.get("augment")
    if not augment:
        return []
    kind = "ADA (adaptive probability)" if augment.get("adaptive") else "DiffAugment"
    # A staged run whose stages set their own augment: only those used it.
    staged = [str(stage["stage"]) for stage in training.get("stages", []) if stage.get("augment")]
    where = f" in stage {', '.join(staged)} only" if staged and len(staged) < len(training["stages"]) else ""
    return [f"- Augmentation{where}: {kind}, policy `{augment['policy']}`, applied to real and generated "
            f"images in both players' losses; probability at the end of training "
            f"{augment['probability']:.3f}."]


def _front_matter(preset, class_name, task, dataset, metrics):
    lines = ["---", "library_name: keras", f"license: {dataset.licence}", "tags:", "- keras-gan-zoo",
             "- gan", f"- {class_name.lower()}", f"- {task.hub_tag}", "datasets:", f"- {dataset.hub_id}"]
    fid = metrics.get("fid")
    if fid:
        lines += [
            "model-index:", f"- name: {preset}", "  results:", "  - task:",
            f"      type: {task.hub_tag}", "    dataset:", f"      name: {dataset.title}",
            f"      type: {dataset.hub_id}", "    metrics:", "    - type: fid",
            f"      value: {fid['value']:.3f}",
            f"      name: FID ({fid['num_generated']} generated vs {fid['num_reference']} test images)",
        ]
    return lines + ["---", ""]


def epochs_run(training):
    """How many epochs a run made: "70" or, when a time limit stopped it before the
    planned number, "70 of 1000". Metadata written before `epochs_run` was recorded
    gives it from the steps, counting whole epochs only."""
    planned = training.get("epochs")
    done = training.get("epochs_run")
    if done is None and training.get("stopped_by_time_limit") and training.get("steps") \
            and training.get("batch_size") and training.get("train_images"):
        done = training["steps"] // -(-training["train_images"] // training["batch_size"])
    if done is None or planned is None or done == planned:
        return f"{planned if done is None else done}"
    return f"{done} of {planned}"


def _training_lines(training, dataset, unit):
    if not training:
        return ["- Not recorded."]
    counts = {k: v for k, v in training.items() if k.endswith(("_sentences", "_pairs", "too_long"))}
    if "train_images" in training:
        # A staged run's sizes are its stages' (a run of stage II alone: stage II's only).
        sizes = [part.get("dataset_args", training.get("dataset_args", {})).get("image_size")
                 for part in training.get("stages") or [training]]
        sizes = [size for size in dict.fromkeys(sizes) if size]
        data_line = (f"- Data: {dataset.title} training set, {num(training.get('train_images'))} images"
                     + (" at " + " then ".join(f"{size}x{size}" for size in sizes) if sizes else "") + ".")
    else:
        data_line = (f"- Data: {dataset.title}: "
                     + ", ".join(f"{k.replace('_', ' ')} {num(v)}" for k, v in counts.items())
                     + (f"; books {json.dumps(training['books'])}" if training.get("books") else "") + ".")
    lines = [
        f"- Command: `{training.get('command', '')}`",
        data_line,
        # A staged run's epochs and batch sizes are on its stage lines.
        (f"- Stepped run (whole state saved every {num(training.get('checkpoint_every'))} steps; "
         f"{num(training['steps_planned'])} planned), batch {training.get('batch_size')}, "
         if training.get("steps_planned") else
         f"- {epochs_run(training)} epochs"
         + (f" of {num(training['steps_per_epoch'])} steps" if training.get("steps_per_epoch") else "")
         + (f" (each back-translation used {training['back_translation_reuse']} times)"
            if training.get("back_translation_reuse", 1) > 1 else "")
         + f", batch {training.get('batch_size')}, "
         if not training.get("stages") else "- ")
        + f"{num(training.get('steps'))} steps, loss `{training.get('loss')}`, "
        f"optimizer {json.dumps(training.get('optimizer'))}.",
        f"- Backend: {training.get('backend')}; device: {training.get('device')}; "
        f"wall time: {training.get('wall_time_s', 0) / 60:.1f} min.",
    ]
    lines += (schedule_lines(training) + sitting_lines(training) + augmentation_lines(training)
              + continued_lines(training))
    if training.get("wall_time_s") and training.get("steps") and training.get("batch_size") \
            and not training.get("stages"):
        rate = training["steps"] * training["batch_size"] / training["wall_time_s"]
        lines.append(f"- Throughput: {rate:.1f} training {unit}/s (steps x batch / wall time)"
                     + (f"; stopped by the recipe's {training['time_limit_minutes']}-minute budget."
                        if training.get("stopped_by_time_limit") else "."))
    lines += ["- " + stage_line(stage) for stage in training.get("stages", [])]
    if training.get("smoke"):
        lines.append("- **Smoke run**: a pipeline check on a few examples, not a trained model.")
    return lines


def stage_line(stage):
    """One stage of a staged run (ProGAN's resolutions, StackGAN's stages)."""
    return (f"Stage {stage.get('stage')}: "
            + (f"{stage['label']}, " if stage.get("label") else "")
            + (f"{json.dumps(stage['dataset_args'])}, " if stage.get("dataset_args") else "")
            + (f"augment {stage['augment']!r}, " if stage.get("augment") else "")
            + f"{stage.get('epochs_run', stage['epochs'])} of {stage['epochs']} epochs of "
            f"{num(stage['train_images'])} {'pairs' if stage.get('dataset_args') else 'images'}, "
            f"batch {stage['batch_size']}, "
            f"{num(stage['steps'])} steps "
            f"({stage['steps'] * stage['batch_size'] / max(stage['wall_time_s'], 1e-9):.1f} images per s), "
            f"{stage['wall_time_s'] / 60:.1f} min"
            + (f", interrupted after epoch {stage['resumed_after_epoch']} and resumed from its backup"
               if stage.get("resumed_after_epoch") else "")
            + (" (stopped by its time limit)." if stage.get("stopped_by_time_limit") else "."))


def schedule_lines(training):
    """The learning-rate decay of a recipe with `lr_decay_start_epoch`: the
    optimizer's rates until the start, then linearly toward 0, changed once
    per epoch (per checkpoint interval in a stepped run)."""
    decay = training.get("lr_decay")
    if not decay:
        return []
    start, end, unit = decay["start"], decay["end"], decay["unit"]
    held = (f"the optimizer's until {unit} {num(start)}, then decayed" if start else
            "the optimizer's from the first step, decayed")
    if unit == "step":
        every = decay["every"]
        return [f"- Learning rates: {held} linearly toward 0 at step {num(end)}, changed every "
                f"{num(every)} steps (the last {num(every)} at 1/{(end - start) // every} of them)."]
    return [f"- Learning rates: {held} linearly toward 0 at epoch {end}, changed each epoch (the last "
            f"at 1/{end - start} of them)."]


def sitting_lines(training):
    """A stepped run resumed over several sittings: each sitting's steps,
    backend, device and wall time (the backend line names the last one)."""
    sittings = training.get("sittings", [])
    if len(sittings) < 2:
        return []
    parts = [f"steps {num(s['from_step'])}-{num(s['to_step'])} on "
             + (f"{s['backend']}, {s.get('device')}" if s.get("backend") else "an unrecorded backend")
             + f", {s.get('wall_time_s', 0) / 60:.1f} min" for s in sittings]
    return [f"- Resumed exactly over {len(sittings)} sittings: " + "; ".join(parts) + "."]


def continued_lines(training):
    """A run started from a preset's weights (`--init-from`): where it
    started, the steps and wall time of the whole chain of runs, and the
    stages of a staged run in it (a continued ProGAN keeps its growth
    schedule on its card)."""
    source = training.get("continued_from")
    if not source:
        return []
    steps, seconds, chain, stages = training.get("steps", 0), training.get("wall_time_s", 0), [], []
    while source:
        before = source.get("training", {})
        chain.append(f"`{source.get('preset')}` (sha256 {source.get('sha256', '')[:12]}: "
                     f"{num(before.get('steps'))} steps, {before.get('wall_time_s', 0) / 60:.1f} min, "
                     f"`{before.get('command', '')}`)")
        stages += [f"  - `{source.get('preset')}` {stage_line(stage)}" for stage in before.get("stages", [])]
        steps += before.get("steps", 0)
        seconds += before.get("wall_time_s", 0)
        source = before.get("continued_from")
    return [f"- Started from the weights of {', which started from '.join(chain)}; "
            f"all runs together: {num(steps)} steps, {seconds / 60:.1f} min."] + stages


def render_model_card(config, metadata):
    """The model card (README.md with Hugging Face front matter) of a preset."""
    preset = metadata.get("preset", "preset")
    training = metadata.get("training", {})
    metrics = metadata.get("metrics", {})
    dataset = datasets.info(training.get("dataset"))
    class_name = config.get("class_name", "")
    family = registry.family_class(class_name)
    task = getattr(family, "task", None) or tasks.UNCONDITIONAL_IMAGE
    unit = "sentences" if task.output == "text" else "images"
    model_cfg = config.get("config", {})
    arch = ", ".join(f"{k}={v}" for k, v in model_cfg.items()
                     if k not in _NOT_ARCHITECTURE and isinstance(v, (bool, int, float, str)))
    params = metadata.get("parameters", {})
    lines = _front_matter(preset, class_name, task, dataset, metrics)
    lines += [
        f"# {preset}", "",
        f"A keras-gan-zoo `{class_name}` ({task.description}) trained on {dataset.title}. It runs "
        "unchanged on TensorFlow, PyTorch and JAX (`KERAS_BACKEND`) and gives the same "
        + ("translations" if task.output == "text" else "images") + " on each.",
        "",
        "```python",
        "import keras_gan_zoo as kgz",
        f'model = kgz.from_pretrained("{preset}")',
        *getattr(family, "card_usage", ()),
        "```",
        "",
        "## Model",
        "",
        f"- Architecture: {class_name} ({arch}).",
        "- Parameters: " + ", ".join(f"{k} {num(v)}" for k, v in params.items()) + ".",
        f"- Files: `model.weights.h5` holds {getattr(family, 'card_weights', 'the weights')}.",
        "",
        "## Training",
        "",
    ]
    lines += _training_lines(training, dataset, unit)
    if family is not None and training:
        lines += family.card_training(training)
    lines += ["", "## Evaluation", ""]
    evaluation = fid_lines(metrics, dataset.title)
    if metrics.get("goal") and evaluation:
        evaluation.append(f"- Goal: {metrics['goal']}")
    if family is not None:
        evaluation += family.card_sections(metrics)
    if metrics.get("comparison"):
        evaluation.append(f"- Comparison: {metrics['comparison']}")
    evaluation += augmentation_ablation_lines(metrics.get("augmentation_ablation"))
    lines += evaluation or ["- Not evaluated yet."]
    if metadata.get("notes"):
        lines += ["", "## Notes", "", metadata["notes"]]
    lines += [
        "",
        "## Data and licence",
        "",
        f"- Data: {dataset.title} ({dataset.note}).",
        "- Weights: " + ("CC BY-SA 4.0, as the data they were trained on (attribution: "
                         "OpenMoji, https://openmoji.org)." if dataset.licence == "cc-by-sa-4.0"
                         else "Apache-2.0, as keras-gan-zoo."),
        "",
    ]
    return "\n".join(lines)


def render_model_cards_file(folders):
    """The text of MODEL_CARDS.md from the cards of the given preset folders."""
    parts = ["# Model cards", "",
             "Generated from the presets in `weights/` by `keras-gan-zoo cards`; do not edit by hand.", ""]
    for folder in folders:
        card = (folder / "README.md").read_text()
        body = card.split("---", 2)[-1].lstrip() if card.startswith("---") else card
        # Each card's headings move one level down under the file's title.
        body = ("\n" + body).replace("\n## ", "\n### ").replace("\n# ", "\n## ").lstrip("\n")
        parts += [body, ""]
    return "\n".join(parts).rstrip() + "\n"
