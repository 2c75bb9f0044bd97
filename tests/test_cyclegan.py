"""CycleGAN: four optimizers, history pool, unpaired data, clear errors."""

import keras
import numpy as np
import pytest

import keras_gan_zoo as kgz
from conftest import count_changed, weights_of
from keras_gan_zoo.datasets import UnpairedBatches
from keras_gan_zoo.training import LinearDecay

CTINY = dict(image_size=16, width=4, num_blocks=1, d_layers=2, pool_size=6)


@pytest.fixture
def domains():
    rng = np.random.default_rng(0)
    a = np.full((20, 16, 16, 3), 255, "uint8")
    b = np.zeros((13, 16, 16, 3), "uint8")
    for image in a:
        r, c = rng.integers(0, 8, size=2)
        image[r:r + 8, c:c + 8] = (200, 30, 30)
    for image in b:
        r, c = rng.integers(0, 8, size=2)
        image[r:r + 8, c:c + 8] = (30, 30, 200)
    return a, b


def test_four_optimizers_each_update_their_own_network(domains):
    keras.utils.set_random_seed(0)
    model = kgz.CycleGAN(**CTINY, seed=0)
    nets = [model.generator_ab, model.generator_ba, model.discriminator_a, model.discriminator_b]
    before = [weights_of(n) for n in nets]
    # g_ba frozen by a zero learning rate: every other network moves, it does not.
    model.compile(g_ba_optimizer=keras.optimizers.SGD(0.0))
    assert sorted(model.player_optimizers) == ["d_a", "d_b", "g_ab", "g_ba"]
    history = model.fit(*domains, batch_size=4, epochs=1, verbose=0)
    assert set(history.history) == {"g_loss", "d_a_loss", "d_b_loss"}
    trainable = lambda net, w0: sum(
        not np.array_equal(keras.ops.convert_to_numpy(v), w) for v, w in zip(net.weights, w0) if v.trainable)
    assert trainable(model.generator_ab, before[0]) == len(model.generator_ab.trainable_weights)
    assert trainable(model.generator_ba, before[1]) == 0
    assert count_changed(model.discriminator_a, before[2]) == len(before[2])
    assert count_changed(model.discriminator_b, before[3]) == len(before[3])
    steps = {n: int(keras.ops.convert_to_numpy(o.iterations)) for n, o in model.player_optimizers.items()}
    assert steps == {"g_ab": 5, "g_ba": 5, "d_a": 5, "d_b": 5}  # 20 images in A, batch 4


def test_the_two_domains_as_one_tuple_train_as_two_sets(domains):
    """fit((a, b)) is fit(a, b): Keras alone would read the tuple as paired
    inputs and refuse sets of different sizes."""
    weights = []
    for args in ((domains,), domains):
        keras.utils.set_random_seed(0)
        model = kgz.CycleGAN(**CTINY, seed=0)
        model.compile()
        model.fit(*args, batch_size=4, epochs=1, verbose=0)
        weights.append(weights_of(model))
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_history_pool_fills_then_stays_full(domains):
    model = kgz.CycleGAN(**CTINY, seed=0)
    model.compile()
    model.fit(*domains, batch_size=4, epochs=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(model.pool_count)) == 6
    pool = keras.ops.convert_to_numpy(model.pool_b)
    assert np.all(np.abs(pool).reshape(6, -1).max(axis=1) > 0)  # every slot holds an image


def test_unpaired_batches_cover_the_longer_set_and_reshuffle():
    a, b = np.arange(10)[:, None], np.arange(3)[:, None] + 100
    batches = UnpairedBatches(a, b, batch_size=4, seed=0)
    assert len(batches) == 3
    first = np.concatenate([batches[i][0] for i in range(3)])[:10, 0]
    assert sorted(first) == list(range(10))
    seen_b = np.concatenate([batches[i][1] for i in range(3)])[:, 0]
    assert set(seen_b) == {100, 101, 102}
    batches.on_epoch_end()
    assert not np.array_equal(first, np.concatenate([batches[i][0] for i in range(3)])[:10, 0])


def test_the_schedule_serves_each_epochs_reshuffled_batches_in_order():
    """CycleGAN.fit draws all epochs' batches up front (`schedule`), which
    `gradients.fit_input` serves: the same batches, in the same order, as
    the reshuffling PyDataset gives epoch by epoch."""
    from keras_gan_zoo import gradients

    a, b = np.arange(10)[:, None] * 1.0, np.arange(3)[:, None] + 100.0
    expected = []
    reshuffling = UnpairedBatches(a, b, batch_size=4, seed=5)
    for epoch in range(3):
        expected += [reshuffling[i] for i in range(len(reshuffling))]
        reshuffling.on_epoch_end()
    schedule = UnpairedBatches(a, b, batch_size=4, seed=5).schedule(3)
    served = [tuple(keras.ops.convert_to_numpy(part) for part in batch)
              for batch in gradients.fit_input(schedule)]
    assert len(served) == len(schedule) == len(expected) == 9
    for (sa, sb), (ea, eb), i in zip(served, expected, range(9)):
        np.testing.assert_array_equal(sa, ea)
        np.testing.assert_array_equal(sb, eb)
        np.testing.assert_array_equal(schedule[i][0], ea)
    assert not np.array_equal(expected[0][0], expected[3][0])  # epochs differ


def test_translate_directions_and_errors(domains):
    model = kgz.CycleGAN(**CTINY)
    a2b, b2a = model.translate(domains[0][:3]), model.translate(domains[0][:3], direction="b2a")
    assert a2b.shape == (3, 16, 16, 3) and not np.array_equal(a2b, b2a)
    with pytest.raises(ValueError, match="direction must be one of"):
        model.translate(domains[0][:3], direction="ab")
    with pytest.raises(ValueError, match=r"shape \(N, 16, 16, 3\)"):
        model.translate(domains[0][:3, :8, :8])
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        kgz.CycleGAN(image_size=16, channels=4)


def test_bad_domain_data_changes_nothing(domains):
    model = kgz.CycleGAN(**CTINY)
    model.compile()
    before = weights_of(model)
    with pytest.raises(ValueError, match="domain B images"):
        model.fit(domains[0], domains[1][:, :8], batch_size=4, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="got only domain A's images. Pass both"):
        model.fit(domains[0], batch_size=4, epochs=1, verbose=0)
    assert all(np.array_equal(x, y) for x, y in zip(before, weights_of(model)))


def test_preset_round_trip_keeps_all_four_networks(tmp_path, domains):
    model = kgz.CycleGAN(**CTINY, seed=0)
    model.fit(*domains, batch_size=4, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "cyc", metadata={"training": {"dataset": "openmoji_noto"}})
    loaded = kgz.CycleGAN.from_pretrained(folder)
    for part in ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b"):
        for x, y in zip(getattr(model, part).weights, getattr(loaded, part).weights):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(y))
    np.testing.assert_array_equal(model.translate(domains[1][:2], direction="b2a"),
                                  loaded.translate(domains[1][:2], direction="b2a"))
    loaded.fit(*domains, batch_size=4, epochs=1, verbose=0)


def test_resize_upsampling_round_trips_and_rejects_unknown_modes(tmp_path, domains):
    model = kgz.CycleGAN(**CTINY, upsample="resize", seed=0)
    layer_types = {type(layer).__name__ for layer in model.generator_ab.layers}
    assert "UpSampling2D" in layer_types and "Conv2DTranspose" not in layer_types
    model.compile()
    model.fit(*domains, batch_size=4, epochs=1, verbose=0)
    folder = model.save_pretrained(tmp_path / "cyc", metadata={"training": {"dataset": "openmoji_noto"}})
    loaded = kgz.CycleGAN.from_pretrained(folder)
    assert loaded.upsample == "resize"
    np.testing.assert_array_equal(model.translate(domains[0][:2]), loaded.translate(domains[0][:2]))
    with pytest.raises(ValueError, match="upsample must be one of"):
        kgz.CycleGAN(**CTINY, upsample="bilinear")


def test_linear_decay_holds_then_lowers_every_players_rate(domains):
    model = kgz.CycleGAN(**CTINY, seed=0)
    model.compile(**{f"{n}_optimizer": keras.optimizers.Adam(1e-3) for n in model.optimizer_names})
    decay = LinearDecay({n: 1e-3 for n in model.optimizer_names}, start_epoch=1, epochs=3)
    assert [decay.factor(e) for e in range(4)] == pytest.approx([1.0, 1.0, 0.5, 0.0])
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(
        float(keras.ops.convert_to_numpy(model.player_optimizers["d_b"].learning_rate))))
    model.fit(*domains, batch_size=4, epochs=3, verbose=0, callbacks=[decay, record])
    assert seen == pytest.approx([1e-3, 1e-3, 5e-4])
    with pytest.raises(ValueError, match="start_epoch < epochs"):
        LinearDecay({"g_ab": 1e-3}, start_epoch=3, epochs=3)
    with pytest.raises(ValueError, match="does not have"):
        model.fit(*domains, batch_size=4, epochs=1, verbose=0,
                  callbacks=[LinearDecay({"g": 1e-3}, start_epoch=0, epochs=2)])


def test_the_anneal_recipe_continues_the_preset_and_decays_all_four_rates(tmp_path, monkeypatch, domains):
    """recipes/cyclegan_openmoji_noto_anneal.py: from the preset's weights, a
    stepped run (unpaired batches, checkpoints) at the full rate for the first
    half and then decayed: every one of the four optimizers at half the rate
    in the last of four intervals, and no time limit cutting the run short."""
    from keras_gan_zoo import cli, datasets, training

    monkeypatch.setitem(datasets.LOADERS, "toy_domains", lambda: (domains, domains))
    recipe = training.variant(cli._find_recipe("cyclegan_openmoji_noto_anneal"), model=CTINY,
                              dataset="toy_domains", dataset_args={})
    assert recipe["time_limit_minutes"] is None and recipe["continues"] == "cyclegan_openmoji_noto.py"
    start = training.build_model(recipe)
    start.pool_count.assign(3)  # a history pool part-filled by the preset's run
    start.save_pretrained(tmp_path / "cyclegan-openmoji-noto", metadata={"training": {"steps": 6}})
    fresh = training.build_model(recipe)
    training.load_initial_weights(fresh, tmp_path / "cyclegan-openmoji-noto")
    assert int(keras.ops.convert_to_numpy(fresh.pool_count)) == 3  # the pools carry on
    model = training.run_recipe(recipe, steps=8, checkpoint_every=2, run_dir=tmp_path / "run", verbose=0,
                                output_dir=tmp_path / "preset", init_from=tmp_path / "cyclegan-openmoji-noto")
    assert sorted(model.player_optimizers) == ["d_a", "d_b", "g_ab", "g_ba"]
    for optimizer in model.player_optimizers.values():
        assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(2e-4 / 2)
    record = kgz.from_pretrained(str(tmp_path / "preset")).preset_metadata["training"]
    assert record["steps"] == 8 and record["lr_decay"] == {"unit": "step", "start": 4, "end": 8, "every": 2}
    assert record["continued_from"]["training"]["steps"] == 6


def test_the_card_says_whether_translation_cut_or_raised_fid():
    def card(reduction):
        entry = {"fid": 100.0, "kid": 0.01}
        result = {"num_test_a": 4, "num_test_b": 5, "a_vs_b": entry, "translated_a2b_vs_b": entry,
                  "translated_b2a_vs_a": entry, "a2b_fid_reduction": reduction, "cycle_l1_a": 0.1,
                  "cycle_l1_b": 0.2, "command": "keras-gan-zoo evaluate x"}
        return "\n".join(kgz.CycleGAN.card_sections({"translation": result}))

    assert "cuts FID by 25.00%" in card(0.25)
    raised = card(-0.124)
    assert "raises FID by 12.40%" in raised and "cuts FID" not in raised and "-12" not in raised
