"""Recipe for the `unmt-en-es-bible` preset and its supervised reference.

    python recipes/unmt_en_es_bible.py                 # unsupervised (writes weights/unmt-en-es-bible)
    python recipes/unmt_en_es_bible.py --supervised    # reference (writes runs/unmt-en-es-bible-supervised/preset)
    python recipes/unmt_en_es_bible.py --smoke         # the same pipeline in a minute
    python recipes/unmt_en_es_bible.py --set adversarial_weight=0 --minutes 40   # an ablation

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
(`translation.induce_dictionary`), as Lample et al. 2018 do, then refreshes
them with the model itself after every epoch of `steps` batches.
"""

import argparse
import pathlib
import sys
import time

import keras

from keras_gan_zoo import bible, gradients
from keras_gan_zoo import translation as tr
from keras_gan_zoo.models.unmt import (UNMT, BackTranslationBatches, BackTranslationRefresh,
                                       ParallelBatches)
from keras_gan_zoo.training import REPO_ROOT, TimeLimit, variant

RECIPE = {
    "preset": "unmt-en-es-bible",
    "vocab_size": 4000,
    "model": {"max_length": 64, "dim": 128, "heads": 4, "ff_dim": 512, "encoder_layers": 3,
              "decoder_layers": 3, "dropout": 0.1, "auto_weight": 1.0,
              "back_translation_weight": 1.0, "adversarial_weight": 0.1},
    "batch_size": 32,
    "steps_per_epoch": 100,
    "back_translation_reuse": 2,
    "epochs": 1000,
    "time_limit_minutes": 80,
    "seed": 0,
}
SMOKE = {"vocab_size": 400, "sentences": 200, "steps_per_epoch": 2, "epochs": 2, "back_translation_reuse": 1,
         "model": {"dim": 16, "heads": 2, "ff_dim": 32, "encoder_layers": 1, "decoder_layers": 1}}


def _ids(vocabulary, sentences, limit):
    """Id lists of the sentences that fit in `limit` pieces."""
    rows = vocabulary.processor.encode(list(sentences))
    return [r for r in rows if 0 < len(r) <= limit]


def _overrides(pairs, model):
    """{key: value} from `KEY=VALUE` strings, each naming a setting of RECIPE["model"]."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in model:
            raise SystemExit(f"--set takes KEY=VALUE with KEY one of {sorted(model)}; got {pair!r}")
        try:
            out[key] = type(model[key])(value)
        except ValueError:
            raise SystemExit(f"--set {key}= needs a {type(model[key]).__name__}; got {value!r}") from None
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supervised", action="store_true", help="train the supervised reference")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--minutes", type=float, default=None, help="override the time limit")
    parser.add_argument("--out", default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a model setting for an ablation, e.g. --set adversarial_weight=0 "
                             "(the run then writes runs/<name>-<key>-<value>/preset, never the shipped preset)")
    args = parser.parse_args(argv)
    overrides = _overrides(args.set, RECIPE["model"])
    recipe = variant(RECIPE, model=overrides)
    if args.smoke:
        recipe.update({k: v for k, v in SMOKE.items() if k != "model"})
        recipe["model"].update(SMOKE["model"])
    objective = "supervised" if args.supervised else "unsupervised"
    name = recipe["preset"] + ("-supervised" if args.supervised else "") + ("-smoke" if args.smoke else "")
    name += "".join(f"-{k}-{v}" for k, v in overrides.items())
    run_dir = REPO_ROOT / "runs" / name
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
    model.compile()
    limit = model.max_length - 1
    callbacks = [keras.callbacks.CSVLogger(str(run_dir / "history.csv"))]
    minutes = args.minutes if args.minutes is not None else recipe["time_limit_minutes"]
    time_limit = TimeLimit(minutes) if minutes and not args.smoke else None
    callbacks += [time_limit] if time_limit else []
    start = time.time()
    if objective == "supervised":
        pairs = [(e, s) for e, s in parts["parallel"]]
        en_rows = vocabulary.processor.encode([e for e, _ in pairs])
        es_rows = vocabulary.processor.encode([s for _, s in pairs])
        keep = [i for i in range(len(pairs)) if len(en_rows[i]) <= limit and len(es_rows[i]) <= limit]
        data = ParallelBatches(model, [en_rows[i] for i in keep], [es_rows[i] for i in keep],
                               batch_size=recipe["batch_size"], seed=recipe["seed"])
        counts = {"parallel_pairs": len(keep), "parallel_pairs_too_long": len(pairs) - len(keep)}
        epochs = recipe["epochs"]
    else:
        en_ids, es_ids = _ids(vocabulary, parts["en"], limit), _ids(vocabulary, parts["es"], limit)
        print("inducing word dictionaries from the monolingual sides ...")
        dictionaries = {"en": tr.induce_dictionary(parts["en"], parts["es"]),
                        "es": tr.induce_dictionary(parts["es"], parts["en"])}

        def word_by_word(rows, lang):
            text = tr.word_by_word(vocabulary.decode(rows), dictionaries[lang])
            return [r[:model.max_length] for r in vocabulary.processor.encode(text)]

        data = BackTranslationBatches(model, en_ids, es_ids, batch_size=recipe["batch_size"],
                                      steps=recipe["steps_per_epoch"], seed=recipe["seed"],
                                      initial_translate=word_by_word,
                                      reuse=recipe["back_translation_reuse"])
        callbacks.append(BackTranslationRefresh(data))
        counts = {"english_sentences": len(en_ids), "spanish_sentences": len(es_ids),
                  "too_long": len(parts["en"]) + len(parts["es"]) - len(en_ids) - len(es_ids)}
        epochs = recipe["epochs"]
    history = model.fit(data, epochs=epochs, callbacks=callbacks, verbose=2)
    wall = time.time() - start
    metadata = {
        "preset": name,
        "training": {
            "recipe": "recipes/unmt_en_es_bible.py",
            "command": "python " + " ".join(["recipes/unmt_en_es_bible.py"] + (sys.argv[1:] if argv is None else argv)),
            "dataset": "bible_en_es", "objective": objective, "overrides": overrides, "books": parts["books"], **counts,
            "vocab_size": len(vocabulary), "batch_size": recipe["batch_size"],
            "steps": int(keras.ops.convert_to_numpy(model.optimizer.iterations)),
            "epochs_run": len(history.epoch), "steps_per_epoch": len(data),
            **({"back_translation_reuse": data.reuse} if objective != "supervised" else {}),
            "loss": "token cross-entropy" + (" + adversarial" if objective != "supervised" else ""),
            "optimizer": {n: round(float(keras.optimizers.serialize(o)["config"]["learning_rate"]), 8)
                          for n, o in model.player_optimizers.items()},
            "backend": keras.backend.backend(), "device": gradients.device_description(),
            "wall_time_s": round(wall, 1), "smoke": bool(args.smoke), "time_limit_minutes": minutes,
            "stopped_by_time_limit": bool(time_limit and time_limit.stopped_at_epoch is not None),
        },
        "metrics": {},
    }
    model.save_pretrained(out, metadata=metadata)
    print(f"Saved preset to {out} ({wall:.0f} s of training)")


if __name__ == "__main__":
    main()
