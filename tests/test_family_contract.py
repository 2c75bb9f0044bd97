"""The family contract, checked for every registered family from the tiny
configuration it declares (`Family.tiny_config`, `Family.tiny_data`): a new
family gets these tests without editing this file.

- it declares a task, card usage, supported losses and a tiny configuration;
- `fit` updates each player's variables and no other player's;
- bad input raises a clear error and leaves every weight unchanged;
- a preset round-trips (weights and every network's outputs), its card
  renders, and the same weights give the same outputs on every backend;
- compile refuses a loss the family does not play, naming the ones it does;
- an image family's compiled augmentation reaches every discriminator in
  both players' losses;
- `showcase` (the CLI's `sample`) runs where it needs no data set.
"""

import json

import keras
import numpy as np
import pytest

from conftest import cross_backend, outputs_on_other_backends
import keras_gan_zoo as kgz
from keras_gan_zoo import augment, losses, registry, tasks
from keras_gan_zoo.models.adversarial_model import AdversarialModel

FAMILIES = registry.families()


def build(family):
    keras.utils.set_random_seed(0)
    return family(**family.tiny_config, seed=0)


def probe_outputs(model, seed=0):
    """Every network's outputs on fixed inputs drawn from its input specs
    (floats: normal; integers: 1 or 2, valid labels and token ids)."""
    rng = np.random.default_rng(seed)
    out = {}
    for layer in model.layers:
        if not isinstance(layer, keras.Model) or not getattr(layer, "inputs", None):
            continue
        inputs = []
        for spec in layer.inputs:
            shape = (2,) + tuple(6 if d is None else d for d in spec.shape[1:])  # 6: a sequence length
            if "int" in str(spec.dtype):
                inputs.append(rng.integers(1, 3, shape).astype(str(spec.dtype)))
            else:
                inputs.append(rng.standard_normal(shape).astype("float32"))
        result = layer.predict_on_batch(inputs if len(inputs) > 1 else inputs[0])
        for k, value in enumerate(keras.tree.flatten(result)):
            out[f"{layer.name}.{k}"] = np.asarray(keras.ops.convert_to_numpy(value))
    return out


def trainable_by_player(model):
    return {player.name: [v for group in player.variable_groups.values() for v in group]
            for player in model.players()}


def values(variables):
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


@pytest.fixture(params=sorted(FAMILIES))
def family(request):
    return FAMILIES[request.param]


def test_the_registry_finds_every_family():
    """Every family the package exports is registered (else every contract
    test here would skip it unseen, and its presets would not load)."""
    exported = {name for name in dir(kgz) if isinstance(getattr(kgz, name), type)
                and issubclass(getattr(kgz, name), AdversarialModel) and getattr(kgz, name).task is not None}
    assert exported == set(FAMILIES)
    assert {"DCGAN", "ConditionalGAN", "BigGAN", "StyleGAN", "ProGAN", "Pix2Pix", "CycleGAN", "StackGAN",
            "UNMT"} <= set(FAMILIES)


def test_each_family_declares_the_contract(family):
    assert family.task in tasks.ALL
    assert isinstance(family.tiny_config, dict) and family.card_usage
    assert family.default_loss in family.supported_losses
    assert set(family.supported_losses) <= set(losses.LOSSES)
    assert family.supports_augmentation == (family.task.output == "images")


def test_fit_updates_each_player_and_only_its_variables(family):
    """Each player in turn trains alone (the others' SGD learning rate 0):
    its variables change, no other player's do. One model and one compiled
    train step serve every turn: the learning rates are variables the step
    reads, so only they change between the fits."""
    model = build(family)
    groups = {g: p.name for p in model.players() for g in p.variable_groups}
    optimizers = {g: keras.optimizers.SGD(0.0) for g in groups}
    model.compile(**{f"{g}_optimizer": optimizer for g, optimizer in optimizers.items()})
    owned = trainable_by_player(model)
    x, y = family.tiny_data(model)
    for player_name in model.player_names:
        for group, optimizer in optimizers.items():
            optimizer.learning_rate = 0.05 if groups[group] == player_name else 0.0
        before = {name: values(vs) for name, vs in owned.items()}
        model.fit(x, y, batch_size=None if y is None and not isinstance(x, np.ndarray) else 4,
                  epochs=1, verbose=0)
        for name, variables in owned.items():
            changed = [v.path for v, a, b in zip(variables, values(variables), before[name])
                       if not np.array_equal(a, b)]
            if name == player_name:
                assert changed, f"{family.__name__}: fit did not update player {name!r}"
            else:
                assert not changed, (f"{family.__name__}: training only {player_name!r} changed "
                                     f"variables of {name!r}: {changed}")


def test_bad_input_raises_and_leaves_every_weight_unchanged(family):
    model = build(family)
    model.compile()
    before = values(model.weights)
    bad = np.full((4, 3, 5, 7), np.nan, "float32")
    _, y = family.tiny_data(model, num=4)
    with pytest.raises((ValueError, TypeError)):
        model.fit(bad, y, batch_size=2, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(values(model.weights), before))


@pytest.mark.parametrize("seed", ["a", -1, 1.5, True])
def test_a_bad_seed_is_a_clear_error(family, seed):
    model = build(family)
    if hasattr(model, "sample_latents"):
        draw = lambda: model.sample_latents(2, seed=seed)  # noqa: E731
    elif family.task.name == "text-to-image":  # the noise of z and of the condition
        draw = lambda: model.generator_inputs(family.tiny_data(model, num=2)[1], seed=seed)  # noqa: E731
    else:
        pytest.skip(f"{family.__name__} draws nothing at random when it samples")
    with pytest.raises(ValueError, match="seed must be None or a non-negative integer"):
        draw()


def test_unsupported_losses_are_refused_by_name(family):
    model = build(family)
    for name in losses.LOSSES:
        if name in family.supported_losses:
            model.compile(loss=name)
            assert model.gan_loss.name == name
        else:
            with pytest.raises(ValueError, match=f"does not play the '{name}' loss"):
                model.compile(loss=name)


class CountingAugmentation(augment.Augmentation):
    """DiffAugment that counts the batches it augments."""

    calls = 0

    def __call__(self, images, seed_generator):
        CountingAugmentation.calls += 1
        return super().__call__(images, seed_generator)


def test_augmentation_reaches_every_discriminator_in_both_players_losses(family):
    """`compile(augment=...)` must apply wherever a discriminator sees an
    image: each discriminator's loss augments what it sees, and the
    generators' loss augments the generated images it shows each
    discriminator (a family that wrote its own discriminator call without
    `ImageGAN.augment` would train unaugmented, silently)."""
    if not family.supports_augmentation:
        pytest.skip(f"{family.__name__} has no images to augment")
    model = build(family)
    model.compile(augment=CountingAugmentation("translation,cutout"))
    x, y = family.tiny_data(model, num=4)
    batch = model.prepare_batch(keras.tree.map_structure(keras.ops.convert_to_tensor,
                                                         x if y is None else (x, y)))
    calls = {}
    for player in model.players():
        CountingAugmentation.calls = 0
        player.loss_fn(batch)
        calls[player.name] = CountingAugmentation.calls
    discriminators = [p.name for p in model.players() if p.role == "discriminator"]
    assert discriminators, f"{family.__name__}: no player has the discriminator role"
    for name in discriminators:
        assert calls[name] >= 1, f"{family.__name__}: {name}'s loss never augments: {calls}"
    generators = [p.name for p in model.players() if p.role != "discriminator"]
    for name in generators:
        assert calls[name] >= len(discriminators), (
            f"{family.__name__}: {name}'s loss shows its images to {len(discriminators)} "
            f"discriminator(s) but augments {calls[name]} batch(es)")


def test_preset_round_trip_and_card(family, tmp_path):
    model = build(family)
    folder = model.save_pretrained(tmp_path / "preset")
    loaded = family.from_pretrained(folder)
    assert type(loaded) is family
    for a, b in zip(values(loaded.weights), values(model.weights)):
        np.testing.assert_array_equal(a, b)
    expected, got = probe_outputs(model), probe_outputs(loaded)
    assert expected and expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-6, err_msg=key)
    other = next(cls for name, cls in FAMILIES.items() if not issubclass(family, cls)
                 and not issubclass(cls, family))
    with pytest.raises(ValueError, match=f"not a {other.__name__}"):
        other.from_pretrained(folder)
    card = (folder / "README.md").read_text()
    assert f"- {family.task.hub_tag}" in card and f"`{family.__name__}`" in card
    metadata = json.loads((folder / "metadata.json").read_text())
    networks = {layer.name for layer in model.layers if layer.weights}
    assert networks <= set(metadata["parameters"]), "every network's parameters are counted"


CHILD = """
import json, sys, numpy as np, keras_gan_zoo as kgz
sys.path.insert(0, sys.argv[2])
from test_family_contract import probe_outputs
out = {}
for name, folder in json.loads(sys.argv[3]).items():
    for key, value in probe_outputs(kgz.from_pretrained(folder, compile=False)).items():
        out[f"{name}/{key}"] = value
np.savez(sys.argv[1], **out)
"""


@cross_backend
def test_same_weights_give_the_same_outputs_on_every_backend(tmp_path):
    folders, expected = {}, {}
    for name, family in FAMILIES.items():
        model = build(family)
        folders[name] = str(model.save_pretrained(tmp_path / name))
        expected.update({f"{name}/{k}": v for k, v in probe_outputs(model).items()})
    tests_dir = str(__import__("pathlib").Path(__file__).parent)
    for backend, result in outputs_on_other_backends(tmp_path, CHILD, [tests_dir, json.dumps(folders)]):
        assert set(result.files) == set(expected), backend
        for key, value in expected.items():
            np.testing.assert_allclose(result[key], value, atol=1e-4, rtol=1e-4, err_msg=f"{backend} {key}")


def test_showcase_runs_where_it_needs_no_data_set(family):
    if family.task not in (tasks.UNCONDITIONAL_IMAGE, tasks.CLASS_CONDITIONAL_IMAGE):
        pytest.skip("its showcase reads held-out data: see the shipped-preset tests")
    model = build(family)
    show = model.showcase(num=4, seed=0)
    assert show.images.shape[0] == 4 and show.images.dtype == np.uint8
    np.testing.assert_array_equal(model.showcase(num=4, seed=0).images, show.images)
    with pytest.raises(ValueError, match="does not take"):
        model.showcase(num=4, seed=0, captions=["a red heart"])


def test_an_image_to_image_showcase_translates_the_images_it_is_given(family):
    """`sample --input`: given images, the showcase reads no data set."""
    if family.task not in (tasks.PAIRED_IMAGE_TO_IMAGE, tasks.UNPAIRED_IMAGE_TO_IMAGE):
        pytest.skip("not an image-to-image family")
    model = build(family)
    inputs, _ = family.tiny_data(model, num=3)
    show = model.showcase(inputs=inputs)
    assert show.summary.startswith("3 given") and show.columns == 3
    np.testing.assert_array_equal(show.images[:3], inputs)
    np.testing.assert_array_equal(show.images[3:], model.translate(inputs))
    with pytest.raises(ValueError, match="expected images of shape"):
        model.showcase(inputs=inputs[:, :4])


def test_mixed_precision_stays_close_to_float32_and_trains(family):
    """Under the mixed policies the networks compute in bfloat16 / float16
    on float32 weights: the same weights give outputs close to float32's,
    and a fit (float16 with loss scaling, the stricter of the two) updates
    every player with finite losses and weights, on every backend (on
    PyTorch's CPU thanks to gradients' contiguous half-precision kernels)."""
    from keras_gan_zoo import training
    from keras_gan_zoo.models.adversarial_model import FLOAT16_LOSS_SCALE

    if family.task.output != "images":
        pytest.skip("mixed precision is offered for the image families")
    reference = build(family)
    expected = probe_outputs(reference)
    # Errors relative to 1 + the largest float32 output, (mean, max) bounds
    # about 3x the worst measured over the families and backends (bfloat16:
    # 0.0064, 0.13 in ProGAN's pixel-normalised layers; float16: 0.0014, 0.018).
    bounds = {"mixed_bfloat16": (0.02, 0.3), "mixed_float16": (0.005, 0.05)}
    for policy, (mean_bound, max_bound) in bounds.items():
        with training.precision_policy(policy):
            model = build(family)
        assert keras.config.dtype_policy().name == "float32"  # restored on exit
        model.set_weights(reference.get_weights())
        for key, value in probe_outputs(model).items():
            error = np.abs(value.astype("float32") - expected[key]) / (1.0 + np.abs(expected[key]).max())
            assert error.mean() <= mean_bound and error.max() <= max_bound, (policy, key, error.max())
    model.compile()  # the last policy's model: float16, with loss scaling
    assert model.optimizer.loss_scale_factor == FLOAT16_LOSS_SCALE
    owned = trainable_by_player(model)
    before = {name: values(vs) for name, vs in owned.items()}
    x, y = family.tiny_data(model)
    history = model.fit(x, y, batch_size=None if y is None and not isinstance(x, np.ndarray) else 4,
                        epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history
    for name, variables in owned.items():
        after = values(variables)
        assert all(np.isfinite(a).all() for a in after), name
        assert any(not np.array_equal(a, b) for a, b in zip(after, before[name])), name
