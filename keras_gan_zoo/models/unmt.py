"""Unsupervised machine translation (Lample et al. 2018) as an AdversarialModel."""

import base64
import json
import time
import weakref

import keras
import numpy as np
from keras import layers, ops

from keras_gan_zoo import translation as tr
from keras_gan_zoo import bible, cards, gradients, tasks
from keras_gan_zoo.layers import TokenEmbedding, TransformerLayer
from keras_gan_zoo.models.adversarial_model import AdversarialModel, Player

OBJECTIVES = ("unsupervised", "supervised")


def build_encoder(embedding, max_length, dim, heads, ff_dim, num_layers, dropout, name="encoder"):
    """Token ids (B, S) -> contextual vectors (B, S, dim): shared by both languages."""
    tokens = keras.Input((None,), dtype="int32", name="source_ids")
    x = embedding(tokens)
    for i in range(num_layers):
        x = TransformerLayer(dim, heads, ff_dim, dropout, name=f"layer_{i}")([x, tokens])
    memory = layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    return keras.Model(tokens, memory, name=name)


def build_decoder(embedding, vocab_size, max_length, dim, heads, ff_dim, num_layers, dropout,
                  name="decoder"):
    """(target ids starting with the language token, memory, source ids) ->
    next-token logits (B, T, vocab): causal self-attention plus attention to
    the encoder's outputs; shared by both languages."""
    tokens = keras.Input((None,), dtype="int32", name="target_ids")
    memory = keras.Input((None, dim), name="memory")
    source = keras.Input((None,), dtype="int32", name="source_ids")
    x = embedding(tokens)
    for i in range(num_layers):
        x = TransformerLayer(dim, heads, ff_dim, dropout, causal=True, cross_attention=True,
                             name=f"layer_{i}")([x, tokens, memory, source])
    x = layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = layers.Dense(vocab_size, dtype="float32", name="logits")(x)
    return keras.Model([tokens, memory, source], logits, name=name)


def build_language_discriminator(max_length, dim, hidden=256, name="discriminator"):
    """Encoder vectors (B, S, dim) -> a logit per position: is it Spanish?"""
    memory = keras.Input((None, dim), name="memory")
    x = memory
    for i in range(2):
        x = layers.LeakyReLU(0.2)(layers.Dense(hidden, name=f"dense_{i}")(x))
    logits = layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(memory, logits, name=name)


LENGTH_STEP = 16


def padded_length(longest, max_length):
    """`longest` rounded up to a multiple of LENGTH_STEP, at most `max_length`:
    batches are padded to this, so a compiled train step sees few shapes."""
    return int(min(max_length, -(-max(int(longest), 1) // LENGTH_STEP) * LENGTH_STEP))


def trim_batch(batch, max_length):
    """Drops the padding columns shared by every array of a batch (dict of
    (B, L) id arrays), keeping `padded_length` of its longest row."""
    longest = max(int(np.max(np.sum(np.not_equal(v, tr.PAD), axis=1), initial=0)) for v in batch.values())
    length = padded_length(longest, max_length)
    return {k: v[:, :length] for k, v in batch.items()}


def length_sorted_batches(lengths, batch_size, rng):
    """Row indices grouped into batches of similar length (rows shuffled,
    then ordered by `LENGTH_STEP` bucket), the batches in random order."""
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    order = order[np.argsort(lengths[order] // LENGTH_STEP, kind="stable")]
    batches = [order[i:i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]
    return [batches[j] for j in rng.permutation(len(batches))]


def widest_batches_first(dataset):
    """Reorders `dataset.order` so that its first two batches differ in
    width when any two batches do.

    Keras's TensorFlow data adapter fixes a PyDataset's tensor shapes from
    its first two batches: had both the same width (say 48), every later
    batch of another width would fail with "yielded an element of shape
    (32, 32) where an element of shape (None, 48) was expected". With a
    narrowest and a widest batch first, the width is left free. The other
    batches keep their random order.
    """
    widths = [max(v.shape[1] for v in dataset[i].values()) for i in range(len(dataset))]
    if not widths or min(widths) == max(widths):
        return
    first = [int(np.argmin(widths)), int(np.argmax(widths))]
    order = list(dataset.order)
    dataset.order = [order[i] for i in first] + [b for i, b in enumerate(order) if i not in first]


def _masked_mean(values, mask):
    mask = ops.cast(mask, "float32")
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)


@keras.saving.register_keras_serializable(package="keras_gan_zoo")
class UNMT(AdversarialModel):
    """Unsupervised translation between English and Spanish (Lample et al. 2018).

    One Transformer encoder and one decoder shared by both languages, a
    shared SentencePiece vocabulary, and a start token per target language.
    Three losses train it without a single translation pair:

    - denoising auto-encoding: rebuild a sentence from a corrupted copy
      (words dropped, locally shuffled, blanked);
    - back-translation: translate monolingual sentences with the model
      itself (refreshed every epoch by `BackTranslationBatches`) and learn
      to translate them back to the original;
    - adversarial: a discriminator learns which language the encoder's
      vectors came from, and the encoder learns to fool it, so both
      languages share one latent space (the GAN part).

    `objective="supervised"` trains the same networks on parallel pairs
    (the reference the unsupervised figure is compared with).

    Args:
        vocabulary: the SentencePiece model (`tr.SubwordVocabulary`, its
            bytes, or their base64 text); None for id-only use (tests).
        vocab_size: used only without `vocabulary`.
        max_length: longest sentence in subwords, plus the end token.
        dim, heads, ff_dim, encoder_layers, decoder_layers, dropout: the Transformer.
        objective: "unsupervised" or "supervised".
        auto_weight, back_translation_weight, adversarial_weight: loss weights.
        position_init: where the learned position embeddings start,
            "uniform" or "sinusoidal" (`layers.TokenEmbedding`).

    Example:

    >>> m = kgz.from_pretrained("unmt-en-es-bible")
    >>> m.translate(["In the beginning God created the heaven and the earth."], source="en", target="es")
    """

    task = tasks.TRANSLATION
    card_usage = ('model.translate(["In the beginning God created the heaven and the earth."], source="en", target="es")',
                  'model.translate(["Y dijo Dios: Sea la luz"], source="es", target="en", beam_size=4)')
    card_weights = ("the shared Transformer encoder and decoder, the language discriminator, and (in "
                    "`config.json`, base64) the SentencePiece vocabulary")
    default_dataset = "bible_en_es"
    tiny_config = {"vocab_size": 40, "max_length": 12, "dim": 16, "heads": 2, "ff_dim": 32,
                   "encoder_layers": 1, "decoder_layers": 1}
    # Issue goal: unsupervised BLEU / supervised BLEU (Lample et al. 2018 report about 0.5).
    bleu_ratio_goal = 0.5

    # The language discriminator plays its own cross-entropy game on encoder states.
    supported_losses = ("non_saturating",)

    def __init__(self, vocabulary=None, vocab_size=None, max_length=64, dim=192, heads=4, ff_dim=768,
                 encoder_layers=3, decoder_layers=3, dropout=0.1, objective="unsupervised",
                 auto_weight=1.0, back_translation_weight=1.0, adversarial_weight=0.1,
                 position_init="uniform", seed=None, **kwargs):
        kwargs.pop("ema_decay", None)
        super().__init__(ema_decay=None, seed=seed, **kwargs)
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}; got {objective!r}")
        if isinstance(vocabulary, str):
            vocabulary = base64.b64decode(vocabulary)
        if isinstance(vocabulary, (bytes, bytearray)):
            vocabulary = tr.SubwordVocabulary(vocabulary)
        self.vocabulary = vocabulary
        if vocabulary is None and not vocab_size:
            raise ValueError("give a vocabulary (translation.SubwordVocabulary) or, for id-only use, vocab_size")
        self.vocab_size = len(vocabulary) if vocabulary is not None else int(vocab_size)
        self.language_ids = (vocabulary.language_ids if vocabulary is not None
                             else {"en": 3, "es": 4})
        self.max_length = int(max_length)
        self.dim, self.heads, self.ff_dim = int(dim), int(heads), int(ff_dim)
        self.encoder_layers, self.decoder_layers = int(encoder_layers), int(decoder_layers)
        self.dropout = float(dropout)
        self.objective = objective
        self.auto_weight = float(auto_weight)
        self.back_translation_weight = float(back_translation_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.position_init = position_init
        self.embedding = TokenEmbedding(self.vocab_size, self.max_length, self.dim,
                                        position_init=position_init, name="embedding")
        self.encoder = build_encoder(self.embedding, self.max_length, self.dim, self.heads, self.ff_dim,
                                     self.encoder_layers, self.dropout)
        self.decoder = build_decoder(self.embedding, self.vocab_size, self.max_length, self.dim,
                                     self.heads, self.ff_dim, self.decoder_layers, self.dropout)
        self.discriminator = build_language_discriminator(self.max_length, self.dim)
        if objective == "supervised":
            self.discriminator.trainable = False
        self.built = True

    # ---- the game ----------------------------------------------------
    @property
    def translator_variables(self):
        seen, out = set(), []
        for v in self.encoder.trainable_variables + self.decoder.trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    def players(self):
        if self.objective == "supervised":
            return [Player("g", self.supervised_loss, self.translator_variables)]
        # With no adversarial term the language discriminator sits the round
        # out (0 updates), so a denoising warm-up does not pay for it.
        return [Player("d", self.discriminator_loss, self.discriminator.trainable_variables,
                       steps=1 if self.adversarial_weight else 0),
                Player("g", self.translator_loss, self.translator_variables)]

    def set_token_embeddings(self, table, known=None):
        """Start the shared token embedding from `table` (vocab, dim), e.g.
        `translation.cross_lingual_piece_vectors`: each row of `known`
        (default: all) becomes that row's direction at the length the
        initial rows have on average, so the scale the layers were
        initialised for is kept; the other rows are left as they are.

        Example:

        >>> table, known = tr.cross_lingual_piece_vectors(vocab, english, spanish, pairs, dim=model.dim)
        >>> model.set_token_embeddings(table, known)
        """
        table = np.asarray(table, dtype="float32")
        if table.shape != (self.vocab_size, self.dim):
            raise ValueError(f"the embedding table must be (vocab_size, dim) = ({self.vocab_size}, "
                             f"{self.dim}); got {table.shape}")
        known = np.ones(self.vocab_size, bool) if known is None else np.asarray(known, bool)
        if known.shape != (self.vocab_size,):
            raise ValueError(f"known must be ({self.vocab_size},) booleans; got shape {known.shape}")
        norms = np.linalg.norm(table[known], axis=1, keepdims=True)
        if not np.all(np.isfinite(table[known])) or np.any(norms == 0):
            raise ValueError("the known rows of the embedding table must be finite and non-zero")
        current = keras.ops.convert_to_numpy(self.embedding.tokens.embeddings)
        length = float(np.sqrt((current ** 2).sum(1).mean()))
        current[known] = table[known] / norms * length
        self.embedding.tokens.embeddings.assign(current)

    def set_loss_weights(self, auto_weight=None, back_translation_weight=None, adversarial_weight=None):
        """Changes the weights of the translator's loss terms between `fit`
        calls (a denoising warm-up, then back-translation), and makes the
        next `fit` trace a new train step. A term weighted 0 is not computed.

        Example:

        >>> model.set_loss_weights(back_translation_weight=0.0, adversarial_weight=0.0)  # warm-up
        >>> model.fit(denoising_batches, epochs=20)
        >>> model.set_loss_weights(back_translation_weight=1.0, adversarial_weight=0.1)
        """
        new = {"auto_weight": auto_weight, "back_translation_weight": back_translation_weight,
               "adversarial_weight": adversarial_weight}
        for name, value in new.items():
            if value is None:
                new[name] = getattr(self, name)
            elif (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
                  or not np.isfinite(value) or value < 0):
                raise ValueError(f"{name} must be a finite number >= 0; got {value!r}")
        if not (new["auto_weight"] or new["back_translation_weight"]):
            raise ValueError("auto_weight and back_translation_weight cannot both be 0: nothing would "
                             "train the decoder")
        for name, value in new.items():
            setattr(self, name, float(value))
        # The weights are Python numbers baked into the traced step: the
        # next fit traces it again.
        self.train_function = None

    def default_optimizers(self):
        """Adam(5e-4, 0.5) for D and Adam(3e-4) for the translator."""
        optimizers = {"g": keras.optimizers.Adam(3e-4, name="g_adam")}
        if self.objective != "supervised":
            optimizers["d"] = keras.optimizers.Adam(5e-4, beta_1=0.5, name="d_adam")
        return optimizers

    def prepare_batch(self, data):
        batch, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not isinstance(batch, dict):
            raise ValueError("UNMT.fit reads dict batches; build them with "
                             "BackTranslationBatches (unsupervised) or ParallelBatches (supervised)")
        return {k: ops.cast(v, "int32") for k, v in batch.items()}

    def sequence_loss(self, source, target_in, target_out, training=True, memory=None):
        """Token cross-entropy of decoding `target_out` from `source` (whose
        encoding `memory` is computed here unless given)."""
        if memory is None:
            memory = self.encoder(source, training=training)
        logits = self.decoder([target_in, memory, source], training=training)
        losses = keras.losses.sparse_categorical_crossentropy(target_out, logits, from_logits=True)
        return _masked_mean(losses, ops.not_equal(target_out, tr.PAD))

    def _language_loss(self, memory, source, spanish, fool):
        """Binary cross-entropy of the discriminator on the encoding `memory`
        of `source`, per real token; `fool` flips the label (the encoder's
        adversarial loss)."""
        logits = self.discriminator(memory, training=True)[..., 0]
        label = float(spanish != fool)
        losses = ops.softplus(-logits) if label else ops.softplus(logits)
        return _masked_mean(losses, ops.not_equal(source, tr.PAD))

    def discriminator_loss(self, batch):
        loss = 0.0
        for lang in tr.LANGUAGES:
            noisy = batch[f"{lang}_noisy"]
            memory = ops.stop_gradient(self.encoder(noisy, training=True))
            loss = loss + 0.5 * self._language_loss(memory, noisy, lang == "es", False)
        return loss

    def translator_loss(self, batch):
        """Denoising, back-translation and (on the denoising inputs' own
        encodings, computed once for both) the adversarial loss."""
        loss = 0.0
        for lang in tr.LANGUAGES:
            target = (batch[f"{lang}_in"], batch[f"{lang}_out"])
            noisy = batch[f"{lang}_noisy"]
            if self.auto_weight or self.adversarial_weight:
                memory = self.encoder(noisy, training=True)
            if self.auto_weight:
                loss = loss + self.auto_weight * self.sequence_loss(noisy, *target, memory=memory)
            if self.back_translation_weight:
                loss = loss + self.back_translation_weight * self.sequence_loss(batch[f"{lang}_bt"], *target)
            if self.adversarial_weight:
                loss = loss + self.adversarial_weight * 0.5 * self._language_loss(
                    memory, noisy, lang == "es", True)
        return loss

    def supervised_loss(self, batch):
        return sum(self.sequence_loss(batch[f"{lang}_src"], batch[f"{lang}_in"], batch[f"{lang}_out"])
                   for lang in tr.LANGUAGES)

    # ---- what the CLI and cards show -----------------------------------
    def showcase(self, num=8, seed=0, columns=None, source="en", sentences=None, beam_size=1, **options):
        """Translations of the first `num` held-out verses (books never trained
        on) with their references, or of your own `sentences` (from `source`
        into the other language; beam search with `beam_size` > 1)."""
        self.reject_options(type(self).__name__, options)
        source = tr.check_language(source, "source language")
        target = "es" if source == "en" else "en"
        if sentences:
            sentences = tr.check_sentences(sentences)
            outputs = self.translate(sentences, source=source, target=target, beam_size=beam_size)
            lines = []
            for sentence, output in zip(sentences, outputs):
                lines += [f"{source}: {sentence}", f"{target} (model): {output}", ""]
            return tasks.Showcase(lines=tuple(lines), summary=f"{len(sentences)} sentences, {source}->{target}")
        pairs = [pair for pair in bible.split()["test"][: 4 * num]
                 if all(0 < len(r) < self.max_length for r in self.vocabulary.processor.encode(list(pair)))][:num]
        sentences = [e if source == "en" else s for e, s in pairs]
        references = [s if source == "en" else e for e, s in pairs]
        outputs = self.translate(sentences, source=source, target=target, beam_size=beam_size)
        lines = []
        for sentence, output, reference in zip(sentences, outputs, references):
            lines += [f"{source}: {sentence}", f"{target} (model): {output}",
                      f"{target} (reference): {reference}", ""]
        return tasks.Showcase(lines=tuple(lines), summary=f"{len(pairs)} held-out verses, {source}->{target}")

    @classmethod
    def headline(cls, metrics):
        result = metrics.get("translation_bleu")
        if not result:
            return None
        rows = {row["system"]: row for row in result["rows"]}
        best = [row for name, row in rows.items() if name.startswith("unsupervised")]
        row = best[-1] if best else result["rows"][-1]
        return f"held-out BLEU en->es {row['en-es']:.2f}, es->en {row['es-en']:.2f} ({row['system']})"

    @classmethod
    def card_training(cls, training):
        """The unsupervised run's two phases, and a continuation in a later sitting."""
        lines = []
        warmup = training.get("warmup")
        if warmup and warmup.get("skipped"):  # a run started from a preset's weights
            lines.append(f"- No denoising warm-up in this run ({warmup['skipped']}); "
                         f"back-translation for {cards.num(training.get('steps'))} steps.")
        elif warmup:
            auto = ", ".join(f"{k.rsplit('_', 1)[-1]} {warmup[k]:.2f}" for k in ("auto_bleu_en", "auto_bleu_es")
                             if k in warmup)
            lines.append(f"- Phase 1, denoising warm-up: {cards.num(warmup.get('steps'))} steps in "
                         f"{warmup.get('minutes')} min" + (f", probe auto-encoding BLEU {auto}" if auto else "")
                         + (f" (its goal {warmup['stop_at_auto_bleu']:g} reached)." if warmup.get("reached_stop_at")
                            else " (ended by its time limit)."))
            if training.get("steps"):
                lines.append(f"- Phase 2, back-translation: the other "
                             f"{cards.num(training['steps'] - warmup.get('steps', 0))} steps.")
        continued = training.get("continued_from_preset")
        if continued:
            lines.append(f"- Two sittings: the first stopped by its time limit at step {cards.num(continued['steps'])}; "
                         "the second continued from the preset it wrote (the optimizer state carried on from the "
                         "warm-up's, as a preset holds none).")
        return lines

    @classmethod
    def card_sections(cls, metrics):
        """The BLEU table of the model and its references."""
        result = metrics.get("translation_bleu")
        if not result:
            return []
        lines = [f"- BLEU: {result['protocol']}. {cards.command_line(result)}", "",
                 "| system | en -> es | es -> en |", "|---|---|---|"]
        for row in result["rows"]:
            lines.append(f"| {row['system']} | {row['en-es']:.2f} | {row['es-en']:.2f} |")
        for decoding, ratio in (result.get("unsupervised_over_supervised") or {}).items():
            lines.append(f"| unsupervised / supervised, {decoding} | "
                         + " | ".join("n/a" if ratio[d] is None else cards.pct(ratio[d])
                                      for d in ("en-es", "es-en")) + " |")
        lines.append("")
        reference = result.get("supervised_reference")
        if reference:  # supervised rows measured by an earlier command on the same verses
            lines.append(f"- The supervised rows: {reference['note']} Command: `{reference['command']}`; "
                         f"{cards.measured_on(reference)}.")
        by_decoding = [[r for r in ratio.values() if r is not None]
                       for ratio in (result.get("unsupervised_over_supervised") or {}).values()]
        by_decoding = [ratios for ratios in by_decoding if ratios]
        if by_decoding:
            reached = any(min(ratios) >= cls.bleu_ratio_goal for ratios in by_decoding)
            every = [r for ratios in by_decoding for r in ratios]
            lines.append(f"- Goal: unsupervised BLEU at least {cards.pct(cls.bleu_ratio_goal)} of the "
                         f"supervised BLEU in both directions: {'reached' if reached else '**not reached**'} "
                         f"(ratios from {cards.pct(min(every))} to {cards.pct(max(every))}).")
        auto = result.get("unsupervised_auto_encoding")
        if auto:
            lines.append("- Auto-encoding BLEU of the unsupervised model (each test verse rebuilt in its own "
                         "language, greedy): " + ", ".join(f"{k} {v:.2f}" for k, v in auto.items())
                         + ". A decoder that ignores the encoder scores near zero here as well.")
        examples = result.get("examples")
        if examples:
            cell = lambda text: str(text).replace("|", "\\|")
            lines += ["", f"Held-out verses and this model's translations ({examples['rule']}; chosen by "
                          "that rule, not by hand):", "",
                      "| verse | English | Spanish | en -> es | es -> en |", "|---|---|---|---|---|"]
            lines += [f"| {row['verse']} | {cell(row['en'])} | {cell(row['es'])} | {cell(row['en-es'])} | "
                      f"{cell(row['es-en'])} |" for row in examples["verses"]]
        return lines + [""]

    @classmethod
    def tiny_data(cls, model, num=8, seed=0):
        rng = np.random.default_rng(seed)
        rows = lambda: [list(rng.integers(5, model.vocab_size, rng.integers(2, model.max_length // 2)))
                        for _ in range(num)]
        batches = BackTranslationBatches(model, rows(), rows(), batch_size=num // 2, steps=2, seed=seed,
                                         initial_translate=lambda ids, language: ids)
        return batches, None

    # ---- text in, text out ---------------------------------------------
    def encode_text(self, sentences, language=None):
        """Id lists of `sentences`, checked against `max_length`."""
        if self.vocabulary is None:
            raise ValueError("this model has no vocabulary: pass token ids, or build it with one")
        return self.vocabulary.encode(sentences, max_tokens=self.max_length - 1)

    def targets(self, rows, language):
        """(decoder inputs, labels) for id lists in `language`."""
        start = self.language_ids[tr.check_language(language)]
        inputs = tr.pad([[start] + list(r)[: self.max_length - 1] for r in rows], self.max_length)
        labels = tr.pad([list(r)[: self.max_length - 1] + [tr.EOS] for r in rows], self.max_length)
        return inputs, labels

    def translate(self, sentences, source="en", target="es", beam_size=1, batch_size=128,
                  length_penalty=1.0):
        """Translates sentences (strings) from `source` to `target`.

        Args:
            sentences: a string or a list of strings.
            source, target: "en" or "es" (different).
            beam_size: 1 for greedy decoding, more for beam search.
            length_penalty: beam scores are divided by length^length_penalty.

        Returns:
            a list of strings.
        """
        tr.check_language(source, "source language")
        tr.check_language(target, "target language")
        if source == target:
            raise ValueError(f"source and target are both {source!r}: choose two different languages")
        rows = self.encode_text(sentences)
        ids = self.translate_ids(rows, target, beam_size=beam_size, batch_size=batch_size,
                                 length_penalty=length_penalty)
        return self.vocabulary.decode(ids)

    def translate_ids(self, rows, target, beam_size=1, batch_size=128, length_penalty=1.0,
                      cached=True):
        """Id lists -> translated id lists (no end token).

        Sentences are decoded in batches of similar length, each padded only
        to its longest source (rounded up to `LENGTH_STEP`). An output stops
        at the end token or after `2 * longest source + 10` tokens (at most
        `max_length - 1`), the usual cap for a translation's length.

        `cached=True` decodes incrementally: each step runs the decoder on
        the new position only, reading the earlier positions' self-attention
        inputs from a cache, instead of re-running the decoder on the whole
        prefix as `cached=False` does; both give the same tokens up to float
        rounding (`benchmarks/unmt_decoding_speed.py` measures the speed-up).
        """
        if not isinstance(beam_size, (int, np.integer)) or beam_size < 1:
            raise ValueError(f"beam_size must be a positive integer; got {beam_size!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer (sentences decoded at once); "
                             f"got {batch_size!r}")
        start = self.language_ids[tr.check_language(target)]
        rows = [list(r)[: self.max_length] for r in rows]
        order = np.argsort([len(r) for r in rows], kind="stable")
        out = [None] * len(rows)
        with gradients.no_grad():
            for i in range(0, len(rows), batch_size):
                pick = order[i:i + batch_size]
                longest = max([len(rows[j]) for j in pick] + [1])
                source = tr.pad([rows[j] for j in pick], padded_length(longest, self.max_length))
                steps = min(self.max_length - 1, 2 * longest + 10)
                memory = np.asarray(ops.convert_to_numpy(self.encoder.predict_on_batch(source)))
                stepper = (_CachedDecoder if cached else _FullDecoder)(self, memory, source,
                                                                       int(beam_size))
                if beam_size == 1:
                    found = self._greedy(stepper, len(source), start, steps)
                else:
                    found = self._beam(stepper, len(source), start, int(beam_size), length_penalty, steps)
                for j, row in zip(pick, found):
                    out[j] = row
        return out

    def _output_log_probs(self, logits):
        """The model's next-token log-probabilities, with the tokens a
        translation never contains (padding, the language tokens) ruled out."""
        return self._allowed(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))

    def _allowed(self, scores):
        """`scores` (B, vocab) with the tokens a translation never contains
        (padding, the language tokens) set to -inf, in place."""
        scores[:, [tr.PAD, *self.language_ids.values()]] = -np.inf
        return scores

    def _greedy(self, stepper, n, start, steps):
        tokens = np.zeros((n, self.max_length), "int32")
        tokens[:, 0] = start
        done = np.zeros(n, bool)
        for t in range(steps):
            # (the most likely token: the largest logit, no normalisation needed)
            step = self._allowed(stepper.next_logits(tokens[:, t], t)).argmax(-1)
            step[done] = tr.PAD
            tokens[:, t + 1] = step
            done |= step == tr.EOS
            if done.all():
                break
        return [_until_eos(row[1:]) for row in tokens]

    def _beam(self, stepper, n, start, k, length_penalty, steps):
        tokens = np.zeros((n, k, self.max_length), "int32")
        tokens[:, :, 0] = start
        scores = np.full((n, k), -np.inf)
        scores[:, 0] = 0.0
        done = np.zeros((n, k), bool)
        lengths = np.zeros((n, k))
        for t in range(steps):
            logp = self._output_log_probs(stepper.next_logits(tokens[:, :, t].reshape(n * k), t))
            logp = logp.reshape(n, k, -1)
            # A finished beam continues only with padding, at no cost.
            logp[done] = -np.inf
            logp[done, tr.PAD] = 0.0
            total = (scores[:, :, None] + logp).reshape(n, -1)
            best = np.argsort(-total, axis=1)[:, :k]
            beam, word = best // logp.shape[-1], best % logp.shape[-1]
            rows = np.arange(n)[:, None]
            tokens = tokens[rows, beam]
            stepper.reorder((rows * k + beam).reshape(-1))
            tokens[:, :, t + 1] = word
            scores = total[rows, best]
            was_done = done[rows, beam]
            lengths = lengths[rows, beam] + ~was_done
            done = was_done | (word == tr.EOS)
            if done.all():
                break
        final = scores / np.maximum(lengths, 1.0) ** length_penalty
        pick = final.argmax(1)
        return [_until_eos(tokens[i, pick[i], 1:]) for i in range(n)]

    def get_config(self):
        config = super().get_config()
        config.pop("ema_decay", None)
        config.update({
            "vocabulary": (base64.b64encode(self.vocabulary.model_proto).decode("ascii")
                           if self.vocabulary is not None else None),
            "vocab_size": self.vocab_size, "max_length": self.max_length, "dim": self.dim,
            "heads": self.heads, "ff_dim": self.ff_dim, "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers, "dropout": self.dropout,
            "objective": self.objective, "auto_weight": self.auto_weight,
            "back_translation_weight": self.back_translation_weight,
            "adversarial_weight": self.adversarial_weight, "position_init": self.position_init,
        })
        return config


class _FullDecoder:
    """Next-token logits by re-running the decoder on the whole prefix (the
    reference for `_CachedDecoder`). Rows are `n * beams`, beam-major per sentence."""

    def __init__(self, model, memory, source, beams=1):
        self.model = model
        self.memory, self.source = np.repeat(memory, beams, 0), np.repeat(source, beams, 0)
        self.tokens = np.zeros((len(self.source), model.max_length), "int32")

    def next_logits(self, tokens_t, t):
        self.tokens[:, t] = tokens_t
        logits = self.model.decoder.predict_on_batch([self.tokens, self.memory, self.source])
        return np.asarray(ops.convert_to_numpy(logits)[:, t], "float64")

    def reorder(self, rows):
        self.tokens = self.tokens[rows]


class _CachedDecoder:
    """Next-token logits for one new position at a time: each decoder layer
    keeps the keys and values of the earlier positions and of the source
    (`TransformerLayer.start_cache`, `decode_step`), so a step projects only
    the new position. The step runs as one compiled call (`_decode_step_function`)."""

    def __init__(self, model, memory, source, beams=1):
        self.step = _decode_step_function(model)
        memory = ops.convert_to_tensor(np.repeat(memory, beams, 0))
        self.source = ops.convert_to_tensor(np.repeat(source, beams, 0))
        rows = len(source) * beams
        with gradients.no_grad():
            self.caches = [layer.start_cache(rows, model.max_length, memory)
                           for layer in _decoder_layers(model)]

    def next_logits(self, tokens_t, t):
        logits, self.caches = self.step(ops.convert_to_tensor(np.asarray(tokens_t, "int32")),
                                        ops.convert_to_tensor(np.int32(t)), self.caches, self.source)
        return np.asarray(ops.convert_to_numpy(logits), "float64")

    def reorder(self, rows):
        rows = ops.convert_to_tensor(np.asarray(rows, "int32"))
        self.caches = [{name: ops.take(value, rows, axis=0) for name, value in cache.items()}
                       for cache in self.caches]


def _decoder_layers(model):
    return [model.decoder.get_layer(f"layer_{i}") for i in range(model.decoder_layers)]


# model -> its compiled decoder step (built at the first decoding, kept while the model lives).
_DECODE_STEPS = weakref.WeakKeyDictionary()


def _decode_step_function(model):
    """`(tokens at t (B,), t, caches, source ids) -> (logits (B, vocab),
    caches)`: the decoder on one new position, compiled once per model
    (`gradients.inference_function`): op by op, a step of a 3-layer decoder
    is a backend call per operation, whose overhead outweighs the arithmetic."""
    if model not in _DECODE_STEPS:
        decoder, embedding, layers = model.decoder, model.embedding, _decoder_layers(model)
        final_norm, to_logits = decoder.get_layer("final_norm"), decoder.get_layer("logits")

        def step(tokens_t, t, caches, source):
            x, updated = embedding.embed_at(tokens_t, t), []
            for layer, cache in zip(layers, caches):
                x, cache = layer.decode_step(x, t, cache, source)
                updated.append(cache)
            return to_logits(final_norm(x))[:, 0], updated

        _DECODE_STEPS[model] = gradients.inference_function(step, decoder.variables)
    return _DECODE_STEPS[model]


def _until_eos(row):
    row = [int(t) for t in row]
    for stop in (tr.EOS, tr.PAD):
        if stop in row:
            row = row[:row.index(stop)]
    return row


class BackTranslationBatches(keras.utils.PyDataset):
    """Unsupervised training batches from two monolingual id sets.

    Each epoch samples `steps` batches per language. For each sampled
    sentence it holds a noisy copy (denoising) and a back-translation into
    the other language made by the model at the start of the epoch (or by
    `initial_translate`, e.g. word-by-word with an induced dictionary, for
    the first back-translating epoch, as Lample et al. start). `refresh()`
    (called by `BackTranslationRefresh` after each epoch) draws the next
    epoch's sentences and translates them with the current model.

    `back_translate=False` makes denoising batches only (a warm-up: no
    sentence is decoded, and the `*_bt` entries hold the clean sentence as a
    placeholder for a model whose `back_translation_weight` is 0);
    `start_back_translation()` switches back-translation on.

    `reuse=r` draws `steps * batch_size / r` sentences per epoch and uses
    each r times (with fresh noise), so a refresh decodes r times fewer
    sentences: on a CPU, decoding a sentence costs about as much as a
    training step spends on it.
    """

    def __init__(self, model, english_ids, spanish_ids, batch_size=32, steps=100, seed=0,
                 initial_translate=None, noise=None, reuse=1, back_translate=True):
        super().__init__()
        if not len(english_ids) or not len(spanish_ids):
            raise ValueError("both languages need at least one sentence")
        if int(reuse) < 1 or int(steps) * int(batch_size) % int(reuse):
            raise ValueError(f"reuse must be a positive divisor of steps * batch_size "
                             f"({int(steps) * int(batch_size)}); got {reuse!r}")
        self.model, self.ids = model, {"en": list(english_ids), "es": list(spanish_ids)}
        self.batch_size, self.steps, self.reuse = int(batch_size), int(steps), int(reuse)
        self.rng = np.random.default_rng(seed)
        self.noise = noise or {}
        self.initial_translate, self.back_translate = initial_translate, bool(back_translate)
        self.translated = False  # True once a refresh has back-translated
        self.refresh()

    def __len__(self):
        return self.steps

    def start_back_translation(self):
        """Ends a denoising warm-up: the next epoch's batches are
        back-translated (first by `initial_translate`, if given)."""
        self.back_translate = True
        self.refresh()

    def refresh(self, translate=None):
        """Samples the next epoch's sentences and their back-translations."""
        n = self.steps * self.batch_size // self.reuse
        other = {"en": "es", "es": "en"}
        if translate is None and not self.translated:
            translate = self.initial_translate
        self.epoch, self.lengths, self.batches = {}, {}, {}
        for lang in tr.LANGUAGES:
            pick = self.rng.choice(len(self.ids[lang]), n, replace=n > len(self.ids[lang]))
            rows = [self.ids[lang][i] for i in pick]
            if not self.back_translate:
                back = rows
            elif translate is not None:
                back = translate(rows, lang)
            else:
                back = self.model.translate_ids(rows, other[lang])
            back = [b[: self.model.max_length] or [tr.UNK] for b in back]
            rows, back = rows * self.reuse, back * self.reuse
            noisy = [tr.add_noise(r, self.rng, **self.noise) for r in rows]
            target_in, target_out = self.model.targets(rows, lang)
            self.epoch[lang] = {"noisy": tr.pad(noisy, self.model.max_length), "in": target_in,
                                "out": target_out, "bt": tr.pad(back, self.model.max_length)}
            self.lengths[lang] = [max(len(r) + 1, len(b)) for r, b in zip(rows, back)]
        self.translated = self.translated or self.back_translate
        # Batch k of each language holds the k-th shortest group of its
        # sentences, so the two halves of a batch have similar lengths.
        for lang in tr.LANGUAGES:
            order = np.argsort(self.lengths[lang], kind="stable")
            self.batches[lang] = [order[i * self.batch_size:(i + 1) * self.batch_size]
                                  for i in range(self.steps)]
        self.order = self.rng.permutation(self.steps)
        widest_batches_first(self)

    def __getitem__(self, index):
        k = self.order[index]
        return trim_batch({f"{lang}_{key}": value[self.batches[lang][k]]
                           for lang, parts in self.epoch.items() for key, value in parts.items()},
                          self.model.max_length)


class BackTranslationRefresh(keras.callbacks.Callback):
    """Refreshes a `BackTranslationBatches` with the current model after each epoch."""

    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def on_epoch_end(self, epoch, logs=None):
        if not self.model.stop_training:  # no refresh for an epoch that will not run
            self.batches.refresh()


class TranslationProbe(keras.callbacks.Callback):
    """The early signals of unsupervised translation, measured during `fit`
    on a fixed sample of held-out verse pairs (greedy decoding):

    - `auto_bleu_en`, `auto_bleu_es`: each verse decoded in its own language
      from its clean self. Near 0 means the decoder ignores the encoder, and
      back-translation then has nothing to bootstrap from. Each language's
      side is used alone, so this signal holds no translation pair.
    - `bleu_en_es`, `bleu_es_en`: translation BLEU against the other side.
      For watching only: nothing in training reads it.
    - `word_by_word_en_es`, `word_by_word_es_en` (once, at the start, when
      `dictionaries` are given): the dictionary baseline to beat.

    It measures at the start and every `every` epochs, appends each
    measurement (step, seconds since the start, figures) to `log_path` as a
    JSON line, and puts the latest figures in every epoch's logs (so a
    `CSVLogger` listed after it records them). `stop_at=b` stops `fit` once
    both auto-encoding BLEUs reach b: the end of a denoising warm-up.

    Example:

    >>> probe = TranslationProbe(bible.split()["test"][:100], every=2, stop_at=50)
    >>> model.fit(batches, epochs=100, callbacks=[probe, keras.callbacks.CSVLogger("history.csv")])
    """

    def __init__(self, pairs, every=1, stop_at=None, log_path=None, dictionaries=None, translation=True):
        super().__init__()
        pairs = list(pairs)
        if not pairs:
            raise ValueError("TranslationProbe needs at least one (English, Spanish) verse pair")
        if int(every) < 1:
            raise ValueError(f"every must be a positive number of epochs; got {every!r}")
        self.sentences = {"en": [e for e, _ in pairs], "es": [s for _, s in pairs]}
        self.every, self.stop_at = int(every), stop_at
        self.log_path, self.dictionaries, self.translation = log_path, dictionaries, bool(translation)
        self.latest, self.history, self.reached_at_step = {}, [], None

    def measure(self):
        """The figures for the current weights, as a dict."""
        model, out = self.model, {}
        rows = {lang: model.encode_text(self.sentences[lang]) for lang in tr.LANGUAGES}
        for lang in tr.LANGUAGES:
            decoded = model.vocabulary.decode(model.translate_ids(rows[lang], lang))
            out[f"auto_bleu_{lang}"] = tr.bleu(decoded, self.sentences[lang])
        if self.translation:
            for source, target in (("en", "es"), ("es", "en")):
                decoded = model.vocabulary.decode(model.translate_ids(rows[source], target))
                out[f"bleu_{source}_{target}"] = tr.bleu(decoded, self.sentences[target])
        return out

    def _record(self):
        figures = self.measure()
        if self.dictionaries and not self.history:
            for source, target in (("en", "es"), ("es", "en")):
                guess = tr.word_by_word(self.sentences[source], self.dictionaries[source])
                figures[f"word_by_word_{source}_{target}"] = tr.bleu(guess, self.sentences[target])
        step = int(ops.convert_to_numpy(self.model.optimizer.iterations))
        entry = {"step": step, "seconds": round(time.time() - self.start, 1),
                 **{k: round(float(v), 2) for k, v in figures.items()}}
        self.history.append(entry)
        self.latest.update(figures)
        if self.log_path:
            with open(self.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
        print("probe: " + ", ".join(f"{k} {v}" for k, v in entry.items()), flush=True)
        if self.stop_at is not None and all(figures[f"auto_bleu_{lang}"] >= self.stop_at
                                            for lang in tr.LANGUAGES):
            self.reached_at_step = step
            self.model.stop_training = True

    def on_train_begin(self, logs=None):
        self.start = time.time()
        self._record()

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 and not self.model.stop_training:
            self._record()
        if logs is not None:
            logs.update(self.latest)


class ParallelBatches(keras.utils.PyDataset):
    """Supervised batches of aligned (English ids, Spanish ids) pairs, both directions."""

    def __init__(self, model, english_ids, spanish_ids, batch_size=32, seed=0):
        super().__init__()
        if len(english_ids) != len(spanish_ids) or not len(english_ids):
            raise ValueError("parallel data needs the same, positive number of sentences per side")
        self.model, self.batch_size = model, int(batch_size)
        self.rows = {"en": list(english_ids), "es": list(spanish_ids)}
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return len(self.rows["en"]) // self.batch_size

    def on_epoch_end(self):
        lengths = [max(len(e), len(s)) + 1 for e, s in zip(self.rows["en"], self.rows["es"])]
        self.order = length_sorted_batches(lengths, self.batch_size, self.rng)
        widest_batches_first(self)

    def __getitem__(self, index):
        pick = self.order[index]
        batch = {}
        for lang, other in (("en", "es"), ("es", "en")):
            rows = [self.rows[lang][i] for i in pick]
            batch[f"{lang}_in"], batch[f"{lang}_out"] = self.model.targets(rows, lang)
            batch[f"{lang}_src"] = tr.pad([self.rows[other][i][: self.model.max_length] for i in pick],
                                          self.model.max_length)
        return trim_batch(batch, self.model.max_length)
