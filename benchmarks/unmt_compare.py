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
decoding: `--rescore FILE`.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("presets", nargs="*", help="preset names or folders; the first is the baseline")
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="only the first N held-out verse pairs")
    parser.add_argument("--samples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--out", help="write the report and the translations here (JSON)")
    parser.add_argument("--rescore", help="a file --out wrote: test its translations again, no decoding")
    args = parser.parse_args(argv)
    if bool(args.rescore) == bool(args.presets):
        parser.error("give two or more presets, or --rescore FILE")
    if args.presets and len(args.presets) < 2:
        parser.error("give at least two presets: the baseline first")
    if len(set(args.presets)) < len(args.presets):
        parser.error("a preset is named twice: give each once")
    start = time.time()
    if args.rescore:
        decoded = json.loads(pathlib.Path(args.rescore).read_text())
    else:
        decoded = decode(args.presets, args.beam, args.limit)
        decoded.update(beam=args.beam, presets=args.presets)
    report = compare(decoded, args.samples)
    print_table(report, len(decoded["verses"]))
    print(f"decoding: {'greedy' if decoded.get('beam') == 1 else 'beam %s' % decoded.get('beam')}; "
          f"wall time {time.time() - start:.0f} s")
    if args.out:
        pathlib.Path(args.out).write_text(json.dumps({**decoded, "report": report}, ensure_ascii=False))


if __name__ == "__main__":
    main()
