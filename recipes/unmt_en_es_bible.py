"""Recipe for the `unmt-en-es-bible` preset and its supervised reference.

    python recipes/unmt_en_es_bible.py                 # unsupervised (writes weights/unmt-en-es-bible)
    python recipes/unmt_en_es_bible.py --supervised    # reference (writes runs/unmt-en-es-bible-supervised/preset)
    python recipes/unmt_en_es_bible.py --smoke         # the same pipeline in a minute
    python recipes/unmt_en_es_bible.py --set adversarial_weight=0 --minutes 40   # an ablation
    python recipes/unmt_en_es_bible.py --init-from unmt-en-es-bible --minutes 60 --out runs/unmt-more/preset

Data (`keras_gan_zoo.bible.split`): the KJV and the Reina-Valera 1909 from
the Debian SWORD modules. The books outside the test set alternate between
the languages, so the English and the Spanish training text come from
disjoint books and no translation pair is seen; Ruth, Esther, Jonah, Mark,
Philippians, James and 1 John are held out in both languages (the aligned
test set). The supervised reference trains the same networks on the
parallel verses of all training books.

A SentencePiece unigram vocabulary of 4,000 pieces is learned from the two
monolingual sides. Verses longer than 63 pieces are left out of training.
The unsupervised run starts its back-translations word by word with
dictionaries induced from the monolingual sides
(`translation.induce_dictionary`, seeded with the words spelled the same and
likely cognates), as Lample et al. 2018 do, then refreshes
them with the model itself after every epoch of `steps` batches.

The unsupervised run has two phases (issue: back-translation needs a model
that already reads its input):

1. a denoising warm-up: only the denoising loss (no back-translation, no
   discriminator, no decoding), until the auto-encoding BLEU of a fixed
   sample of held-out verses reaches `warmup.stop_at_auto_bleu` in both
   languages, or for at most `warmup.minutes`;
2. back-translation with the recipe's loss weights, starting word by word.

`models.unmt.TranslationProbe` logs the auto-encoding and translation BLEU
of that sample every few epochs (`runs/<name>/probe.jsonl`, and columns of
`history.csv`). Only the auto-encoding figure, each language alone, decides
anything (the end of the warm-up); the translation BLEU is watched, never
used.

A run killed at any point continues from its run folder when the same
command is run again: each phase resumes at its last finished epoch
(`BackupAndRestore`), a finished warm-up is not repeated, and the time
limits count the time the earlier sittings spent. A run that its time limit
ended goes on when run again with a larger `--minutes` (the backups are
kept):

    python recipes/unmt_en_es_bible.py --minutes 160   # 80 more minutes of back-translation

`--run-dir DIR` puts the run folder elsewhere (`recipes/gpu_all.py run
--translation` gives each run one inside its own output folder).

`--init-from PRESET` starts from a preset's weights instead (a run folder lost
with its machine costs only the steps after that preset): the preset must
have this recipe's networks and vocabulary, the warm-up is skipped, the
first back-translations come from the loaded model, the optimizer starts
fresh, the batches and their noise come from a seed of their own (the
recipe's plus a number read off the loaded weights' hash, recorded as
`training.data_seed`: a continuation of a continuation does not replay the
batches its start was trained on), and the run gets its own folder
(`runs/<name>-continued`).
"""

import argparse
import json
import pathlib
import sys
import time

import keras

from keras_gan_zoo import bible, gradients
from keras_gan_zoo import translation as tr
from keras_gan_zoo.models.unmt import (UNMT, BackTranslationBatches, BackTranslationRefresh,
                                       ParallelBatches, TranslationProbe)
from keras_gan_zoo.training import REPO_ROOT, DivergenceGuard, RunClock, TimeLimit, load_initial_weights, variant

RECIPE = {
    "preset": "unmt-en-es-bible",
    "vocab_size": 4000,
    "model": {"max_length": 64, "dim": 128, "heads": 4, "ff_dim": 512, "encoder_layers": 3,
              "decoder_layers": 3, "dropout": 0.1, "auto_weight": 1.0,
              "back_translation_weight": 1.0, "adversarial_weight": 0.1,
              # Learned positions that start as sinusoids: the decoder reads the encoder about
              # four times sooner than from Keras's uniform start (benchmarks/RESULTS.md).
              "position_init": "sinusoidal"},
    # The translator's Adam: `learning_rate`, reached by a linear ramp over
    # `warmup_steps` (0: from the first step) and then held.
    "optimizer": {"learning_rate": 3e-4, "warmup_steps": 0},
    # The denoising noise (translation.add_noise): drop, local shuffle, blank.
    "noise": {"drop": 0.1, "shuffle": 3.0, "blank": 0.1},
    "batch_size": 32,
    "steps_per_epoch": 100,
    # Each back-translation is used twice (half an epoch's sentences decoded per refresh): at equal
    # wall time that beat fresh ones every epoch by 0.2-0.3 BLEU (benchmarks/RESULTS.md).
    "back_translation_reuse": 2,
    "epochs": 1000,
    "time_limit_minutes": 80,
    # Phase 1 of the unsupervised run: auto-encoding only, until the probe's
    # auto-encoding BLEU reaches stop_at_auto_bleu in both languages, with
    # `noise` times the noise above (0: clean copies). With the full noise the
    # held-out auto-encoding BLEU stalled near 33/26 (en/es) from 2,200 steps
    # on while the training loss kept falling; without it, 63/58 at 1,000
    # steps (benchmarks/RESULTS.md). Phase 2 denoises with the full noise.
    "warmup": {"minutes": 60, "stop_at_auto_bleu": 50.0, "epochs": 1000, "noise": 0.0},
    # The fixed held-out sample the probe decodes: the first `verses` test
    # pairs that fit the model, every `every_epochs` epochs.
    "probe": {"verses": 100, "every_epochs": 2},
    # The seed dictionary of the induced word dictionaries that start back-
    # translation: words spelled the same, plus likely cognates
    # ("orthographic"): word-by-word BLEU 0.70 / 1.24 against 0.33 / 0.15
    # with the identical spellings alone (benchmarks/RESULTS.md).
    "dictionary": {"seed": "orthographic"},
    # Where the shared token embedding starts: Keras's random one ("random")
    # or piece vectors of the two monolingual sides aligned on the induced
    # dictionary ("cross_lingual", `translation.cross_lingual_piece_vectors`).
    # At the same 80-minute budget the cross-lingual start reached probe BLEU
    # 3.40 / 5.00 against the random start's 1.72 / 2.25 (benchmarks/RESULTS.md).
    "embedding": {"init": "cross_lingual"},
    "seed": 0,
}
SMOKE = {"vocab_size": 400, "sentences": 200, "steps_per_epoch": 2, "epochs": 2, "back_translation_reuse": 1,
         "warmup": {"minutes": 0, "stop_at_auto_bleu": 50.0, "epochs": 2, "noise": 0.0},
         "probe": {"verses": 4, "every_epochs": 1},
         "model": {"dim": 16, "heads": 2, "ff_dim": 32, "encoder_layers": 1, "decoder_layers": 1}}


def _fit(model, data, epochs, callbacks, backup):
    """`model.fit` resumed from (and backed up to) `backup` at epoch ends.

    The backup outlives the fit, so a phase its time limit ended continues
    exactly (weights, optimizer state, epoch) when run again with more minutes."""
    # BackupAndRestore sets this private attribute when it resumes and never
    # clears it: a later fit would start at that epoch.
    model._initial_epoch = None
    # double_checkpoint: a backup torn by a kill mid-write falls back to the one before.
    callbacks = [DivergenceGuard(),
                 keras.callbacks.BackupAndRestore(str(backup), double_checkpoint=True, delete_checkpoint=False),
                 *callbacks]
    return model.fit(data, epochs=epochs, callbacks=callbacks, verbose=2)


def _ids(vocabulary, sentences, limit):
    """Id lists of the sentences that fit in `limit` pieces."""
    rows = vocabulary.processor.encode(list(sentences))
    return [r for r in rows if 0 < len(r) <= limit]


# The recipe's groups that `--set` reaches: a model setting by its own name,
# the others as GROUP.KEY (e.g. noise.drop=0, warmup.minutes=20), and the
# batching settings at the top level by their own name (e.g. batch_size=128,
# back_translation_reuse=1).
SETTABLE = ("model", "optimizer", "noise", "warmup", "dictionary", "embedding")
TOP_LEVEL = ("batch_size", "steps_per_epoch", "back_translation_reuse")


def settings(recipe):
    """{--set name: value} of every setting `--set` may override."""
    found = {(k if group == "model" else f"{group}.{k}"): v
             for group in SETTABLE for k, v in recipe[group].items()}
    return {**found, **{k: recipe[k] for k in TOP_LEVEL}}


def _overrides(pairs, known):
    """{name: value} from `KEY=VALUE` strings, each naming one of `known`
    ({name: recipe value}, see `settings`)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            raise SystemExit(f"--set takes KEY=VALUE with KEY one of {sorted(known)}; got {pair!r}")
        try:
            out[key] = type(known[key])(value)
        except ValueError:
            raise SystemExit(f"--set {key}= needs a {type(known[key]).__name__}; got {value!r}") from None
    return out


def apply_overrides(recipe, overrides):
    """A copy of `recipe` with `overrides` (from `_overrides`) in their groups."""
    groups = {group: {} for group in SETTABLE}
    top = {k: v for k, v in overrides.items() if k in TOP_LEVEL}
    for name, value in overrides.items():
        if name not in top:
            group, _, key = name.rpartition(".")
            groups[group or "model"][key] = value
    model = groups.pop("model")
    return variant(recipe, model=model, **top, **{g: {**recipe[g], **v} for g, v in groups.items() if v})


def scaled_noise(noise, fraction):
    """The noise settings times `fraction` (drop and blank rates, shuffle distance)."""
    return {k: v * float(fraction) for k, v in noise.items()}


def translator_optimizer(settings):
    """Adam for the translator from the recipe's `optimizer` group: a linear
    ramp to `learning_rate` over `warmup_steps`, then constant. (Keras's
    CosineDecay with alpha=1 is exactly that, and saves with the model.)"""
    rate, warmup = float(settings["learning_rate"]), int(settings["warmup_steps"])
    if warmup > 0:
        rate = keras.optimizers.schedules.CosineDecay(0.0, decay_steps=1, alpha=1.0,
                                                      warmup_target=rate, warmup_steps=warmup)
    return keras.optimizers.Adam(rate, name="g_adam")


def _dictionaries(parts, path, seed="identical"):
    """The induced en->es and es->en word dictionaries (monolingual sides
    only, `seed` their seed dictionary), cached in the run folder: inducing
    them takes minutes. A cache induced from another seed is not reused."""
    if path.exists():
        cached = json.loads(path.read_text())
        if cached.get("seed", "identical") == seed:
            return {lang: cached[lang] for lang in ("en", "es")}
    print(f"inducing word dictionaries from the monolingual sides ({seed} seed) ...")
    dictionaries = {"en": tr.induce_dictionary(parts["en"], parts["es"], seed_dictionary=seed),
                    "es": tr.induce_dictionary(parts["es"], parts["en"], seed_dictionary=seed)}
    path.write_text(json.dumps({"seed": seed, **dictionaries}, ensure_ascii=False))
    return dictionaries


EMBEDDING_INITS = ("random", "cross_lingual")


def _embedding_table(parts, vocabulary, dictionaries, dim):
    """Cross-lingual piece vectors of the two monolingual sides, aligned on
    the induced dictionaries in both directions (no parallel text)."""
    pairs = list(dictionaries["en"].items()) + [(en, es) for es, en in dictionaries["es"].items()]
    return tr.cross_lingual_piece_vectors(vocabulary, parts["en"], parts["es"], pairs, dim=dim)


def _resume_back_translation(model, backup, clock, preset):
    """Puts into `model` the weights its back-translation phase continues
    from, before the phase's first batches are made (so they are back-
    translated by that model, not word by word). Returns (resumed,
    continued): `resumed` is True when there is anything to continue from;
    `continued` is {"steps", "epochs", "optimizer_steps", "path"} of the preset it
    came from (in this sitting or one before), or None.

    The phase's own backup (`BackupAndRestore`, which loads it again with
    the optimizer state) comes first. Without one, a phase that ran before
    continues from the preset this run wrote (runs before backups were kept
    deleted theirs when the time limit ended them); a preset holds no
    optimizer state, so the optimizers go on from the warm-up's. That
    continuation is recorded in the run folder (`continued.json`), so the
    sittings after it count its steps."""
    record = pathlib.Path(backup).parent / "continued.json"
    continued = json.loads(record.read_text()) if record.is_file() else None
    latest = pathlib.Path(backup) / "latest.weights.h5"
    if latest.is_file():
        if getattr(model, "optimizer", None) is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:
            model.load_weights(str(latest))
            return True, continued
        except (OSError, ValueError) as error:  # torn by a kill: BackupAndRestore falls back to the one before
            print(f"the latest backup does not load ({error}); the first batches use the previous weights")
            return False, continued
    weights = pathlib.Path(preset) / "model.weights.h5"
    if pathlib.Path(backup).exists() or not RunClock.read(clock).get("back_translation") or not weights.is_file():
        return False, None
    metadata = json.loads((pathlib.Path(preset) / "metadata.json").read_text())
    model.set_weights(UNMT.from_pretrained(str(preset), compile=False).get_weights())
    steps = int(metadata.get("training", {}).get("steps", 0))
    print(f"continuing back-translation from the preset {preset} ({steps} steps; "
          "the optimizer state is the warm-up's)")
    where = pathlib.Path(preset).resolve()
    # `optimizer_steps`: the translator's optimizer count now, so the run's
    # step count adds only the steps taken from here on.
    continued = {"steps": steps, "epochs": int(metadata.get("training", {}).get("epochs_run", 0)),
                 "optimizer_steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
                 "path": str(where.relative_to(REPO_ROOT) if where.is_relative_to(REPO_ROOT) else where.name)}
    record.write_text(json.dumps(continued))
    return True, continued


def _command(argv):
    """The command a card shows: how the run trained, not where it wrote
    (`--out` and `--run-dir` name this machine's folders)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--out", "--run-dir"):
            skip = True
        elif not arg.startswith(("--out=", "--run-dir=")):
            kept.append(arg)
    return " ".join(["python recipes/unmt_en_es_bible.py", *kept])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supervised", action="store_true", help="train the supervised reference")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--minutes", type=float, default=None, help="override the time limit")
    parser.add_argument("--out", default=None)
    parser.add_argument("--run-dir", default=None,
                        help="the run folder it resumes from and backs up to (default: runs/<name>, "
                             "runs/<name>-continued with --init-from)")
    parser.add_argument("--init-from", default=None, metavar="PRESET",
                        help="start from this preset's weights (same networks and vocabulary): the "
                             "denoising warm-up is skipped and back-translation goes on from them; "
                             "recorded under training.continued_from")
    parser.add_argument("--warmup-only", action="store_true",
                        help="stop after the denoising warm-up (an ablation of it); writes no preset")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting for an ablation, e.g. --set adversarial_weight=0 or "
                             "--set noise.drop=0 or --set optimizer.warmup_steps=500 or --set back_translation_reuse=1 "
                             "(the run then writes runs/<name>-<key>-<value>/preset, never the shipped preset)")
    args = parser.parse_args(argv)
    # A setting given its recipe value is no override: the run is the recipe's own.
    known = settings(RECIPE)
    overrides = {k: v for k, v in _overrides(args.set, known).items() if v != known[k]}
    recipe = apply_overrides(RECIPE, overrides)
    if args.smoke:
        recipe.update({k: v for k, v in SMOKE.items() if k != "model"})
        recipe["model"].update(SMOKE["model"])
    objective = "supervised" if args.supervised else "unsupervised"
    name = recipe["preset"] + ("-supervised" if args.supervised else "") + ("-smoke" if args.smoke else "")
    name += "".join(f"-{k}-{v}" for k, v in overrides.items())
    # A continuation never resumes from (or writes into) a from-scratch run's folder.
    run_dir = pathlib.Path(args.run_dir) if args.run_dir else REPO_ROOT / "runs" / (
        name + ("-continued" if args.init_from else ""))
    run_dir.mkdir(parents=True, exist_ok=True)
    shipped = not (args.smoke or args.supervised or overrides)
    out = pathlib.Path(args.out or (REPO_ROOT / "weights" / name if shipped else run_dir / "preset"))
    keras.utils.set_random_seed(recipe["seed"])

    parts = bible.split()
    if recipe.get("sentences"):
        n = recipe["sentences"]
        parts = {**parts, "en": parts["en"][:n], "es": parts["es"][:n], "parallel": parts["parallel"][:n]}
    vocabulary = tr.SubwordVocabulary.train(parts["en"] + parts["es"], recipe["vocab_size"])
    model = UNMT(vocabulary=vocabulary, objective=objective, seed=recipe["seed"], **recipe["model"])
    model.compile(g_optimizer=translator_optimizer(recipe["optimizer"]))
    # (checks that the preset has this recipe's networks and vocabulary)
    continued_from = load_initial_weights(model, args.init_from) if args.init_from else None
    # A continuation draws its own batches and noise (a seed from the weights it
    # starts from), not those of the run that made them again.
    data_seed = recipe["seed"] + (int(continued_from["sha256"][:8], 16) if continued_from else 0)
    limit = model.max_length - 1
    clock = run_dir / "clock.json"
    minutes = args.minutes if args.minutes is not None else recipe["time_limit_minutes"]
    limited = bool(minutes) and not args.smoke

    limits = []

    def time_limit(phase, budget):
        """A TimeLimit for what is left of `budget` minutes after the sittings before."""
        if not limited or budget is None:
            return []
        limits.append(TimeLimit(max(budget - RunClock.read(clock).get(phase, 0.0) / 60, 0.01)))
        return limits[-1:]

    start = time.time()
    warmup_log = {}
    continued = None  # (a back-translation run resumed from a continuation's folder)
    if objective == "supervised":
        pairs = [(e, s) for e, s in parts["parallel"]]
        en_rows = vocabulary.processor.encode([e for e, _ in pairs])
        es_rows = vocabulary.processor.encode([s for _, s in pairs])
        keep = [i for i in range(len(pairs)) if len(en_rows[i]) <= limit and len(es_rows[i]) <= limit]
        data = ParallelBatches(model, [en_rows[i] for i in keep], [es_rows[i] for i in keep],
                               batch_size=recipe["batch_size"], seed=data_seed)
        counts = {"parallel_pairs": len(keep), "parallel_pairs_too_long": len(pairs) - len(keep)}
        history = _fit(model, data, recipe["epochs"],
                       [RunClock(clock, "train"), keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
                        *time_limit("train", minutes)], run_dir / "backup")
    else:
        en_ids, es_ids = _ids(vocabulary, parts["en"], limit), _ids(vocabulary, parts["es"], limit)
        dictionaries = _dictionaries(parts, run_dir / "dictionaries.json", recipe["dictionary"]["seed"])
        init = recipe["embedding"]["init"]
        if init not in EMBEDDING_INITS:
            raise SystemExit(f"embedding.init must be one of {EMBEDDING_INITS}; got {init!r}")
        if init == "cross_lingual" and continued_from is None:  # (a resumed run's backup overwrites it)
            print("cross-lingual piece vectors from the monolingual sides ...")
            model.set_token_embeddings(*_embedding_table(parts, vocabulary, dictionaries, model.dim))

        def word_by_word(rows, lang):
            text = tr.word_by_word(vocabulary.decode(rows), dictionaries[lang])
            return [r[:model.max_length] for r in vocabulary.processor.encode(text)]

        probe_pairs = [pair for pair in parts["test"]
                       if all(0 < len(r) <= limit for r in vocabulary.processor.encode(list(pair)))]
        probe_pairs = probe_pairs[: recipe["probe"]["verses"]]

        def probe(**options):
            return TranslationProbe(probe_pairs, every=recipe["probe"]["every_epochs"],
                                    log_path=run_dir / "probe.jsonl", dictionaries=dictionaries, **options)

        warmup = recipe["warmup"]
        warmup_done = run_dir / "warmup.json"
        data = BackTranslationBatches(model, en_ids, es_ids, batch_size=recipe["batch_size"],
                                      steps=recipe["steps_per_epoch"], seed=data_seed,
                                      initial_translate=word_by_word,
                                      noise=scaled_noise(recipe["noise"], warmup["noise"]),
                                      reuse=recipe["back_translation_reuse"], back_translate=False)
        weights = {k: recipe["model"][k] for k in ("back_translation_weight", "adversarial_weight")}
        if continued_from is not None:  # the preset is past its warm-up
            warmup_log = {"skipped": f"it started from the weights of {continued_from['preset']}"}
            print(f"denoising warm-up skipped: {warmup_log['skipped']}")
        elif warmup_done.exists():
            warmup_log = json.loads(warmup_done.read_text())
            model.load_weights(str(run_dir / "warmup.weights.h5"))
            print(f"denoising warm-up already done: {warmup_log}")
        else:
            print("phase 1: denoising warm-up")
            model.set_loss_weights(back_translation_weight=0.0, adversarial_weight=0.0)
            watch = probe(stop_at=warmup["stop_at_auto_bleu"])
            history = _fit(model, data, warmup["epochs"],
                           [watch, RunClock(clock, "warmup"),
                            keras.callbacks.CSVLogger(str(run_dir / "history-warmup.csv"), append=True),
                            *time_limit("warmup", warmup["minutes"])], run_dir / "backup-warmup")
            final = watch.history[-1] if watch.history else {}
            warmup_log = {"steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
                          "minutes": round(RunClock.read(clock).get("warmup", 0.0) / 60, 1),
                          "reached_stop_at": watch.reached_at_step is not None,
                          "stop_at_auto_bleu": warmup["stop_at_auto_bleu"],
                          **{k: v for k, v in final.items() if k.startswith("auto_bleu")}}
            model.save_weights(str(run_dir / "warmup.weights.h5"))
            warmup_done.write_text(json.dumps(warmup_log))
        if args.warmup_only:
            print(f"warm-up only: {warmup_log}")
            return
        print("phase 2: back-translation")
        model.set_loss_weights(**weights)
        resumed, continued = _resume_back_translation(model, run_dir / "backup", clock, out)
        # (the model translates, not the dictionary)
        data.translated = data.translated or resumed or continued_from is not None
        data.noise = dict(recipe["noise"])
        data.start_back_translation()  # (new batches: back-translated, with the full noise)
        history = _fit(model, data, recipe["epochs"],
                       [probe(), BackTranslationRefresh(data), RunClock(clock, "back_translation"),
                        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
                        *time_limit("back_translation", minutes - warmup_log.get("minutes", 0.0))],
                       run_dir / "backup")
        counts = {"english_sentences": len(en_ids), "spanish_sentences": len(es_ids),
                  "too_long": len(parts["en"]) + len(parts["es"]) - len(en_ids) - len(es_ids),
                  "warmup": warmup_log, **({"continued_from_preset": continued} if continued else {})}
    wall = time.time() - start
    metadata = {
        "preset": name,
        "training": {
            "recipe": "recipes/unmt_en_es_bible.py",
            "command": _command(sys.argv[1:] if argv is None else argv),
            "dataset": "bible_en_es", "objective": objective, "overrides": overrides, "books": parts["books"], **counts,
            "vocab_size": len(vocabulary), "batch_size": recipe["batch_size"], "data_seed": data_seed,
            "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations))
            + (continued["steps"] - continued["optimizer_steps"] if continued else 0),
            "epochs_run": (history.epoch[-1] + 1 if history.epoch else 0) + (continued or {}).get("epochs", 0),
            "steps_per_epoch": len(data),
            **({"back_translation_reuse": data.reuse} if objective != "supervised" else {}),
            "loss": "token cross-entropy" + (" + adversarial" if objective != "supervised" else ""),
            "optimizer": {"translator": recipe["optimizer"],
                          **{n: round(float(keras.optimizers.serialize(o)["config"]["learning_rate"]), 8)
                             for n, o in model.player_optimizers.items() if n != "g"}},
            **({"noise": recipe["noise"], "warmup_noise": warmup["noise"],
                "dictionary_seed": recipe["dictionary"]["seed"], "embedding_init": recipe["embedding"]["init"]}
               if objective != "supervised" else {}),
            "backend": keras.backend.backend(), "device": gradients.device_description(),
            # Every sitting's training time (the run may have been resumed).
            "wall_time_s": round(sum(RunClock.read(clock).values()), 1), "this_sitting_s": round(wall, 1),
            "smoke": bool(args.smoke), "time_limit_minutes": minutes,
            **({"continued_from": continued_from} if continued_from else {}),
            "stopped_by_time_limit": bool(limits and limits[-1].stopped_at_epoch is not None),
        },
        "metrics": {},
    }
    model.save_pretrained(out, metadata=metadata)
    print(f"Saved preset to {out} ({wall:.0f} s of training)")


if __name__ == "__main__":
    main()
