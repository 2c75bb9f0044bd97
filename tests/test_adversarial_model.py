"""The game itself: who updates what, on every backend."""

import keras
import numpy as np
import pytest
from keras import ops
from PIL import Image

import keras_gan_zoo as kgz
from conftest import TINY, count_changed, weights_of
from keras_gan_zoo.models import AdversarialModel, Player
from keras_gan_zoo import tasks
from keras_gan_zoo.training import DivergenceGuard, ProgressBar, SampleGrid, TrainingDiverged


def test_fit_updates_both_players_batchnorm_and_ema(tiny_dcgan, tiny_images):
    g0, d0, e0 = (weights_of(m) for m in (tiny_dcgan.generator, tiny_dcgan.discriminator,
                                           tiny_dcgan.ema_generator))
    tiny_dcgan.compile()
    history = tiny_dcgan.fit(tiny_images, batch_size=16, epochs=1, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    # Every generator and discriminator weight moved, BN statistics included.
    assert count_changed(tiny_dcgan.generator, g0) == len(g0)
    assert count_changed(tiny_dcgan.discriminator, d0) == len(d0)
    bn = [v for v in tiny_dcgan.discriminator.non_trainable_weights if "moving" in v.path]
    assert bn, "the tiny discriminator should have batch norm"
    assert count_changed(tiny_dcgan.ema_generator, e0) > 0
    # The EMA trails the generator: close to where it started, not equal to G.
    g = weights_of(tiny_dcgan.generator)
    e = weights_of(tiny_dcgan.ema_generator)
    kernel = 0  # first Dense kernel
    assert np.abs(e[kernel] - e0[kernel]).max() < np.abs(g[kernel] - g0[kernel]).max()


def test_each_player_only_touches_its_own_weights(tiny_images):
    keras.utils.set_random_seed(1)
    model = kgz.DCGAN(**TINY, ema_decay=None)
    # Freeze G's optimizer with a zero learning rate: only D may change.
    model.compile(g_optimizer=keras.optimizers.SGD(0.0), d_optimizer=keras.optimizers.SGD(0.1))
    g0, d0 = weights_of(model.generator), weights_of(model.discriminator)
    model.fit(tiny_images, batch_size=16, epochs=1, verbose=0)
    g_trainable = len(model.generator.trainable_weights)
    # Only G's batch-norm statistics (non-trainable) may move.
    changed_g_trainable = sum(
        not np.array_equal(keras.ops.convert_to_numpy(v), before)
        for v, before in zip(model.generator.weights, g0) if v.trainable
    )
    assert changed_g_trainable == 0 and g_trainable > 0
    assert count_changed(model.discriminator, d0) == len(d0)


def test_k_discriminator_steps_per_generator_step(tiny_images):
    model = kgz.DCGAN(**TINY, d_steps=3, ema_decay=None)
    model.compile()
    model.fit(tiny_images, batch_size=16, epochs=1, verbose=0)
    iterations = {n: int(keras.ops.convert_to_numpy(o.iterations)) for n, o in model.player_optimizers.items()}
    assert iterations == {"d": 12, "g": 4}
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 4


def test_wasserstein_clips_discriminator_weights(tiny_images):
    model = kgz.DCGAN(**TINY, ema_decay=None)
    model.compile(loss="wasserstein", d_optimizer=keras.optimizers.RMSprop(5e-3))
    model.fit(tiny_images, batch_size=16, epochs=1, verbose=0)
    for v in model.discriminator.trainable_weights:
        assert np.abs(keras.ops.convert_to_numpy(v)).max() <= 0.01 + 1e-7


@pytest.mark.parametrize("loss", ["minimax", "wgan_gp", "hinge", "least_squares"])
def test_every_loss_trains(loss, tiny_images):
    model = kgz.DCGAN(**TINY, ema_decay=None)
    model.compile(loss=loss)
    d0 = weights_of(model.discriminator)
    history = model.fit(tiny_images, batch_size=32, epochs=1, verbose=0)
    assert all(np.isfinite(v[-1]) for v in history.history.values())
    assert count_changed(model.discriminator, d0) > 0


class PointGAN(AdversarialModel):
    """A 2-D GAN: G is an affine map of a Gaussian, D a small MLP."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
        self.discriminator = keras.Sequential(
            [keras.Input((2,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
        )
        self.built = True

    def players(self):
        return [Player("d", self.d_loss, self.discriminator.trainable_variables),
                Player("g", self.g_loss, self.generator.trainable_variables)]

    def prepare_batch(self, data):
        return {"points": ops.convert_to_tensor(data, "float32")}

    def _fake(self, batch):
        z = keras.random.normal((ops.shape(batch["points"])[0], 2), seed=self.seed_generator)
        return self.generator(z, training=True)

    def d_loss(self, batch):
        fake = ops.stop_gradient(self._fake(batch))
        return self.gan_loss.d_loss(self.discriminator(batch["points"]), self.discriminator(fake))

    def g_loss(self, batch):
        return self.gan_loss.g_loss(self.discriminator(self._fake(batch)))


def test_a_custom_model_learns_a_toy_distribution():
    keras.utils.set_random_seed(0)
    target = np.array([3.0, -2.0], dtype="float32")
    points = target + 0.1 * np.random.default_rng(0).normal(size=(2048, 2)).astype("float32")
    model = PointGAN(seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    start = np.linalg.norm(keras.ops.convert_to_numpy(model.generator(np.zeros((1, 2))))[0] - target)
    model.fit(points, batch_size=128, epochs=20, verbose=0)
    z = np.random.default_rng(1).normal(size=(512, 2)).astype("float32")
    mean = keras.ops.convert_to_numpy(model.generator(z)).mean(axis=0)
    end = np.linalg.norm(mean - target)
    assert end < 0.25 * start, (start, end)


def test_compile_errors_are_clear(tiny_dcgan):
    with pytest.raises(TypeError, match="d_optimizer"):
        tiny_dcgan.compile(discriminator_optimizer="adam")
    with pytest.raises(ValueError, match="Unknown GAN loss"):
        tiny_dcgan.compile(loss="wgan-typo")
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="its own optimizer"):
        tiny_dcgan.compile(d_optimizer=shared, g_optimizer=shared)


def test_a_trainable_variable_outside_every_player_is_rejected():
    model = PointGAN()
    model.extra = keras.layers.Dense(1)
    model.extra.build((None, 1))
    with pytest.raises(ValueError, match="belong to no player"):
        model.compile()


def test_fit_without_compile_uses_recipe_defaults(tiny_dcgan, tiny_images):
    with pytest.warns(UserWarning, match="compiling with the recipe defaults"):
        tiny_dcgan.fit(tiny_images, batch_size=32, epochs=1, verbose=0)
    assert tiny_dcgan.gan_loss.name == "non_saturating"


def test_keras_save_and_load_round_trip(tmp_path, tiny_dcgan, tiny_images):
    tiny_dcgan.compile(loss="hinge", d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.0))
    tiny_dcgan.fit(tiny_images, batch_size=32, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    tiny_dcgan.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, kgz.DCGAN) and loaded.compiled
    assert loaded.gan_loss.name == "hinge"
    d_opt = loaded.player_optimizers["d"]
    assert float(keras.ops.convert_to_numpy(d_opt.learning_rate)) == pytest.approx(3e-4)
    np.testing.assert_allclose(
        loaded.generate(4, seed=3, output="float"), tiny_dcgan.generate(4, seed=3, output="float"), atol=1e-6
    )
    loaded.fit(tiny_images, batch_size=32, epochs=1, verbose=0)


def test_evaluate_points_to_fid(tiny_dcgan, tiny_images):
    with pytest.raises(NotImplementedError, match="evaluate_model"):
        tiny_dcgan.evaluate(tiny_images)


def test_recalibrate_ema_batch_norm_measures_the_ema_generator(tiny_dcgan, tiny_images):
    tiny_dcgan.compile()
    tiny_dcgan.fit(tiny_images, batch_size=16, epochs=2, verbose=0)
    ema = tiny_dcgan.ema_generator
    bn = [l for l in ema.layers if isinstance(l, keras.layers.BatchNormalization)][0]
    tiny_dcgan.recalibrate_ema_batch_norm(num_samples=256, batch_size=64, seed=0)
    # The moving mean now equals the mean pre-BN activation of the EMA generator.
    z = tiny_dcgan.sample_latents(256, seed=0)
    probe = keras.Model(ema.inputs, bn.input)
    expected = keras.ops.convert_to_numpy(probe(z)).mean(axis=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(bn.moving_mean), expected, rtol=1e-3, atol=1e-5)
    assert not ema.trainable and bn.momentum == 0.99


def test_ema_warmup_forgets_the_initial_weights(tiny_images):
    model = kgz.DCGAN(**TINY, ema_decay=0.999, ema_warmup=True, seed=0)
    e0 = weights_of(model.ema_generator)
    model.compile()
    model.fit(tiny_images[:16], batch_size=16, epochs=1, verbose=0)  # one step: decay min(0.999, 1/10)
    g1, e1 = weights_of(model.generator), weights_of(model.ema_generator)
    np.testing.assert_allclose(e1[0], 0.1 * e0[0] + 0.9 * g1[0], atol=1e-6)
    assert kgz.DCGAN.from_config(model.get_config()).ema_warmup
    assert "ema_warmup" not in kgz.DCGAN(**TINY).get_config()  # older presets' configs unchanged


def test_divergence_guard_names_the_player_and_keeps_nothing_running():
    model = PointGAN(seed=0)
    model.compile()
    exploding = np.full((64, 2), np.inf, "float32")  # D's outputs are not finite: nor are the losses
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch 1: the loss of d \(d_loss = (nan|inf)"):
        model.fit(exploding, batch_size=32, epochs=2, verbose=0, callbacks=[DivergenceGuard()])
    fine = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    model = PointGAN(seed=0)
    model.compile()
    model.fit(fine, batch_size=32, epochs=1, verbose=0, callbacks=[DivergenceGuard()])


def test_progress_bar_counts_every_batch_of_every_epoch_with_the_losses():
    import io

    out = io.StringIO()
    model = PointGAN(seed=0)
    model.compile()
    data = np.random.default_rng(0).normal(size=(96, 2)).astype("float32")
    bar = ProgressBar(mininterval=0, file=out)
    model.fit(data, batch_size=32, epochs=2, verbose=0, callbacks=[bar])
    text = out.getvalue().replace("\r", "\n")
    assert "epoch 1/2" in text and "epoch 2/2" in text
    assert "3/3" in text and "d_loss=" in text and "g_loss=" in text
    assert bar.bar is None  # closed when the epoch ended


def test_sample_grid_writes_frames_of_the_current_weights(tmp_path, tiny_images):
    model = kgz.DCGAN(**TINY, seed=0)
    model.compile()
    grid = SampleGrid(tmp_path / "frames", every=3, num=4, tensorboard=True)
    model.fit(tiny_images[:32], batch_size=8, epochs=2, verbose=0, callbacks=[grid])  # 8 steps
    assert grid.written == [0, 3, 6, 8]
    frames = {step: np.asarray(Image.open(tmp_path / "frames" / f"step-{step:07d}.png"))
              for step in grid.written}
    assert frames[0].shape == (2 * 16, 2 * 16)
    # Step 3 is mid-epoch: the frame must show the weights trained so far (on JAX they
    # live outside the model's variables until the epoch ends).
    assert not np.array_equal(frames[3], frames[0])
    final = tasks.image_grid(model.showcase(num=4, seed=0).images)[..., 0]
    np.testing.assert_array_equal(frames[8], final)
    assert list((tmp_path / "frames").glob("events.out.tfevents.*"))
    with pytest.raises(ValueError, match="every must be a positive integer"):
        SampleGrid(tmp_path, every=0)
