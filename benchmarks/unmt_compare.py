"""Translation presets on the same held-out verses, with a paired bootstrap test.

    python benchmarks/unmt_compare.py unmt-en-es-bible runs/unmt-c5a/preset runs/unmt-c5b/preset
    python benchmarks/unmt_compare.py unmt-en-es-bible runs/more/preset --beam 1 --limit 300

Decodes every held-out verse pair that fits the models (`evaluation.bleu_test_pairs`:
the verses `keras-gan-zoo evaluate` scores) with each preset, both directions, and
tests each preset against the first with paired bootstrap resampling
(`translation.paired_bleu_test`, Koehn 2004): its BLEU difference, the 95%
interval of that difference over the resamples, and the one-sided p-value that it
is no better. The probe that training logs (100 verses, greedy) moves by a few
tenths of BLEU between probes on the same weights' neighbours; this says whether a
difference on all held-out verses is more than the choice of verses.

`--out FILE` keeps the report and every translation (JSON), so rescoring needs no
decoding: `--rescore FILE...` tests the translations of one or more such files
together, with any presets named as well (decoded now and tested after the files'
systems). A single preset with `--out` is decoded and kept, for a later test:

    python benchmarks/unmt_compare.py unmt-en-es-bible --out shipped.json    # while the runs train
    python benchmarks/unmt_compare.py runs/a/preset runs/b/preset --rescore shipped.json
"""

import argparse
import json
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIRECTIONS = (("en", "es"), ("es", "en"))


def decode(presets, beam, limit):
    """{"verses": [[en, es], ...], "translations": {preset: {"en-es": [...], "es-en": [...]}}}."""
    import keras_gan_zoo as kgz
    from keras_gan_zoo import evaluation

    verses, translations = None, {}
    for name in presets:
        model = kgz.from_pretrained(name, compile=False)
        pairs, _ = evaluation.bleu_test_pairs(model)
        pairs = [list(p) for p in pairs[:limit]]
        if verses is not None and pairs != verses:
            raise SystemExit(f"{name} keeps other held-out verses than {presets[0]} (another vocabulary or "
                             "length limit): a paired test needs the same verses")
        verses = pairs
        text = {"en": [e for e, _ in pairs], "es": [s for _, s in pairs]}
        start = time.time()
        translations[name] = {f"{src}-{tgt}": model.translate(text[src], source=src, target=tgt, beam_size=beam)
                              for src, tgt in DIRECTIONS}
        print(f"{name}: {len(pairs)} verses both ways in {time.time() - start:.0f} s", flush=True)
    return {"verses": verses, "translations": translations}


def compare(decoded, samples):
    from keras_gan_zoo import translation as tr

    report = {}
    for src, tgt in DIRECTIONS:
        direction = f"{src}-{tgt}"
        references = [pair[1 if tgt == "es" else 0] for pair in decoded["verses"]]
        systems = {name: out[direction] for name, out in decoded["translations"].items()}
        report[direction] = tr.paired_bleu_test(references, systems, samples=samples)
    return report


def print_table(report, verses):
    print(f"\n{verses} held-out verse pairs; paired bootstrap against the first preset")
    print("| preset | direction | BLEU | 95% interval | difference | its 95% interval | p (no better) |")
    print("|---|---|---|---|---|---|---|")
    for direction, rows in report.items():
        for name, row in rows.items():
            low, high = row["ci95"]
            cells = [name, direction, f"{row['bleu']:.2f}", f"{low:.2f}-{high:.2f}"]
            if "difference" in row:
                dlow, dhigh = row["difference_ci95"]
                cells += [f"{row['difference']:+.2f}", f"{dlow:+.2f} to {dhigh:+.2f}", f"{row['p_value']:.3f}"]
            else:
                cells += ["(baseline)", "", ""]
            print("| " + " | ".join(cells) + " |")


def merge(files, beam):
    """The decoded translations of `--out` files, checked to share verses and decoding."""
    merged = {"verses": None, "translations": {}, "beam": beam}
    for path in files:
        decoded = json.loads(pathlib.Path(path).read_text())
        if merged["verses"] is not None and decoded["verses"] != merged["verses"]:
            raise SystemExit(f"{path} holds other held-out verses than the files before it: not comparable")
        if merged["beam"] is not None and decoded["beam"] != merged["beam"]:
            raise SystemExit(f"{path} was decoded with beam {decoded['beam']}, the rest with {merged['beam']}")
        clash = set(decoded["translations"]) & set(merged["translations"])
        if clash:
            raise SystemExit(f"{path}: {sorted(clash)} already came from another file")
        merged.update(verses=decoded["verses"], beam=decoded["beam"])
        merged["translations"].update(decoded["translations"])
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="preset names or folders; the first system is the baseline")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="only the first N held-out verse pairs")
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--out", help="write the report and the translations here (JSON)")
    parser.add_argument("--rescore", nargs="+", default=[], metavar="FILE",
                        help="files --out wrote: their translations join the test, no decoding")
    args = parser.parse_args(argv)
    if len(set(args.presets)) < len(args.presets):
        parser.error("a preset is named twice: give each once")
    if len(args.presets) + len(args.rescore) < 2 and not (args.presets and args.out):
        parser.error("give two or more systems (presets or --rescore files), the baseline first; "
                     "or one preset with --out to decode it for later")
    start = time.time()
    decoded = merge(args.rescore, args.beam if args.presets else None)
    if args.presets:
        fresh = decode(args.presets, args.beam, args.limit)
        if decoded["verses"] is not None and fresh["verses"] != decoded["verses"]:
            raise SystemExit("the presets keep other held-out verses than the --rescore files (another "
                             "vocabulary or --limit): not comparable")
        clash = set(fresh["translations"]) & set(decoded["translations"])
        if clash:
            raise SystemExit(f"{sorted(clash)} are in a --rescore file already")
        decoded = {"verses": fresh["verses"], "beam": args.beam,
                   "translations": {**decoded["translations"], **fresh["translations"]}}
    report = None
    if len(decoded["translations"]) >= 2:
        report = compare(decoded, args.samples)
        print_table(report, len(decoded["verses"]))
    print(f"decoding: {'greedy' if decoded['beam'] == 1 else 'beam %s' % decoded['beam']}; "
          f"wall time {time.time() - start:.0f} s")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({**decoded, "report": report}, ensure_ascii=False))

if __name__ == "__main__":
    main()
