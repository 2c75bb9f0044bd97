"""Text tools for unsupervised translation: a shared subword vocabulary,
the noise model of denoising auto-encoding, a bilingual dictionary induced
without parallel data, word-by-word translation and BLEU.

Example:

>>> from keras_gan_zoo import bible, translation
>>> parts = bible.split()
>>> vocab = translation.SubwordVocabulary.train(parts["en"] + parts["es"], vocab_size=8000)
>>> vocab.encode(["In the beginning"], "en")
"""

import collections
import io
import re
import unicodedata

import numpy as np

from keras_gan_zoo import validation

PAD, UNK, EOS = 0, 1, 2
LANGUAGES = ("en", "es")
LANGUAGE_TOKENS = {"en": "<2en>", "es": "<2es>"}
INSTALL = "pip install sentencepiece sacrebleu"


def check_language(code, what="language"):
    """`code` if it is one of `LANGUAGES`, else a clear error listing them."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown {what} code {code!r}; use one of {list(LANGUAGES)}")
    return code


def check_sentences(sentences, what="sentences"):
    """A list of non-empty strings (a single string is one sentence)."""
    return validation.check_strings(sentences, what, example="In the beginning God created the heaven")


class SubwordVocabulary:
    """A SentencePiece unigram model shared by both languages, learned from
    the two monolingual sides. Ids: 0 pad, 1 unknown, 2 end of sentence,
    then one start token per target language (`<2en>`, `<2es>`).

    The model is a serialized protocol buffer (bytes), stored in a preset's
    config as base64: no pickle.
    """

    def __init__(self, model_proto):
        try:
            import sentencepiece as spm
        except ImportError:
            raise ImportError(f"The subword vocabulary needs sentencepiece. Install: {INSTALL}") from None
        self.model_proto = bytes(model_proto)
        self.processor = spm.SentencePieceProcessor(model_proto=self.model_proto)
        self.language_ids = {lang: self.processor.piece_to_id(tok) for lang, tok in LANGUAGE_TOKENS.items()}

    @classmethod
    def train(cls, sentences, vocab_size=8000):
        """Learns the vocabulary from `sentences` (both languages mixed);
        SentencePiece's trainer is deterministic for the same input."""
        import sentencepiece as spm

        buffer = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences), model_writer=buffer, vocab_size=int(vocab_size),
            model_type="unigram", character_coverage=1.0, pad_id=PAD, unk_id=UNK, bos_id=-1,
            eos_id=EOS, user_defined_symbols=list(LANGUAGE_TOKENS.values()), num_threads=2,
            minloglevel=2,
        )
        return cls(buffer.getvalue())

    def __len__(self):
        return self.processor.get_piece_size()

    def encode(self, sentences, max_tokens=None):
        """Lists of ids (no end token); longer than `max_tokens` is an error."""
        sentences = check_sentences(sentences)
        ids = self.processor.encode(sentences)
        if max_tokens is not None:
            for i, row in enumerate(ids):
                if len(row) > max_tokens:
                    raise ValueError(f"sentences[{i}] is {len(row)} subwords long; the limit is "
                                     f"{max_tokens}. Split it into shorter sentences.")
        return ids

    def decode(self, ids):
        """Text of each id list, cut at the first end token or padding."""
        out = []
        for row in ids:
            row = [int(t) for t in row]
            for stop in (EOS, PAD):
                if stop in row:
                    row = row[:row.index(stop)]
            out.append(self.processor.decode([t for t in row if t not in self.language_ids.values()]))
        return out


def pad(rows, length, value=PAD):
    """Lists of ids -> int32 `(N, length)`, padded (rows must fit)."""
    out = np.full((len(rows), length), value, dtype="int32")
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


def add_noise(ids, rng, drop=0.1, shuffle=3.0, blank=0.1, blank_id=UNK):
    """The noise of Lample et al. 2018 (section 2.3) on one id list: drop
    each token with probability `drop`, shuffle locally (each token moves by
    less than `shuffle` positions: sort by index + uniform(0, shuffle)), and
    replace tokens by `blank_id` with probability `blank`."""
    ids = [t for t in ids if rng.random() >= drop] or list(ids[:1])
    order = np.argsort(np.arange(len(ids)) + rng.uniform(0, shuffle, len(ids)), kind="stable")
    ids = [ids[i] for i in order]
    return [blank_id if rng.random() < blank else t for t in ids]


# ---- a bilingual dictionary without parallel data --------------------------

def words(sentence):
    """Lower-cased words and punctuation marks."""
    return re.findall(r"\w+|[^\w\s]", sentence.lower())


def _ppmi_svd(rows, size, window, dim):
    """PPMI + SVD vectors (Levy & Goldberg 2014) of ids `0..size-1` from
    lists of ids (-1 for an id left out): unit vectors `(size, dim)`."""
    # One stream of ids with -1 between rows, so no window crosses them.
    stream = np.array([i for row in rows for i in list(row) + [-1] * window])
    matrix = np.zeros((size, size), dtype="float64")
    for distance in range(1, window + 1):
        a, b = stream[:-distance], stream[distance:]
        keep = (a >= 0) & (b >= 0)
        np.add.at(matrix, (a[keep], b[keep]), 1.0 / distance)
    matrix += matrix.T
    row = matrix.sum(1, keepdims=True)
    col = matrix.sum(0, keepdims=True) ** 0.75
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(matrix * col.sum() / (row * col))
    ppmi = np.where(np.isfinite(pmi) & (pmi > 0), pmi, 0.0)
    u, s, _ = np.linalg.svd(ppmi, full_matrices=False)
    return _normalise(u[:, :dim] * np.sqrt(s[:dim])).astype("float32")


def word_vectors(sentences, vocab_size=4000, window=4, dim=128):
    """PPMI + SVD word vectors of the `vocab_size` most frequent words:
    `(vocabulary list, unit vectors (V, dim))`."""
    tokenised = [words(s) for s in sentences]
    counts = collections.Counter(w for s in tokenised for w in s)
    vocab = [w for w, _ in counts.most_common(vocab_size)]
    index = {w: i for i, w in enumerate(vocab)}
    return vocab, _ppmi_svd([[index.get(w, -1) for w in s] for s in tokenised], len(vocab), window, dim)


def piece_vectors(vocabulary, sentences, window=4, dim=128, min_count=5):
    """PPMI + SVD vectors of the subword pieces of one language:
    `(piece ids (P,), unit vectors (P, dim), counts (P,))` for the pieces that
    occur at least `min_count` times in `sentences`."""
    rows = vocabulary.processor.encode(check_sentences(sentences))
    counts = np.bincount([t for row in rows for t in row], minlength=len(vocabulary))
    ids = np.flatnonzero(counts >= min_count)
    index = np.full(len(vocabulary), -1)
    index[ids] = np.arange(len(ids))
    vectors = _ppmi_svd([index[row] for row in rows], len(ids), window, min(dim, len(ids)))
    return ids, vectors, counts[ids]


def cross_lingual_piece_vectors(vocabulary, english, spanish, word_pairs, dim=128, window=4, min_count=5):
    """One embedding table for the shared subword vocabulary in which a
    piece and its translation lie close, from monolingual text only: PPMI-SVD
    piece vectors of each language (`piece_vectors`), the Spanish space
    rotated onto the English one (orthogonal Procrustes) on the `word_pairs`
    (English word, Spanish word) that are one piece each on both sides (an
    induced dictionary, `induce_dictionary`), and a piece that both
    languages use given the count-weighted mean of its two vectors. This is
    the cross-lingual initialisation of Lample et al. 2018 (aligned
    embeddings) for a shared vocabulary (their 2018b).

    Returns `(table (vocab, dim) float32 of unit rows, known (vocab,) bool)`;
    rows of pieces neither side uses `min_count` times are zero and not known.
    """
    en_ids, x, en_counts = piece_vectors(vocabulary, english, window, dim, min_count)
    es_ids, z, es_counts = piece_vectors(vocabulary, spanish, window, dim, min_count)
    if x.shape[1] != dim or z.shape[1] != dim:
        raise ValueError(f"too little text for {dim}-dimensional piece vectors: "
                         f"{x.shape[1]} English and {z.shape[1]} Spanish pieces occur {min_count}+ times")
    en_row = {int(p): i for i, p in enumerate(en_ids)}
    es_row = {int(p): i for i, p in enumerate(es_ids)}

    def single_piece(word):
        row = vocabulary.processor.encode(word)
        return row[0] if len(row) == 1 else None

    anchors = set()
    for en_word, es_word in word_pairs:
        a, b = single_piece(en_word), single_piece(es_word)
        if a in en_row and b in es_row:
            anchors.add((en_row[a], es_row[b]))
    if len(anchors) < dim // 4:
        raise ValueError(f"only {len(anchors)} word pairs are single pieces seen on both sides; "
                         f"aligning {dim}-dimensional piece vectors needs at least {dim // 4}")
    a, b = np.array(sorted(anchors)).T
    u, _, vt = np.linalg.svd(z[b].T @ x[a])
    z = z @ (u @ vt)
    table = np.zeros((len(vocabulary), dim), dtype="float64")
    weight = np.zeros(len(vocabulary))
    for ids, vectors, counts in ((en_ids, x, en_counts), (es_ids, z, es_counts)):
        table[ids] += vectors * counts[:, None]
        weight[ids] += counts
    known = weight > 0
    table[known] /= np.linalg.norm(table[known], axis=1, keepdims=True).clip(1e-9)
    return table.astype("float32"), known


def _normalise(vectors):
    """Unit length, mean-centred, unit length (Artetxe et al. 2018)."""
    unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    vectors = unit(vectors)
    return unit(vectors - vectors.mean(0))


def _csls(x, z, k=10):
    """CSLS similarities (Conneau et al. 2018) of mapped x against z."""
    sim = x @ z.T
    rx = np.sort(sim, axis=1)[:, -k:].mean(1, keepdims=True)
    rz = np.sort(sim, axis=0)[-k:, :].mean(0, keepdims=True)
    return 2 * sim - rx - rz


def _strip_accents(word):
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def _edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def orthographic_pairs(source_words, target_words, min_length=5, max_distance=0.25):
    """Likely cognates between two word lists, without parallel text:
    pairs of words of at least `min_length` letters whose edit distance,
    accents stripped, is at most `max_distance` of the longer word
    ("nation"/"nación", "Jerusalem"/"Jerusalén"), each source and target
    word in one pair at most (the closest, earliest in the lists first).
    Words spelled the same are left to the identical-spelling seed.

    Returns `[(source index, target index), ...]`.
    """
    by_prefix = collections.defaultdict(list)
    stripped = [_strip_accents(w) for w in target_words]
    for j, word in enumerate(stripped):
        if len(word) >= min_length and word.isalpha():
            by_prefix[word[:2]].append(j)
    scored = []
    for i, word in enumerate(source_words):
        plain = _strip_accents(word)
        if len(plain) < min_length or not plain.isalpha():
            continue
        for j in by_prefix.get(plain[:2], []):
            other = stripped[j]
            if plain == other or target_words[j] == word or abs(len(plain) - len(other)) > 2:
                continue
            distance = _edit_distance(plain, other) / max(len(plain), len(other))
            if distance <= max_distance:
                scored.append((distance, i, j))
    used_source, used_target, pairs = set(), set(), []
    for _, i, j in sorted(scored):
        if i not in used_source and j not in used_target:
            used_source.add(i), used_target.add(j)
            pairs.append((i, j))
    return pairs


def induce_dictionary(source_sentences, target_sentences, vocab_size=4000, candidates=2000,
                      iterations=12, seed=0, seed_dictionary="identical", keep_seed=False):
    """A source -> target word dictionary from two *unrelated* monolingual
    corpora (no translation pair): PPMI-SVD vectors per language; a seed
    dictionary of the words spelled the same in both (names, punctuation:
    the "almost no bilingual data" of Artetxe et al. 2017), and with
    `seed_dictionary="orthographic"` also likely cognates
    (`orthographic_pairs`); then
    self-learning (Artetxe et al. 2018): an orthogonal map from the current
    dictionary, a new dictionary from CSLS nearest neighbours in both
    directions among the `candidates` most frequent words, with stochastic
    dictionary induction (entries kept with a probability rising to 1).

    A fully unsupervised start (matching the words' sorted similarity
    distributions, VecMap's) was tried on the Bible split and failed (word-by-
    word BLEU 0.02 vs 0.32 with the identical-spelling seed).

    `keep_seed=True` keeps the seed pairs in every iteration's dictionary,
    so self-learning cannot drift away from the anchors it started from.

    Returns `{source word: target word}` for every source word in the vocabulary.
    """
    src_vocab, x = word_vectors(source_sentences, vocab_size)
    tgt_vocab, z = word_vectors(target_sentences, vocab_size)
    n = min(candidates, len(x), len(z))
    tgt_index = {w: i for i, w in enumerate(tgt_vocab[:n])}
    pairs = [(i, tgt_index[w]) for i, w in enumerate(src_vocab[:n]) if w in tgt_index]
    if seed_dictionary == "orthographic":
        pairs += orthographic_pairs(src_vocab[:n], tgt_vocab[:n])
    elif seed_dictionary != "identical":
        raise ValueError(f"seed_dictionary must be 'identical' or 'orthographic'; got {seed_dictionary!r}")
    pairs = np.array(pairs)
    if len(pairs) < 10:
        raise ValueError(f"only {len(pairs)} frequent words are spelled the same in both corpora; "
                         "the seed dictionary needs at least 10")
    anchors = pairs if keep_seed else pairs[:0]
    rng = np.random.default_rng(seed)
    for step in range(iterations + 1):
        u, _, vt = np.linalg.svd(x[pairs[:, 0]].T @ z[pairs[:, 1]])
        mapped = x @ (u @ vt)
        sim = _csls(mapped[:n], z[:n])
        keep = min(1.0, 0.1 * 2 ** (step // 2))
        noisy = np.where(rng.random(sim.shape) < keep, sim, -np.inf)
        pairs = np.concatenate([np.stack([np.arange(n), noisy.argmax(1)], 1),
                                np.stack([noisy.argmax(0), np.arange(n)], 1), anchors])
    best = _csls(mapped, z).argmax(1)
    return {w: tgt_vocab[j] for w, j in zip(src_vocab, best)}


def word_by_word(sentences, dictionary):
    """Each word replaced by its dictionary entry (unknown words are kept)."""
    return [" ".join(dictionary.get(w, w) for w in words(s)) for s in check_sentences(sentences)]


def bleu(hypotheses, references):
    """Corpus BLEU (sacrebleu, default 13a tokenisation) of hypotheses
    against one reference each."""
    try:
        import sacrebleu
    except ImportError:
        raise ImportError(f"BLEU needs sacrebleu. Install: {INSTALL}") from None
    if len(hypotheses) != len(references):
        raise ValueError(f"got {len(hypotheses)} hypotheses for {len(references)} references")
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)]).score)


def _bleu_statistics(hypotheses, references):
    """(sentences, 10) sufficient statistics of sacrebleu's corpus BLEU, one
    row per sentence: hypothesis length, reference length, then matching and
    total n-grams for n = 1..4. Summed over any subset they give that
    subset's corpus BLEU (`_bleu_from_statistics`)."""
    import sacrebleu

    # (effective_order changes only a sentence's own score, not its counts)
    metric = sacrebleu.metrics.BLEU(effective_order=True)
    rows = []
    for hypothesis, reference in zip(hypotheses, references):
        score = metric.sentence_score(hypothesis, [reference])
        rows.append([score.sys_len, score.ref_len, *score.counts, *score.totals])
    return np.asarray(rows, dtype=np.float64).reshape(-1, 10)


def _bleu_from_statistics(summed):
    import sacrebleu

    return sacrebleu.metrics.BLEU.compute_bleu(
        [int(c) for c in summed[2:6]], [int(t) for t in summed[6:10]], int(summed[0]), int(summed[1])).score


def paired_bleu_test(references, systems, samples=1000, seed=0):
    """Is a translation system's BLEU above a baseline's beyond what the
    choice of test sentences explains? Paired bootstrap resampling (Koehn
    2004): `samples` resamples of the test sentences, drawn with replacement
    and the same for every system, each system's corpus BLEU (sacrebleu's,
    as `bleu`) rescored on each.

    Args:
        references: one reference per test sentence.
        systems: {name: hypotheses}, in order; the first is the baseline the
            others are compared with.
        samples: bootstrap resamples.
        seed: the resamples' seed.

    Returns:
        {name: {"bleu", "ci95"}} for the baseline and, for each other system,
        also "difference" (its BLEU minus the baseline's), "difference_ci95"
        (the 2.5th and 97.5th percentiles of that difference over the
        resamples) and "p_value": the share of resamples where the system is
        not above the baseline (one-sided; (count + 1) / (samples + 1)).
        "ci95" is a system's own (2.5th, 97.5th) percentile interval.

    Example:

        test = tr.paired_bleu_test(references, {"before": old, "after": new})
        test["after"]["difference"], test["after"]["p_value"]
    """
    try:
        import sacrebleu  # noqa: F401
    except ImportError:
        raise ImportError(f"BLEU needs sacrebleu. Install: {INSTALL}") from None
    if not isinstance(systems, dict) or len(systems) < 2:
        raise ValueError("systems must be a dict of at least two {name: hypotheses}, the baseline first")
    references = list(references)
    if not references:
        raise ValueError("references is empty: the test needs at least one sentence")
    for name, hypotheses in systems.items():
        if len(hypotheses) != len(references):
            raise ValueError(f"system {name!r} has {len(hypotheses)} hypotheses for {len(references)} references")
    if not isinstance(samples, (int, np.integer)) or samples < 10:
        raise ValueError(f"samples must be an integer of at least 10; got {samples!r}")
    picks = np.random.default_rng(seed).integers(0, len(references), size=(int(samples), len(references)))
    report, baseline = {}, None
    for name, hypotheses in systems.items():
        statistics = _bleu_statistics(list(hypotheses), references)
        score = _bleu_from_statistics(statistics.sum(0))
        resampled = np.array([_bleu_from_statistics(statistics[p].sum(0)) for p in picks])
        row = {"bleu": score, "ci95": tuple(float(v) for v in np.percentile(resampled, [2.5, 97.5]))}
        if baseline is None:
            baseline = (score, resampled)
        else:
            difference = resampled - baseline[1]
            row.update(difference=score - baseline[0],
                       difference_ci95=tuple(float(v) for v in np.percentile(difference, [2.5, 97.5])),
                       p_value=float((np.sum(difference <= 0) + 1) / (len(difference) + 1)))
        report[name] = row
    return report
