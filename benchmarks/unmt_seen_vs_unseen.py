"""Does an unsupervised translator translate its own training text better than unseen text?

    python benchmarks/unmt_seen_vs_unseen.py unmt-en-es-bible --num 300

The unsupervised split (`keras_gan_zoo.bible.split`) trains on English verses
of some books and Spanish verses of the others, so every training verse has a
translation in the other Bible that the model never saw. For each direction
this scores (greedy, sacrebleu BLEU, with the 95% bootstrap interval of
`translation.paired_bleu_test`) `--num` verse pairs of three kinds:

- held out: both sides from the held-out books (what `evaluate` scores);
- source seen: the source verse was training text, its translation was not;
- target seen: the reference translation was training text (of the other
  language), the source was not.

Far above held out on the seen rows: the model fits the text it trained on more
than it generalises, the sign of a data-bound run (more monolingual text would
help more than more steps). About equal: it has not memorised its 14,700
verses a side, and steps or capacity bind first.
"""

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pairs_by_kind(model, num, seed):
    """{kind: [(english, spanish), ...]} for "held out", "English seen", "Spanish seen"."""
    from keras_gan_zoo import bible, evaluation

    parts = bible.split()
    limit = model.max_length - 1
    english, spanish = set(parts["en"]), set(parts["es"])

    def fits(pair):
        return all(0 < len(r) <= limit for r in model.vocabulary.processor.encode(list(pair)))

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(parts["parallel"]))
    kinds = {"English seen": [], "Spanish seen": []}
    for i in order:
        pair = parts["parallel"][i]
        kind = "English seen" if pair[0] in english else "Spanish seen" if pair[1] in spanish else None
        if kind and len(kinds[kind]) < num and fits(pair):
            kinds[kind].append(pair)
        if all(len(v) == num for v in kinds.values()):
            break
    held_out, _ = evaluation.bleu_test_pairs(model)
    return {"held out": held_out[:num], **kinds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset")
    parser.add_argument("--num", type=int, default=300, help="verse pairs of each kind")
    parser.add_argument("--seed", type=int, default=0, help="which training verses are drawn")
    args = parser.parse_args(argv)
    import keras_gan_zoo as kgz
    from keras_gan_zoo import translation as tr

    start = time.time()
    model = kgz.from_pretrained(args.preset, compile=False)
    kinds = pairs_by_kind(model, args.num, args.seed)
    print(f"{args.preset}: greedy BLEU on {args.num} verse pairs of each kind (95% bootstrap interval)")
    print("| direction | held out | source seen in training | target seen in training |")
    print("|---|---|---|---|")
    for src, tgt in (("en", "es"), ("es", "en")):
        cells = []
        for kind in ("held out", "English seen" if src == "en" else "Spanish seen",
                     "Spanish seen" if src == "en" else "English seen"):
            pairs = kinds[kind]
            source = [p[0] if src == "en" else p[1] for p in pairs]
            reference = [p[1] if src == "en" else p[0] for p in pairs]
            output = model.translate(source, source=src, target=tgt)
            row = tr.paired_bleu_test(reference, {"model": output, "again": output}, samples=1000)["model"]
            cells.append(f"{row['bleu']:.2f} ({row['ci95'][0]:.2f}-{row['ci95'][1]:.2f})")
        print(f"| {src} -> {tgt} | " + " | ".join(cells) + " |", flush=True)
    print(f"wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
