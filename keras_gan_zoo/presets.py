"""Presets: KerasHub-style folders of config, weights, metadata and card.

A preset folder holds:

- `config.json`: the model class name and its `get_config()`;
- `metadata.json`: versions, parameter counts, the sha256 of each weight
  file, how it was trained (recipe, command, backend, device, wall time)
  and its measured metrics;
- `model.weights.h5`: every weight (generator, discriminator and EMA
  generator), so a loaded preset can be fine-tuned with `fit`;
- `README.md`: the model card (`keras_gan_zoo.cards`), with Hugging Face
  YAML front matter.

This module is preset I/O only: resolve a name, load, save (atomically),
checksum, push. Loading reads JSON and HDF5 only: no pickle, no code from
the preset; the class is found through Keras's serializable registry among
the registered keras-gan-zoo families.
"""

import glob
import hashlib
import json
import os
import pathlib
import shutil
import tempfile

import keras
import numpy as np

from keras_gan_zoo import cache, cards, registry
from keras_gan_zoo.version import __version__

CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
WEIGHTS_FILE = "model.weights.h5"
CARD_FILE = "README.md"
HF_PREFIX = "hf://"
HUB_ORG = "keras-gan-zoo"  # where a shipped preset's name resolves when no local copy exists
FORMAT_VERSION = 1
CHECKOUT_WEIGHTS = pathlib.Path(__file__).resolve().parent.parent / "weights"


def weights_dirs():
    """Where shipped preset names are looked for, in order:
    `$KERAS_GAN_ZOO_WEIGHTS`, then the checkout's `weights/` (when the
    package runs from a checkout or an editable install)."""
    dirs = []
    env = os.environ.get("KERAS_GAN_ZOO_WEIGHTS")
    if env:
        dirs.append(pathlib.Path(env))
    if CHECKOUT_WEIGHTS.is_dir():
        dirs.append(CHECKOUT_WEIGHTS)
    return dirs


def weights_dir():
    """The first folder of `weights_dirs()` (where `keras-gan-zoo cards` writes)."""
    dirs = weights_dirs()
    return dirs[0] if dirs else CHECKOUT_WEIGHTS


def preset_dir(name):
    """The local folder of a shipped preset name, or None."""
    for root in weights_dirs():
        if (root / name / CONFIG_FILE).is_file():
            return root / name
        recovered = _interrupted_save(root / name)
        if recovered is not None:
            return recovered
    return None


def list_presets():
    """Names of the presets found locally (`weights_dirs()`).

    Example:

    >>> kgz.list_presets()
    ['dcgan-fashion-mnist', 'dcgan-mnist']
    """
    names = set()
    for root in weights_dirs():
        if root.is_dir():
            names.update(p.name for p in root.iterdir() if (p / CONFIG_FILE).is_file())
    return sorted(names)


def _hub_offline():
    return os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("KERAS_GAN_ZOO_OFFLINE") == "1"


def sha256(path):
    """The hex SHA-256 of a file, read in 1 MiB blocks (what the metadata
    records of each weight file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _count(variables):
    # A variable shared by two parts (UNMT's embedding) counts once.
    unique = {id(v): v for v in variables}
    return int(sum(np.prod(v.shape) for v in unique.values()))


def parameter_counts(model):
    """`{"total": n, <network>: n, ...}` for every network of the model."""
    counts = {"total": _count(model.weights)}
    counts.update({part: _count(variables) for part, variables in model.parameter_groups().items()})
    return counts


def resolve(name_or_path):
    """Returns the local folder of a preset name, folder or `hf://org/repo`.

    A bare name is looked for in `$KERAS_GAN_ZOO_WEIGHTS/<name>`, then the
    checkout's `weights/<name>`, then the project's Hub repo
    `hf://keras-gan-zoo/<name>` (unless offline); the error says where it looked.
    """
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
    looked = [f"the folder {path.resolve()}"]
    if "/" not in name and os.sep not in name:
        shipped = preset_dir(name)
        if shipped is not None:
            return shipped
        looked += [str(root / name) for root in weights_dirs()]
        if not _hub_offline():
            try:
                return resolve(f"{HF_PREFIX}{HUB_ORG}/{name}")
            except Exception as error:  # no network, no such repo
                looked.append(f"{HF_PREFIX}{HUB_ORG}/{name} ({type(error).__name__})")
        else:
            looked.append(f"{HF_PREFIX}{HUB_ORG}/{name} (skipped: offline)")
    raise ValueError(
        f"Unknown preset {name!r}: looked in {', '.join(looked)}. Local presets: {list_presets()}. "
        "Pass one of those, a preset folder, or 'hf://org/repo' (set KERAS_GAN_ZOO_WEIGHTS to a "
        "folder of presets)."
    )


def read_json(path, what):
    """A preset's JSON file, or a clear error naming the folder and `what`
    the file should have held when it is missing or not valid JSON."""
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
    """Loads a preset (see `from_pretrained`): checks the class, verifies
    every weight file's checksum, then builds and fills the model.
    `expected_class` (a model class or its name) refuses a preset of another
    family before anything is built.

    >>> model = presets.load("runs/mine/preset", expected_class="DCGAN", compile=False)
    """
    folder = resolve(name_or_path)
    config = read_json(folder / CONFIG_FILE, "model class and configuration")
    metadata = read_json(folder / METADATA_FILE, "versions, checksums, metrics")
    class_name = config.get("class_name")
    cls = registry.family_class(class_name)
    if cls is None:
        raise ValueError(
            f"Preset {name_or_path!r} names model class {class_name!r}, which this "
            f"version of keras-gan-zoo ({__version__}) does not have. Known: "
            f"{sorted(registry.families())}."
        )
    if isinstance(expected_class, str):
        expected = registry.family_class(expected_class)
        if expected is None:
            raise ValueError(f"expected_class={expected_class!r} is not a model class of keras-gan-zoo; "
                             f"known: {sorted(registry.families())}")
        expected_class = expected
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
    model.preset_path = str(folder)  # where optional parts (an inverting encoder) are found
    return model


def _interrupted_save(directory):
    """The previous version of `directory` when a save was killed between
    moving it aside and moving the new one in (see `save`), else None."""
    directory = pathlib.Path(directory)
    if directory.exists():
        return None
    old = sorted(glob.glob(str(directory.parent / f".{directory.name}.old-*")))
    return pathlib.Path(old[-1]) if old and (pathlib.Path(old[-1]) / CONFIG_FILE).is_file() else None


def _merge(old, updates):
    merged = dict(old)
    for key, value in (updates or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def save(model, directory, metadata=None, model_card=None):
    """Writes `model` as a preset folder and returns its path.

    `metadata` (training details, metrics) is merged into what is already in
    the folder's `metadata.json`, so evaluation results survive a re-save.
    The folder is written atomically: everything goes into a temporary
    sibling folder that then replaces the old one, so a kill at any moment
    leaves the old preset or the new one, both loadable (a kill between
    the two renames leaves the old one as `.<name>.old-*`, which `resolve`
    and the next `save` pick up).

    >>> presets.save(model, "runs/mine/preset", metadata={"notes": "fine-tuned on my digits"})
    """
    directory = pathlib.Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    previous = directory if directory.is_dir() else _interrupted_save(directory)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
    try:
        if previous is not None:  # keep files other tools added (e.g. an optional component)
            _copy_optional_parts(previous, tmp)
        # Weights only: an uncompiled copy, so no optimizer state is shipped.
        copy = type(model).from_config(model.get_config())
        copy.set_weights(model.get_weights())
        weights_path = tmp / WEIGHTS_FILE
        copy.save_weights(str(weights_path))
        config = {"class_name": type(model).__name__, "module": registry.PACKAGE,
                  "config": model.get_config()}
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        old = {}
        if previous is not None and (previous / METADATA_FILE).is_file():
            old = json.loads((previous / METADATA_FILE).read_text())
        merged = _merge(old, metadata)
        parameters = parameter_counts(model)
        merged.update({
            "format_version": FORMAT_VERSION,
            "preset": merged.get("preset", directory.name),
            "class_name": type(model).__name__,
            "keras_gan_zoo_version": __version__,
            "keras_version": keras.__version__,
            "saved_with_backend": keras.backend.backend(),
            "parameters": parameters,
            "files": {WEIGHTS_FILE: {"sha256": sha256(weights_path),
                                     "bytes": weights_path.stat().st_size}},
        })
        (tmp / METADATA_FILE).write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
        card = model_card if model_card is not None else cards.render_model_card(config, merged)
        (tmp / CARD_FILE).write_text(card)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace_folder(tmp, directory)


def replace_folder(tmp, directory):
    """Moves the finished folder `tmp` (a sibling of `directory`) into
    `directory`'s place: the old folder is renamed aside first and removed
    last, so a kill at any moment leaves one loadable preset (see `save`)."""
    tmp, directory = pathlib.Path(tmp), pathlib.Path(directory)
    try:
        if directory.exists():
            os.rename(directory, directory.parent / f".{directory.name}.old-{os.getpid()}")
        os.rename(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for stale in glob.glob(str(directory.parent / f".{directory.name}.old-*")):
        shutil.rmtree(stale, ignore_errors=True)
    return directory


def _copy_optional_parts(source, target):
    """Copies what a preset folder holds besides config, metadata, weights
    and card (an inverting encoder, for instance)."""
    for item in pathlib.Path(source).iterdir():
        if item.name not in (CONFIG_FILE, METADATA_FILE, WEIGHTS_FILE, CARD_FILE) \
                and not item.name.startswith("."):
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, pathlib.Path(target) / item.name)


def _write_text_atomic(path, text):
    with cache.replacing(path) as tmp:
        tmp.write_text(text)


def update_metadata(directory, updates):
    """Merges `updates` into a preset's metadata and regenerates its card
    (each file replaced atomically). A dict merges key by key into the dict
    it updates, one level down: `{"metrics": {"goal": ...}}` keeps the other
    metrics, but replaces the whole of `metrics["goal"]`.

    >>> presets.update_metadata("weights/dcgan-mnist", {"metrics": {"goal": "FID <= 5: reached"}})
    """
    directory = pathlib.Path(directory)
    metadata = _merge(read_json(directory / METADATA_FILE, "metadata"), updates)
    _write_text_atomic(directory / METADATA_FILE, json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    config = read_json(directory / CONFIG_FILE, "config")
    _write_text_atomic(directory / CARD_FILE, cards.render_model_card(config, metadata))
    return metadata


def push_to_hub(model, repo_id, private=False, token=None, commit_message=None):
    """Saves `model` as a preset and uploads the folder to the Hub.

    `repo_id` is "org/name"; the token is `token`, else the one that
    `huggingface-cli login` stored or `HF_TOKEN`. Returns the commit info of
    the upload.

    >>> presets.push_to_hub(kgz.from_pretrained("runs/mine/preset"), "me/my-dcgan", private=True)
    """
    from huggingface_hub import HfApi

    if not isinstance(repo_id, str) or repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ValueError(f"repo_id must be 'org/name' (e.g. 'me/my-dcgan'); got {repo_id!r}")

    api = HfApi(token=token)
    metadata = getattr(model, "preset_metadata", None)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / repo_id.split("/")[-1]
        folder.mkdir(parents=True)
        if metadata:
            (folder / METADATA_FILE).write_text(json.dumps(metadata))
        if getattr(model, "preset_path", None) and pathlib.Path(model.preset_path).is_dir():
            _copy_optional_parts(model.preset_path, folder)  # e.g. its inverting encoder
        save(model, folder)
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        return api.upload_folder(
            repo_id=repo_id, folder_path=str(folder), repo_type="model",
            commit_message=commit_message or f"Upload {type(model).__name__} with keras-gan-zoo",
        )




def render_model_cards_file():
    """The text of MODEL_CARDS.md: every shipped preset's card."""
    return cards.render_model_cards_file([preset_dir(name) for name in list_presets()])
