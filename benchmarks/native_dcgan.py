"""Hand-written DCGAN training loops, one per framework, for the benchmark.

Each builds the same network as `keras_gan_zoo.DCGAN(image_size=S,
channels=C, width=W)` for any size DCGAN accepts (28: 7x7 -> 28x28; 64: the
paper's LSUN network, 4x4 -> 64x64), with the same layers, shapes and
parameter count, the same game (non-saturating loss, one D then one G
update, fresh latents per update), Adam(2e-4, 0.5) and an EMA of the
generator weights. `LOOPS[backend](latent_dim, width, channels, image_size)`
returns `step(real_batch_numpy)`, whose `num_parameters` is (generator,
discriminator) trainable parameters, for the benchmark to check against Keras.
"""


def _layout(image_size, width):
    """(base, generator filters per level from the top, discriminator filters
    per level) of keras_gan_zoo's DCGAN at this size."""
    from keras_gan_zoo.models.dcgan import _base_size

    base, levels = _base_size(image_size)
    return base, [width * 2 ** (levels - 1 - i) for i in range(levels)], [width * 2 ** i for i in range(levels)]


LR, BETA_1, EMA = 2e-4, 0.5, 0.999


def torch_loop(latent_dim=100, width=64, channels=1, image_size=28):
    import copy

    import torch
    from torch import nn

    base, g_filters, d_filters = _layout(image_size, width)
    top = g_filters[0]
    g_layers = [nn.Linear(latent_dim, base * base * top, bias=False),
                nn.BatchNorm1d(base * base * top, eps=1e-3, momentum=0.01),
                nn.ReLU(), nn.Unflatten(1, (base, base, top)), Permute(0, 3, 1, 2)]
    for filters_in, filters in zip(g_filters, g_filters[1:]):
        g_layers += [nn.ConvTranspose2d(filters_in, filters, 4, 2, 1, bias=False),
                     nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01), nn.ReLU()]
    generator = nn.Sequential(*g_layers, nn.ConvTranspose2d(g_filters[-1], channels, 4, 2, 1), nn.Tanh())
    d_layers = []
    for i, (filters_in, filters) in enumerate(zip([channels] + d_filters, d_filters)):
        d_layers.append(nn.Conv2d(filters_in, filters, 4, 2, 1, bias=i == 0))
        if i:  # no batchnorm on the input layer, as in the Keras network
            d_layers.append(nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01))
        d_layers.append(nn.LeakyReLU(0.2))
    discriminator = nn.Sequential(*d_layers, nn.Flatten(), nn.Linear(base * base * d_filters[-1], 1))
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # where Keras's torch runs
    generator.to(device), discriminator.to(device)
    ema = copy.deepcopy(generator).requires_grad_(False)
    g_opt = torch.optim.Adam(generator.parameters(), LR, betas=(BETA_1, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), LR, betas=(BETA_1, 0.999))
    softplus = nn.functional.softplus

    def step(real):
        real = torch.from_numpy(real).to(device).permute(0, 3, 1, 2).float() / 127.5 - 1
        n = real.shape[0]
        fake = generator(torch.randn(n, latent_dim, device=device)).detach()
        d_loss = softplus(-discriminator(real)).mean() + softplus(discriminator(fake)).mean()
        d_opt.zero_grad(set_to_none=True)
        d_loss.backward()
        d_opt.step()
        g_loss = softplus(-discriminator(generator(torch.randn(n, latent_dim, device=device)))).mean()
        g_opt.zero_grad(set_to_none=True)
        g_loss.backward()
        g_opt.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), generator.parameters()):
                e.lerp_(p, 1 - EMA)
            for e, b in zip(ema.buffers(), generator.buffers()):
                e.copy_(b)
        return d_loss.detach(), g_loss.detach()

    step.sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    count = lambda module: sum(p.numel() for p in module.parameters())
    step.num_parameters = (count(generator), count(discriminator))
    return step




def Permute(*dims):
    import torch

    class _P(torch.nn.Module):
        def forward(self, x):
            return x.permute(*dims)

    return _P()


def jax_loop(latent_dim=100, width=64, channels=1, image_size=28):
    import jax
    import jax.numpy as jnp
    import optax

    base, g_filters, d_filters = _layout(image_size, width)
    top = g_filters[0]
    dn = ("NHWC", "HWIO", "NHWC")
    keys = iter(jax.random.split(jax.random.PRNGKey(0), 4 * len(g_filters) + 8))
    normal = lambda shape: 0.02 * jax.random.normal(next(keys), shape)
    bn = lambda n: (jnp.ones(n), jnp.zeros(n))
    stat = lambda n: (jnp.zeros(n), jnp.ones(n))
    g = {"dense": normal((latent_dim, base * base * top)), "bn0": bn(base * base * top),
         "ups": [normal((4, 4, a, b)) for a, b in zip(g_filters, g_filters[1:])],
         "up_bns": [bn(b) for b in g_filters[1:]],
         "out": normal((4, 4, g_filters[-1], channels)), "out_b": jnp.zeros(channels)}
    g_stats = {"bn0": stat(base * base * top), "up_bns": [stat(b) for b in g_filters[1:]]}
    d = {"convs": [normal((4, 4, a, b)) for a, b in zip([channels] + d_filters, d_filters)],
         "c0_b": jnp.zeros(d_filters[0]), "bns": [bn(b) for b in d_filters[1:]],
         "dense": normal((base * base * d_filters[-1], 1)), "dense_b": jnp.zeros(1)}
    d_stats = {"bns": [stat(b) for b in d_filters[1:]]}

    def batch_norm(x, scale_shift, stats, axes):
        mean, var = x.mean(axes), x.var(axes)
        scale, shift = scale_shift
        y = (x - mean) / jnp.sqrt(var + 1e-3) * scale + shift
        old_mean, old_var = stats
        return y, (0.99 * old_mean + 0.01 * mean, 0.99 * old_var + 0.01 * var)

    def generate(p, stats, z):
        x, s0 = batch_norm(z @ p["dense"], p["bn0"], stats["bn0"], (0,))
        x = jax.nn.relu(x).reshape(-1, base, base, top)
        new = []
        for kernel, scale_shift, old in zip(p["ups"], p["up_bns"], stats["up_bns"]):
            x = jax.lax.conv_transpose(x, kernel, (2, 2), "SAME", dimension_numbers=dn)
            x, s = batch_norm(x, scale_shift, old, (0, 1, 2))
            x = jax.nn.relu(x)
            new.append(s)
        x = jax.lax.conv_transpose(x, p["out"], (2, 2), "SAME", dimension_numbers=dn)
        return jnp.tanh(x + p["out_b"]), {"bn0": s0, "up_bns": new}

    def discriminate(p, stats, x):
        new = []
        for i, kernel in enumerate(p["convs"]):
            x = jax.lax.conv_general_dilated(x, kernel, (2, 2), "SAME", dimension_numbers=dn)
            if i == 0:
                x = x + p["c0_b"]
            else:
                x, s = batch_norm(x, p["bns"][i - 1], stats["bns"][i - 1], (0, 1, 2))
                new.append(s)
            x = jax.nn.leaky_relu(x, 0.2)
        x = x.reshape(x.shape[0], -1)
        return x @ p["dense"] + p["dense_b"], {"bns": new}

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
    count = lambda tree: sum(leaf.size for leaf in jax.tree.leaves(tree))
    step.num_parameters = (count(g), count(d))
    return step


def tensorflow_loop(latent_dim=100, width=64, channels=1, image_size=28):
    import keras
    import tensorflow as tf

    from keras_gan_zoo.models.dcgan import build_discriminator, build_generator

    generator = build_generator(latent_dim, image_size, channels, width)
    discriminator = build_discriminator(image_size, channels, width)
    ema = build_generator(latent_dim, image_size, channels, width, name="ema")
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

    count = lambda model: sum(int(v.numpy().size) for v in model.trainable_variables)
    step.num_parameters = (count(generator), count(discriminator))
    return step


LOOPS = {"torch": torch_loop, "jax": jax_loop, "tensorflow": tensorflow_loop}
