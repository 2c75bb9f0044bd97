"""Hand-written DCGAN training loops, one per framework, for the benchmark.

Each builds the same network as `keras_gan_zoo.DCGAN(image_size=28, width=W)`
(same layers, shapes and parameter count), the same game (non-saturating
loss, one D then one G update, fresh latents per update), Adam(2e-4, 0.5) and
an EMA of the generator weights. `make_loop(latent_dim, width)` returns
`step(real_batch_numpy)`.
"""


LR, BETA_1, EMA = 2e-4, 0.5, 0.999


def torch_loop(latent_dim=100, width=64, channels=1):
    import copy

    import torch
    from torch import nn

    top = 2 * width
    generator = nn.Sequential(
        nn.Linear(latent_dim, 7 * 7 * top, bias=False), nn.BatchNorm1d(7 * 7 * top, eps=1e-3, momentum=0.01),
        nn.ReLU(), nn.Unflatten(1, (7, 7, top)), Permute(0, 3, 1, 2),
        nn.ConvTranspose2d(top, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width, eps=1e-3, momentum=0.01),
        nn.ReLU(), nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh(),
    )
    discriminator = nn.Sequential(
        nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, top, 4, 2, 1, bias=False), nn.BatchNorm2d(top, eps=1e-3, momentum=0.01),
        nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(7 * 7 * top, 1),
    )
    ema = copy.deepcopy(generator).requires_grad_(False)
    g_opt = torch.optim.Adam(generator.parameters(), LR, betas=(BETA_1, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), LR, betas=(BETA_1, 0.999))
    softplus = nn.functional.softplus

    def step(real):
        real = torch.from_numpy(real).permute(0, 3, 1, 2).float() / 127.5 - 1
        n = real.shape[0]
        fake = generator(torch.randn(n, latent_dim)).detach()
        d_loss = softplus(-discriminator(real)).mean() + softplus(discriminator(fake)).mean()
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        g_loss = softplus(-discriminator(generator(torch.randn(n, latent_dim)))).mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), generator.parameters()):
                e.lerp_(p, 1 - EMA)
            for e, b in zip(ema.buffers(), generator.buffers()):
                e.copy_(b)
        return float(d_loss), float(g_loss)

    return step




def Permute(*dims):
    import torch

    class _P(torch.nn.Module):
        def forward(self, x):
            return x.permute(*dims)

    return _P()


def jax_loop(latent_dim=100, width=64, channels=1):
    import jax
    import jax.numpy as jnp
    import optax

    top = 2 * width
    dn = ("NHWC", "HWIO", "NHWC")
    keys = iter(jax.random.split(jax.random.PRNGKey(0), 16))
    normal = lambda shape: 0.02 * jax.random.normal(next(keys), shape)
    g = {
        "dense": normal((latent_dim, 7 * 7 * top)),
        "bn0": (jnp.ones(7 * 7 * top), jnp.zeros(7 * 7 * top)),
        "up1": normal((4, 4, top, width)),
        "bn1": (jnp.ones(width), jnp.zeros(width)),
        "up2": normal((4, 4, width, channels)), "up2_b": jnp.zeros(channels),
    }
    g_stats = {"bn0": (jnp.zeros(7 * 7 * top), jnp.ones(7 * 7 * top)), "bn1": (jnp.zeros(width), jnp.ones(width))}
    d = {
        "c1": normal((4, 4, channels, width)), "c1_b": jnp.zeros(width),
        "c2": normal((4, 4, width, top)), "bn": (jnp.ones(top), jnp.zeros(top)),
        "dense": normal((7 * 7 * top, 1)), "dense_b": jnp.zeros(1),
    }
    d_stats = {"bn": (jnp.zeros(top), jnp.ones(top))}

    def batch_norm(x, scale_shift, stats, axes):
        mean, var = x.mean(axes), x.var(axes)
        scale, shift = scale_shift
        y = (x - mean) / jnp.sqrt(var + 1e-3) * scale + shift
        old_mean, old_var = stats
        return y, (0.99 * old_mean + 0.01 * mean, 0.99 * old_var + 0.01 * var)

    def generate(p, stats, z):
        x, s0 = batch_norm(z @ p["dense"], p["bn0"], stats["bn0"], (0,))
        x = jax.nn.relu(x).reshape(-1, 7, 7, top)
        x = jax.lax.conv_transpose(x, p["up1"], (2, 2), "SAME", dimension_numbers=dn)
        x, s1 = batch_norm(x, p["bn1"], stats["bn1"], (0, 1, 2))
        x = jax.lax.conv_transpose(jax.nn.relu(x), p["up2"], (2, 2), "SAME", dimension_numbers=dn)
        return jnp.tanh(x + p["up2_b"]), {"bn0": s0, "bn1": s1}

    def discriminate(p, stats, x):
        x = jax.lax.conv_general_dilated(x, p["c1"], (2, 2), "SAME", dimension_numbers=dn) + p["c1_b"]
        x = jax.lax.conv_general_dilated(jax.nn.leaky_relu(x, 0.2), p["c2"], (2, 2), "SAME", dimension_numbers=dn)
        x, s = batch_norm(x, p["bn"], stats["bn"], (0, 1, 2))
        x = jax.nn.leaky_relu(x, 0.2).reshape(x.shape[0], -1)
        return x @ p["dense"] + p["dense_b"], {"bn": s}

    g_tx = optax.adam(LR, b1=BETA_1)
    d_tx = optax.adam(LR, b1=BETA_1)
    state = {"g": g, "d": d, "gs": g_stats, "ds": d_stats, "ema": jax.tree.map(jnp.copy, g),
             "g_opt": g_tx.init(g), "d_opt": d_tx.init(d), "key": jax.random.PRNGKey(1)}

    @jax.jit
    def train_step(state, real):
        real = real.astype(jnp.float32) / 127.5 - 1
        key, k1, k2 = jax.random.split(state["key"], 3)
        n = real.shape[0]
        fake, gs = generate(state["g"], state["gs"], jax.random.normal(k1, (n, latent_dim)))
        fake = jax.lax.stop_gradient(fake)

        def d_loss_fn(dp):
            real_logits, ds = discriminate(dp, state["ds"], real)
            fake_logits, ds = discriminate(dp, ds, fake)
            loss = jax.nn.softplus(-real_logits).mean() + jax.nn.softplus(fake_logits).mean()
            return loss, ds

        (d_loss, ds), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(state["d"])
        updates, d_opt = d_tx.update(d_grads, state["d_opt"], state["d"])
        d = optax.apply_updates(state["d"], updates)

        def g_loss_fn(gp):
            images, new_gs = generate(gp, gs, jax.random.normal(k2, (n, latent_dim)))
            logits, new_ds = discriminate(d, ds, images)
            return jax.nn.softplus(-logits).mean(), (new_gs, new_ds)

        (g_loss, (gs2, ds2)), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(state["g"])
        updates, g_opt = g_tx.update(g_grads, state["g_opt"], state["g"])
        g_new = optax.apply_updates(state["g"], updates)
        ema = jax.tree.map(lambda e, p: EMA * e + (1 - EMA) * p, state["ema"], g_new)
        new = {"g": g_new, "d": d, "gs": gs2, "ds": ds2, "ema": ema, "g_opt": g_opt, "d_opt": d_opt, "key": key}
        return new, d_loss, g_loss

    holder = {"state": state}

    def step(real):
        holder["state"], d_loss, g_loss = train_step(holder["state"], real)
        return d_loss, g_loss

    def sync():
        jax.block_until_ready(holder["state"]["g"])

    step.sync = sync
    return step


def tensorflow_loop(latent_dim=100, width=64, channels=1):
    import keras
    import tensorflow as tf

    from keras_gan_zoo.models.dcgan import build_discriminator, build_generator

    generator = build_generator(latent_dim, 28, channels, width)
    discriminator = build_discriminator(28, channels, width)
    ema = build_generator(latent_dim, 28, channels, width, name="ema")
    for e, v in zip(ema.weights, generator.weights):
        e.assign(v)
    g_opt = keras.optimizers.Adam(LR, beta_1=BETA_1)
    d_opt = keras.optimizers.Adam(LR, beta_1=BETA_1)
    g_opt.build(generator.trainable_variables)
    d_opt.build(discriminator.trainable_variables)

    @tf.function(jit_compile=False)
    def train_step(real):
        real = tf.cast(real, tf.float32) / 127.5 - 1
        n = tf.shape(real)[0]
        fake = generator(tf.random.normal((n, latent_dim)), training=True)
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(tf.nn.softplus(-discriminator(real, training=True))) + tf.reduce_mean(
                tf.nn.softplus(discriminator(fake, training=True)))
        d_opt.apply(tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
        with tf.GradientTape() as tape:
            g_loss = tf.reduce_mean(tf.nn.softplus(-discriminator(generator(tf.random.normal((n, latent_dim)), training=True), training=True)))
        g_opt.apply(tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        for e, v in zip(ema.weights, generator.weights):
            e.assign(EMA * e + (1 - EMA) * v if v.trainable else v)
        return d_loss, g_loss

    def step(real):
        return train_step(real)

    return step


LOOPS = {"torch": torch_loop, "jax": jax_loop, "tensorflow": tensorflow_loop}
