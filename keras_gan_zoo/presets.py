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
FORMAT_VERSION = 1

DATASET_INFO = {
    "mnist": ("MNIST", "mnist", "LeCun et al. 1998; the 10,000 test images"),
    "fashion_mnist": ("Fashion-MNIST", "fashion_mnist", "Xiao et al. 2017 (MIT licence); the 10,000 test images"),
}


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
    for part in ("generator", "discriminator"):
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
    lines = [
        "---",
        "library_name: keras",
        "license: apache-2.0",
        "tags:",
        "- keras-gan-zoo",
        "- gan",
        f"- {class_name.lower()}",
        "- unconditional-image-generation",
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
            "      type: unconditional-image-generation",
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
        f"{k}={model_cfg[k]}" for k in ("latent_dim", "image_size", "channels", "width", "ema_decay")
        if k in model_cfg
    )
    params = metadata.get("parameters", {})
    lines += [
        f"A keras-gan-zoo `{class_name}` trained on {ds_name}. It runs unchanged on "
        "TensorFlow, PyTorch and JAX (`KERAS_BACKEND`) and gives the same images on each.",
        "",
        "```python",
        "import keras_gan_zoo as kgz",
        f'model = kgz.from_pretrained("{preset}")',
        "images = model.generate(16, seed=0)  # uint8, (16, H, W, C)",
        "model.fit(my_images, epochs=5)        # fine-tune: the discriminator ships too",
        "```",
        "",
        "## Model",
        "",
        f"- Architecture: {class_name} ({arch}).",
        "- Parameters: " + ", ".join(f"{k} {_num(v)}" for k, v in params.items()) + ".",
        "- Files: `model.weights.h5` holds the generator, discriminator and EMA generator; "
        "`generate` samples from the EMA generator.",
        "",
        "## Training",
        "",
    ]
    if training:
        lines += [
            f"- Command: `{training.get('command', '')}`",
            f"- Data: {ds_name} training set, {_num(training.get('train_images'))} images.",
            f"- {training.get('epochs')} epochs, batch {training.get('batch_size')}, "
            f"{_num(training.get('steps'))} steps, loss `{training.get('loss')}`, "
            f"optimizer {json.dumps(training.get('optimizer'))}.",
            f"- Backend: {training.get('backend')}; device: {training.get('device')}; "
            f"wall time: {training.get('wall_time_s', 0) / 60:.1f} min.",
        ]
        if training.get("smoke"):
            lines.append("- **Smoke run**: a pipeline check on a few images, not a trained model.")
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
    else:
        lines.append("- Not evaluated yet.")
    if metadata.get("notes"):
        lines += ["", "## Notes", "", metadata["notes"]]
    lines += [
        "",
        "## Data and licence",
        "",
        f"- Data: {ds_name} ({ds_note}).",
        "- Weights: Apache-2.0, as keras-gan-zoo.",
        "",
    ]
    return "\n".join(lines)


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
