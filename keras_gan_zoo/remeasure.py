"""Measure a preset's card again: run every command its figures came from.

Each figure in a card records the command that produced it (the inverting
encoder's recipe, `keras-gan-zoo evaluate`, `inversion`, `detection`,
`neighbours`, `modes`, the benchmark scripts that write into a preset). After
new weights (a continued run, a fine-tune, a GPU run), those figures describe
the old generator; `remeasure(folder)` runs the same commands again on the
folder's weights, each on the backend it was measured on, and each command
writes its figure into the folder's metadata as it did the first time.

The commands name the preset (`keras-gan-zoo inversion dcgan-mnist ...`), so
the folder must carry the preset's name (e.g. `runs/new/dcgan-mnist`); the
commands then run with `KERAS_GAN_ZOO_WEIGHTS` set to the folder's parent,
where that name is looked up first. Other presets they name (`--other
cgan-mnist`) are found where they always are. They run in a scratch folder,
not in the checkout, so the files a command writes beside its figure (the
grid of `neighbours`, `neighbours.png` by default) land there; `run` says
where, and removes the folder when nothing was written.

Example:

>>> from keras_gan_zoo import remeasure
>>> folder, steps, notes = remeasure.plan("runs/more/dcgan-mnist", commands_from="dcgan-mnist")
>>> remeasure.run("runs/more/dcgan-mnist", commands_from="dcgan-mnist")

or `keras-gan-zoo remeasure runs/more/dcgan-mnist --commands-from dcgan-mnist --dry-run`. A preset
continued with `--init-from` starts without the figures of the one it came from, hence
`commands_from`: the new weights are measured the way the shipped card was.
"""

import dataclasses
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from keras_gan_zoo import presets
from keras_gan_zoo.training import REPO_ROOT

BACKENDS = ("tensorflow", "torch", "jax")


@dataclasses.dataclass
class Step:
    """One command of a card: the metric keys it writes, its words, the
    backend and wall time it was recorded with."""

    keys: list
    command: str
    backend: str = None
    wall_time_s: float = None

    def argv(self, python=sys.executable, root=None):
        """The command as a process's arguments: `keras-gan-zoo ...` through
        this interpreter's package, `python recipes/...` or `python
        benchmarks/...` with this interpreter from the checkout. With
        `root` (the checkout), the script and every argument that names a
        path existing under it (`--baseline runs/l1-only/preset`) become
        absolute, so the command runs from any folder."""
        words = shlex.split(self.command)
        if root is not None:
            words = words[:1] + [str(pathlib.Path(root) / w) if "/" in w and not w.startswith("/")
                                 and (pathlib.Path(root) / w).exists() else w for w in words[1:]]
        if words[0] == "keras-gan-zoo":
            return [python, "-m", "keras_gan_zoo", *words[1:]]
        return [python, *words[1:]]


def _runnable(words):
    """A command this module can run: the CLI, or a script of the checkout."""
    if not words:
        return False
    if words[0] == "keras-gan-zoo":
        return True
    return (words[0] == "python" and len(words) > 1 and words[1].endswith(".py")
            and words[1].split("/")[0] in ("recipes", "benchmarks") and "/" in words[1])


def card_commands(metadata):
    """`(steps, notes)`: the runnable commands of a preset's metadata in the
    order they must run (the inverting encoder first: the inversion table
    uses it), one step per distinct command with every metric it writes;
    `notes` are the recorded "commands" that describe a procedure rather
    than run one (a side-by-side ablation), which must be redone by hand."""
    entries = []
    encoder = metadata.get("encoder", {}).get("training", {})
    if encoder.get("command"):
        entries.append(("encoder", encoder))
    entries += [(key, value) for key, value in metadata.get("metrics", {}).items()
                if isinstance(value, dict) and value.get("command")]
    steps, notes, by_command = [], [], {}
    for key, record in entries:
        command = record["command"]
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if not _runnable(words) or any(word in ("and", ";", "&&", "|") for word in words):
            notes.append(f"{key}: {command}")
            continue
        if command in by_command:
            step = by_command[command]
            step.keys.append(key)
            step.backend = step.backend or record.get("backend")
            continue
        step = by_command[command] = Step([key], command, record.get("backend"), record.get("wall_time_s"))
        steps.append(step)
    return steps, notes


def plan(folder, commands_from=None):
    """`(folder, steps, notes)` for a preset folder (or a name): see
    `card_commands`; the commands of `commands_from` (another preset, e.g.
    the shipped one a continued run started from) if given, else the
    folder's own. Raises if the folder's name is not the preset name the
    commands use."""
    folder = presets.resolve(folder)
    source = presets.resolve(commands_from) if commands_from is not None else folder
    metadata = presets.read_json(source / presets.METADATA_FILE, "metadata")
    name = metadata.get("preset")
    if not name:
        raise ValueError(f"{source} records no preset name in its metadata; nothing tells which "
                         "commands measured it.")
    if folder.name != name:
        raise ValueError(f"The card's commands name the preset {name!r}, but the folder is called "
                         f"{folder.name!r}: copy it to a folder named {name!r} (e.g. "
                         f"{folder.parent / 'candidate' / name}) and remeasure that.")
    steps, notes = card_commands(metadata)
    return folder, steps, notes


def run(folder, commands_from=None, backend=None, start=1, only=None, dry_run=False, runner=subprocess.run,
        echo=print):
    """Runs the card's commands on `folder` (see the module docstring).

    Args:
        folder: the preset folder (named as the preset) or a preset name.
        commands_from: take the commands from this preset's card (a name or
            folder) instead of the folder's own: a run continued with
            `--init-from` writes a preset without the figures of the one it
            started from.
        backend: run every command on this backend instead of the one it
            was recorded with.
        start: begin with this step (1-based; after a failure, go on from it).
        only: metric keys; run only the steps that write one of them.
        dry_run: print the plan and run nothing.
        runner: `subprocess.run` or a stand-in with its signature.
        echo: where the progress lines go.

    Returns:
        The steps that ran (or would run), as `Step`s.
    Raises:
        ValueError: a bad `backend`, `start` or `only`, or the folder's name.
        RuntimeError: a command failed (its step number is in the message).
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    folder, steps, notes = plan(folder, commands_from)
    if only:
        known = {key for step in steps for key in step.keys}
        unknown = sorted(set(only) - known)
        if unknown:
            raise ValueError(f"{folder.name} has no rerunnable figures {unknown}; it has {sorted(known)}")
        steps = [step for step in steps if set(step.keys) & set(only)]
    if not 1 <= start <= max(len(steps), 1):
        raise ValueError(f"start must be between 1 and {len(steps)}; got {start}")
    expected = sum(step.wall_time_s or 0.0 for step in steps[start - 1:])
    echo(f"{folder.name}: {len(steps)} command(s) from its card in {folder}"
         + (f", about {expected / 60:.0f} min as last recorded" if expected else ""))
    for note in notes:
        echo(f"  not rerun (a procedure, not one command): {note}")
    # The package and the checkout's scripts, from a scratch working folder.
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    environment = {**os.environ, "KERAS_GAN_ZOO_WEIGHTS": str(folder.parent.resolve()), "PYTHONPATH": path}
    scratch, seen = None, []  # the working folder (made for the first command) and what is in it
    for index, step in enumerate(steps, 1):
        if index < start:
            continue
        chosen = backend or step.backend or environment.get("KERAS_BACKEND", "tensorflow")
        last = f"; last time {step.wall_time_s:.0f} s" if step.wall_time_s is not None else ""
        echo(f"[{index}/{len(steps)}] {step.command}  ({', '.join(step.keys)}; {chosen}{last})")
        if dry_run:
            continue
        words = shlex.split(step.command)
        if words[0] == "python" and not (REPO_ROOT / words[1]).is_file():  # (before argv makes it absolute)
            raise RuntimeError(f"step {index} runs {words[1]}, which is not in {REPO_ROOT}: remeasure from "
                               "a checkout of the repository")
        began = time.time()
        scratch = scratch or pathlib.Path(tempfile.mkdtemp(prefix=f"remeasure-{folder.name}-"))
        done = runner(step.argv(root=REPO_ROOT), cwd=scratch, env={**environment, "KERAS_BACKEND": chosen})
        written = sorted(set(p.name for p in scratch.iterdir()) - set(seen))
        if written:
            echo(f"  wrote {', '.join(written)} in {scratch}")
            seen.extend(written)
        if done.returncode:
            if not seen:
                scratch.rmdir()
            raise RuntimeError(f"step {index} failed (exit {done.returncode}): {step.command}; fix it and "
                               f"go on with start={index}")
        echo(f"[{index}/{len(steps)}] done in {time.time() - began:.0f} s")
    if scratch is not None and not seen:
        scratch.rmdir()
    if not dry_run:
        echo(f"Remeasured {folder}; `keras-gan-zoo cards` rewrites the card of a preset under weights/.")
    return steps[start - 1:]


def ship(folder, goal=None, notes=None, keep_notes=False, carry=(), echo=print):
    """Replaces the shipped preset named as `folder` with `folder`: its
    weights, its inverting encoder and the figures `run` remeasured on them.

    Refuses, changing nothing, unless every figure a command of the shipped
    card wrote has been measured again in `folder` (`keras-gan-zoo
    remeasure FOLDER --commands-from NAME`): a card must not mix figures of
    two generators. The shipped card's figures that no single command
    writes (a side-by-side ablation, a real-image floor, a comparison with
    another preset in words: they describe the recipe, the data or another
    model, not these weights) are carried over and listed, and so are the
    figures named in `carry` (e.g. a baseline model's row recorded without
    a command).
    The card's goal and notes are prose that may quote the old figures, so
    `goal` (when the shipped card has one) and `notes` (or `keep_notes`)
    must be given. The preset folder is replaced atomically.

    >>> remeasure.ship("runs/more/candidate/dcgan-mnist",
    ...                goal="FID <= 5: reached (4.8)", notes="Trained in two runs ...")

    Returns:
        The shipped preset's folder.
    Raises:
        ValueError: `folder` is not a preset folder named as a shipped
            preset, a figure was not remeasured, or goal/notes are missing.
    """
    folder = pathlib.Path(folder)
    if not (folder / presets.CONFIG_FILE).is_file():
        raise ValueError(f"{folder} is not a preset folder (no {presets.CONFIG_FILE}); give the folder that "
                         "`keras-gan-zoo remeasure` measured, e.g. runs/more/candidate/dcgan-mnist")
    name, shipped = folder.name, presets.preset_dir(folder.name)
    if shipped is None or shipped.resolve() == folder.resolve():
        raise ValueError(f"{folder} must be a copy named as a shipped preset ({presets.list_presets()}), "
                         "outside the weights folder")
    new = presets.read_json(folder / presets.METADATA_FILE, "metadata")
    old = presets.read_json(shipped / presets.METADATA_FILE, "metadata")
    presets.verify_weights(folder, new)
    steps, _ = card_commands(old)
    written = {key for step in steps for key in step.keys}
    metrics = old.get("metrics", {})
    # Carried over: a record whose command no step runs (a procedure: an ablation, a floor), prose
    # (a comparison with another preset), and what the caller names.
    unknown = sorted(set(carry) - set(metrics))
    if unknown:
        raise ValueError(f"the shipped card of {name} has no figures {unknown} to carry over; it has "
                         f"{sorted(metrics)}")
    procedures = {key for key, value in metrics.items() if key not in written and key != "goal" and (
        isinstance(value, str) or (isinstance(value, dict) and value.get("command")))} | set(carry)
    have = set(new.get("metrics", {})) | ({"encoder"} if new.get("encoder", {}).get("training") else set())
    missing = sorted((written | set(metrics)) - procedures - {"goal"} - have)
    if missing:
        raise ValueError(f"{folder} has not been measured for {missing}, which the shipped card of {name} "
                         f"records: run `keras-gan-zoo remeasure {folder} --commands-from {name}` first "
                         "(--only picks steps); a figure that describes another model rather than these "
                         "weights is carried over when named in `carry`")
    carried = {key: metrics[key] for key in sorted(procedures - have)}
    if "goal" in metrics and goal is None:
        raise ValueError(f"the shipped card of {name} states a goal (\"{metrics['goal']}\"), which may quote "
                         "the old figures: give the goal again with these weights' figures")
    if old.get("notes") and notes is None and not keep_notes:
        raise ValueError(f"the shipped card of {name} has notes, which may describe the old training: give "
                         "new notes, or keep them as they are")
    updates = {"metrics": {**carried, **({"goal": goal} if goal is not None else {})}}
    if notes is not None or keep_notes:
        updates["notes"] = notes if notes is not None else old["notes"]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{name}.new-", dir=shipped.parent))
    try:
        for item in folder.iterdir():
            if item.name != presets.CARD_FILE and not item.name.startswith("."):
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, tmp / item.name)
        presets.update_metadata(tmp, updates)  # writes the card too
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    presets.replace_folder(tmp, shipped)
    for key in carried:
        echo(f"  carried over from the shipped card (no command remeasures it): {key}")
    echo(f"Shipped {folder} as {shipped}. Then: `keras-gan-zoo cards` (MODEL_CARDS.md), the preset's "
         f"fingerprint (`python tests/write_fingerprint.py {name}` on TensorFlow), "
         f"`python benchmarks/preset_gallery.py {name}` for an image preset, and the figures the README and "
         "benchmarks/RESULTS.md quote.")
    return shipped
