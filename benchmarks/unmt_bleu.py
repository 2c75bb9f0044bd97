"""BLEU of the unsupervised translator on the held-out Bible books, both
directions, next to three references computed on the same verses: copying
the source, word-by-word translation with dictionaries induced without
parallel data, and the same networks trained supervised on the parallel
verses of the training books.

    python benchmarks/unmt_bleu.py unmt-en-es-bible \\
        --supervised runs/unmt-en-es-bible-supervised/preset --beam 4

sacrebleu corpus BLEU (13a tokenisation, cased) against the one reference
translation. Also reports the unsupervised model's auto-encoding BLEU (each
test verse rebuilt in its own language, greedy): a decoder that ignores the
encoder scores near zero there too. Test verses longer than the model's limit in either language
are left out (the count is recorded). Writes the table into the preset's
metadata and model card.
"""

import argparse
import json
import sys
import time

import keras

from keras_gan_zoo import bible, gradients, presets
from keras_gan_zoo import translation as tr

DIRECTIONS = (("en", "es"), ("es", "en"))


def test_pairs(model):
    """The held-out aligned verses that fit the model in both languages."""
    pairs = bible.split()["test"]
    limit = model.max_length - 1
    ok = [(e, s) for e, s in pairs
          if all(0 < len(r) <= limit for r in model.vocabulary.processor.encode([e, s]))]
    return ok, len(pairs) - len(ok)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--supervised", default=None, help="preset folder of the supervised reference")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="first N test verses only")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    start = time.time()
    folder = presets.resolve(args.preset)
    model = presets.load(folder, compile=False)
    pairs, too_long = test_pairs(model)
    pairs = pairs[: args.limit]
    text = {"en": [e for e, _ in pairs], "es": [s for _, s in pairs]}
    split = bible.split()
    dictionaries = {"en": tr.induce_dictionary(split["en"], split["es"]),
                    "es": tr.induce_dictionary(split["es"], split["en"])}
    systems = {"copy the source": lambda src, tgt: text[src],
               "word by word (induced dictionary)": lambda src, tgt: tr.word_by_word(text[src], dictionaries[src])}
    models = [("unsupervised", model)]
    if args.supervised:
        models.insert(0, ("supervised", presets.load(args.supervised, compile=False)))
    for label, network in models:
        for beam in sorted({1, args.beam}):
            systems[f"{label}, {'greedy' if beam == 1 else f'beam {beam}'}"] = (
                lambda src, tgt, network=network, beam=beam: network.translate(
                    text[src], source=src, target=tgt, beam_size=beam))
    rows = []
    for name, system in systems.items():
        row = {"system": name}
        for src, tgt in DIRECTIONS:
            row[f"{src}-{tgt}"] = tr.bleu(system(src, tgt), text[tgt])
        rows.append(row)
        print(json.dumps(row))
    by_name = {row["system"]: row for row in rows}
    ratios = {}
    for decoding in ["greedy"] + ([f"beam {args.beam}"] if args.beam > 1 else []):
        sup, unsup = by_name.get(f"supervised, {decoding}"), by_name.get(f"unsupervised, {decoding}")
        if sup and unsup:
            ratios[decoding] = {d: (unsup[d] / sup[d] if sup[d] > 0 else None)
                                for d in ("en-es", "es-en")}
    # Denoising taught the unsupervised model to rebuild a sentence in its own
    # language; how well it does (greedy, no noise) shows whether the decoder
    # reads the encoder at all.
    auto_encoding = {}
    for lang in ("en", "es"):
        rows_ = model.vocabulary.processor.encode(text[lang])
        auto_encoding[lang] = tr.bleu(model.vocabulary.decode(model.translate_ids(rows_, lang)), text[lang])
    print(json.dumps({"auto_encoding": auto_encoding}))
    report = {
        "protocol": (f"sacrebleu corpus BLEU on {len(pairs)} aligned verses of the held-out books "
                     f"{', '.join(split['books']['test'])} ({too_long} longer than the model's "
                     f"{model.max_length - 1} pieces left out)"),
        "rows": rows,
        "unsupervised_over_supervised": ratios,
        "unsupervised_auto_encoding": auto_encoding,
        "command": "python benchmarks/unmt_bleu.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "backend": keras.backend.backend(), "device": gradients.device_description(),
        "wall_time_s": round(time.time() - start, 1),
    }
    print(json.dumps(report, indent=1))
    if not args.no_write:
        presets.update_metadata(folder, {"metrics": {"translation_bleu": report}})


if __name__ == "__main__":
    main()
