"""The one place where keras-gan-zoo talks to a backend directly.

Everything else (models, losses, the adversarial game) is written with `keras`
and `keras.ops` only. Each backend differentiates differently:

- TensorFlow: a `tf.GradientTape` around the loss.
- PyTorch: `torch.autograd.grad` on the player's own parameters (never
  `.backward()`, which would leave gradients on the other player's weights).
- JAX: the whole train step runs inside a `keras.StatelessScope`; each player's
  loss is re-run in a nested scope as a pure function of that player's weights
  and differentiated with `jax.value_and_grad`. State written inside (batch-norm
  statistics, seed generators) is carried out and recorded in the outer scope.
"""

import contextlib
import os

import keras
import numpy as np
from keras import ops

BACKEND = keras.backend.backend()

if BACKEND == "tensorflow":
    import tensorflow as tf
elif BACKEND == "torch":
    import torch
elif BACKEND == "jax":
    import jax


# PyTorch fast paths: Keras functions this module replaces on the torch
# backend with equivalents that compute the same values faster (measured in
# benchmarks/RESULTS.md; tests/test_layers.py checks outputs, gradients and
# batch-norm statistics against Keras's own path). Each entry is
# (owner, attribute name, Keras's original, the replacement).
_TORCH_FAST_PATHS = []


def set_torch_fast_paths(enabled):
    """Switches this module's PyTorch fast paths on (the default) or off.

    Off, Keras's own torch code runs; `benchmarks/train_step.py
    --keras-torch-path` times that. A no-op on other backends.

    Example:
        >>> from keras_gan_zoo import gradients
        >>> gradients.set_torch_fast_paths(False)   # Keras's own torch path
        >>> gradients.set_torch_fast_paths(True)
    """
    for owner, name, original, replacement in _TORCH_FAST_PATHS:
        setattr(owner, name, replacement if enabled else original)


def _install_torch_fast_path(owner, name, make_replacement, switchable=True):
    """Replaces `owner.name` with `make_replacement(original)` once.
    `switchable=False` installs a fix (not a speed-up) that
    `set_torch_fast_paths` leaves in place."""
    original = getattr(owner, name, None)
    if original is None or getattr(original, "keras_gan_zoo_fast_path", False):
        return
    replacement = make_replacement(original)
    replacement.keras_gan_zoo_fast_path = True
    if switchable:
        _TORCH_FAST_PATHS.append((owner, name, original, replacement))
    setattr(owner, name, replacement)


def _channels_last_view(original):
    """Saves two copies of every 2-D convolution's input on PyTorch.

    Keras's torch backend turns a channels-last (NHWC) input into NCHW with
    `permute(...).contiguous()`, a copy, and then, for `conv`, back into
    PyTorch's channels-last memory format with a second copy, which is what
    the permuted view already was. For a contiguous 4-D input this returns
    the view itself: the convolution, transposed convolution and pooling
    kernels read channels-last memory directly. Other inputs keep Keras's
    path.
    """

    def transpose_spatial_inputs(inputs):
        if inputs.ndim == 4 and inputs.is_contiguous():
            return torch.permute(inputs, (0, 3, 1, 2))
        return original(inputs)

    return transpose_spatial_inputs


def _fused_batch_norm(original):
    """Training-mode `BatchNormalization` of channels-last float32 images and
    of (batch, features) inputs as one fused PyTorch kernel.

    Keras's layer builds the moments and the normalisation from elementwise
    ops (about a dozen kernels forward and as many backward); PyTorch's
    `native_batch_norm` does both in one pass over channels-last memory. The
    moving statistics keep Keras's rule: the kernel returns the batch mean and
    1/sqrt(biased variance + epsilon), from which the biased variance Keras
    uses is recovered (PyTorch's own running-variance update would use the
    unbiased one and change the statistics presets share across backends).
    Masks, renorm, synchronized statistics, inference, other ranks and other
    dtypes keep Keras's path.
    """

    def call(self, inputs, training=None, mask=None):
        if not (training is True and self.trainable and mask is None and not self.renorm
                and not getattr(self, "synchronized", False)
                and isinstance(inputs, torch.Tensor) and inputs.ndim in (2, 4)
                and self.axis in (inputs.ndim - 1, -1)
                and inputs.dtype == torch.float32 and self.compute_dtype == "float32"
                and inputs.is_contiguous()):
            return original(self, inputs, training=training, mask=mask)
        gamma = self.gamma.value if self.scale else None
        beta = self.beta.value if self.center else None
        channels_first = torch.permute(inputs, (0, 3, 1, 2)) if inputs.ndim == 4 else inputs
        outputs, mean, inverse_std = torch.native_batch_norm(
            channels_first, gamma, beta, None, None, True, 0.0, self.epsilon)
        with torch.no_grad():
            variance = torch.clamp_min(inverse_std.pow(-2) - self.epsilon, 0.0)
            self.moving_mean.assign(self.moving_mean.value * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                self.moving_variance.value * self.momentum + variance * (1.0 - self.momentum))
        return torch.permute(outputs, (0, 2, 3, 1)) if inputs.ndim == 4 else outputs

    return call


def _cropping_conv_transpose(original):
    """Transposed 2-D convolutions without Keras's crop-and-copy on PyTorch.

    Keras's torch backend calls `conv_transpose2d` with no padding and then
    slices the full output down to the Keras window: the result is a strided
    view, so the next layer copies it (and the fused batch norm falls back to
    Keras's path), and the backward pass writes the gradient into a zeroed
    full-size buffer. When the window drops as many rows and columns on the
    left as on the right (even kernels with "same", e.g. kernel 4, stride 2:
    one on each side), PyTorch's own symmetric `padding` expresses the same
    window, and the output comes back contiguous channels-last. Asymmetric
    windows (odd kernels with stride 2), other data formats and ranks keep
    Keras's path.
    """
    from keras.src.backend.common.backend_utils import (
        compute_conv_transpose_output_crops_for_torch,
    )

    def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                       data_format=None, dilation_rate=1):
        inputs = _torch_nn.convert_to_tensor(inputs)
        kernel = _torch_nn.convert_to_tensor(kernel)
        data_format = _torch_nn.backend.standardize_data_format(data_format)
        # float32 only: PyTorch's CPU half-precision kernel needs contiguous weights.
        if (inputs.ndim == 4 and data_format == "channels_last" and inputs.is_contiguous()
                and inputs.dtype == torch.float32 and kernel.dtype == torch.float32):
            strides2 = _torch_nn.standardize_tuple(strides, 2, "strides")
            dilation2 = _torch_nn.standardize_tuple(dilation_rate, 2, "dilation_rate")
            crops = compute_conv_transpose_output_crops_for_torch(
                input_shape=inputs.shape, kernel_shape=kernel.shape, strides=strides2,
                padding=padding, output_padding=output_padding, dilation_rate=dilation2)
            if (kernel.shape[-1] == inputs.shape[-1]
                    and all(left == right >= 0 for left, right in crops)):
                outputs = torch.nn.functional.conv_transpose2d(
                    torch.permute(inputs, (0, 3, 1, 2)), _torch_nn._transpose_conv_kernel(kernel),
                    stride=strides2, padding=[left for left, _ in crops], dilation=dilation2)
                return torch.permute(outputs, (0, 2, 3, 1))
        return original(inputs, kernel, strides=strides, padding=padding,
                        output_padding=output_padding, data_format=data_format,
                        dilation_rate=dilation_rate)

    return conv_transpose


def _contiguous_half_kernel(original):
    """Half-precision convolution kernels as contiguous tensors: PyTorch's CPU
    float16/bfloat16 convolution backward rejects the permuted view Keras
    passes ("slow_conv2d: grad_weight must be contiguous"). float32 keeps
    Keras's view. A fix rather than a speed-up: `set_torch_fast_paths(False)`
    leaves it installed, so Keras's own path still trains in mixed precision."""

    def transpose_conv_kernel(kernel):
        kernel = original(kernel)
        return kernel if kernel.dtype == torch.float32 else kernel.contiguous()

    return transpose_conv_kernel


# Built-in Keras layers whose `call` needs nothing from `Layer.__call__` once
# they are built (no sublayers, no masks of their own): `_direct_layer_calls`
# calls them directly. Exact types: a subclass may rely on `__call__`.
_DIRECT_CALL_LAYERS = (
    keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv2DTranspose,
    keras.layers.BatchNormalization, keras.layers.LayerNormalization, keras.layers.Activation,
    keras.layers.LeakyReLU, keras.layers.ReLU, keras.layers.Reshape, keras.layers.Flatten,
    keras.layers.Dropout, keras.layers.UpSampling2D, keras.layers.ZeroPadding2D,
    keras.layers.AveragePooling2D, keras.layers.MaxPooling2D, keras.layers.Add,
    keras.layers.Concatenate, keras.layers.Multiply,
)


def _direct_layer_calls(original):
    """Runs a functional model's plain Keras layers by their `call` on PyTorch.

    `Layer.__call__` does a lot of Python per call (input conversion, the call
    signature, build and input-spec checks, the training flag's resolution,
    masks, name and autocast scopes, PyTorch's module hooks). Eager PyTorch pays
    it per layer per step: on a small network, or a GPU fast enough that the
    step waits on Python, it costs more than the layers' kernels (the tiny-DCGAN
    rows of `benchmarks/RESULTS.md`). For a built float32 layer of the kinds in
    `_DIRECT_CALL_LAYERS` (not a subclass), without sublayers or activity
    regularizer, given float32 tensors without masks, called with `training`
    given as True or False and no distribution, this gives `call` exactly what
    `__call__` would (the resolved `training`), so values, gradients and state
    updates are the same (tests/test_layers.py).
    Every other layer, and symbolic calls, keep Keras's path.
    """
    from keras.src.backend.common.masking import get_keras_mask
    from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    from keras.src.distribution import distribution_lib
    from keras.src.models import functional

    def direct(operation, training):
        if not (type(operation) in _DIRECT_CALL_LAYERS and operation.built
                and not operation._layers and operation.activity_regularizer is None
                and operation.dtype_policy.name == "float32"):
            return functional.operation_fn(operation, training=training)
        call = operation.call

        def run(*args, **kwargs):
            first = args[0] if args else None
            tensors = first if isinstance(first, (list, tuple)) else [first]
            if not all(isinstance(t, torch.Tensor) and t.dtype == torch.float32
                       and get_keras_mask(t) is None for t in tensors):
                return operation(*args, **kwargs)  # casts, masks, keyword inputs: Keras's path
            if operation._call_has_training_arg:
                kwargs["training"] = training
            return call(*args, **kwargs)

        return run

    def call(self, inputs, training=None, mask=None, **kwargs):
        if (mask is not None or kwargs or not isinstance(training, bool) or in_symbolic_scope()
                or distribution_lib.distribution() is not None):
            return original(self, inputs, training=training, mask=mask, **kwargs)
        outputs = self._run_through_graph(self._standardize_inputs(inputs),
                                          operation_fn=lambda operation: direct(operation, training))
        return functional.unpack_singleton(outputs)

    return call


def _direct_model_calls(original):
    """`model(x, training=...)` of a built functional model straight into its
    `call` on PyTorch.

    The model's own `Layer.__call__` is the same Python as each layer's (see
    `_direct_layer_calls`), paid once per network call: after the layers' it was
    the largest Python cost left in the Python-bound DCGAN step. Taken for one
    float32 tensor without a mask, `training` given as True or False, a float32
    model, no autocast scope, no distribution and no symbolic call; anything
    else (several inputs, integer labels, masks, mixed precision) keeps Keras's
    path, which also checks the input against the model's input shape.
    """
    from keras.src.backend.common.masking import get_keras_mask
    from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    from keras.src.backend.common.variables import get_autocast_scope
    from keras.src.distribution import distribution_lib

    def __call__(self, *args, **kwargs):
        training = kwargs.get("training")
        if (len(args) == 1 and len(kwargs) == 1 and isinstance(training, bool) and self.built
                and isinstance(args[0], torch.Tensor) and args[0].dtype == torch.float32
                and get_keras_mask(args[0]) is None and len(self.inputs) == 1
                and self.dtype_policy.name == "float32" and get_autocast_scope() is None
                and not in_symbolic_scope() and distribution_lib.distribution() is None):
            self._called = True
            return self.call(args[0], training=training)
        return original(self, *args, **kwargs)

    return __call__


def ema_update(pairs, decay):
    """Moves each EMA variable toward its source after a training step:
    `decay * ema + (1 - decay) * source` for trainable weights; other state
    (batch-norm statistics) is copied. `decay` is a float or a scalar tensor.

    Example:
        >>> gradients.ema_update(model.ema_pairs(), 0.999)
    """
    for source, ema in pairs:
        if source.trainable:
            ema.assign(decay * ema.value + (1.0 - decay) * ops.convert_to_tensor(source.value))
        else:
            ema.assign(source.value)


def _foreach_ema_update(original):
    """The EMA update as three multi-tensor PyTorch kernels, not four Keras ops
    and an `assign` per variable: `ema += (1 - decay) * (source - ema)`, the same
    value to rounding. Anything but float32 variables of one device keeps the
    generic update."""

    def update(pairs, decay):
        pairs = list(pairs)
        sources = [source.value for source, _ in pairs]
        targets = [ema.value for _, ema in pairs]
        if not pairs or any(
                not isinstance(v, torch.Tensor) or v.dtype != torch.float32 or v.device != targets[0].device
                for v in sources + targets):
            return original(pairs, decay)
        moving = [i for i, (source, _) in enumerate(pairs) if source.trainable]
        copied = [i for i in range(len(pairs)) if i not in set(moving)]
        with torch.no_grad():
            if moving:
                steps = torch._foreach_sub([sources[i] for i in moving], [targets[i] for i in moving])
                weight = 1.0 - decay
                if isinstance(weight, torch.Tensor):
                    weight = weight.to(device=targets[0].device, dtype=torch.float32)
                torch._foreach_mul_(steps, weight)
                torch._foreach_add_([targets[i] for i in moving], steps)
            if copied:
                torch._foreach_copy_([targets[i] for i in copied], [sources[i] for i in copied])

    return update


if BACKEND == "torch":
    try:
        from keras.src.backend.torch import nn as _torch_nn
    except ImportError:  # a Keras without that module: nothing to do
        _torch_nn = None
    if _torch_nn is not None:
        _install_torch_fast_path(_torch_nn, "_transpose_spatial_inputs", _channels_last_view)
        _install_torch_fast_path(_torch_nn, "conv_transpose", _cropping_conv_transpose)
        _install_torch_fast_path(_torch_nn, "_transpose_conv_kernel", _contiguous_half_kernel, switchable=False)
    _install_torch_fast_path(keras.layers.BatchNormalization, "call", _fused_batch_norm)
    import sys as _sys
    _install_torch_fast_path(_sys.modules[__name__], "ema_update", _foreach_ema_update)
    try:
        from keras.src.models.functional import Functional as _Functional
    except ImportError:
        _Functional = None
    if _Functional is not None:
        _install_torch_fast_path(_Functional, "call", _direct_layer_calls)
        _install_torch_fast_path(_Functional, "__call__", _direct_model_calls)


def _current_scope():
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    return get_stateless_scope()


def _scope_copying(outer, overrides=()):
    """A StatelessScope that starts from `outer`'s values (plus `overrides`)."""
    scope = keras.StatelessScope()
    if outer is not None:
        scope.state_mapping = dict(outer.state_mapping)
    for variable, value in overrides:
        scope.state_mapping[id(variable)] = value
    return scope


def value_and_grad(loss_fn, variables):
    """Returns `(loss, grads)` of `loss_fn()` with respect to `variables`.

    `loss_fn` takes no argument and returns a scalar tensor; it may read any
    variable and update non-trained state (batch-norm statistics, seeds).
    """
    variables = list(variables)
    if BACKEND == "tensorflow":
        with tf.GradientTape() as tape:
            loss = loss_fn()
        return loss, tape.gradient(loss, [v.value for v in variables])
    if BACKEND == "torch":
        loss = loss_fn()
        grads = torch.autograd.grad(
            loss, [v.value for v in variables], allow_unused=True
        )
        return loss, list(grads)
    if BACKEND == "jax":
        outer = _current_scope()
        if outer is None:
            raise RuntimeError(
                "On JAX, value_and_grad must run inside AdversarialModel's "
                "train step (a keras.StatelessScope)."
            )
        given = {id(v) for v in variables}

        def pure_loss(values):
            scope = _scope_copying(outer, zip(variables, values))
            before = dict(scope.state_mapping)
            with scope:
                loss = loss_fn()
            # Carry out the state written inside (moving averages, seeds).
            written = {
                key: value
                for key, value in scope.state_mapping.items()
                if key not in given and value is not before.get(key)
            }
            return loss, written

        values = [outer.state_mapping.get(id(v), v.value) for v in variables]
        (loss, written), grads = jax.value_and_grad(pure_loss, has_aux=True)(
            values
        )
        outer.state_mapping.update(written)
        return loss, grads
    raise NotImplementedError(f"Unsupported Keras backend: {BACKEND}")


def input_gradients(fn, inputs):
    """Gradient of `sum(fn(inputs))` with respect to `inputs`.

    Used by gradient penalties (WGAN-GP, R1), so the result stays
    differentiable with respect to the weights `fn` reads. State written by
    `fn` (e.g. batch-norm statistics) is discarded.
    """
    if BACKEND == "tensorflow":
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            with _scope_copying(_current_scope()):
                out = ops.sum(fn(inputs))
        return tape.gradient(out, inputs)
    if BACKEND == "torch":
        inputs = inputs.detach().requires_grad_(True)
        with _scope_copying(_current_scope()):
            out = ops.sum(fn(inputs))
        (grad,) = torch.autograd.grad(out, inputs, create_graph=True)
        return grad
    if BACKEND == "jax":
        outer = _current_scope()

        def total(x):
            with _scope_copying(outer):
                return ops.sum(fn(x))

        return jax.grad(total)(inputs)
    raise NotImplementedError(f"Unsupported Keras backend: {BACKEND}")


def value_and_input_gradient(fn):
    """`x -> (fn(x), d sum(fn(x)) / dx)`, both numpy, for a numpy `x`.

    `fn` maps a backend tensor to per-example values (e.g. one
    reconstruction error per image) through networks run in inference mode,
    outside `fit`: what latent projection descends. On JAX the function is
    compiled once, with the weights it reads as they are now.
    """
    if BACKEND == "tensorflow":
        @tf.function(reduce_retracing=True)
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                values = fn(x)
                total = tf.reduce_sum(values)
            return values, tape.gradient(total, x)

        return lambda x: tuple(np.asarray(t) for t in step(tf.convert_to_tensor(x, "float32")))
    if BACKEND == "torch":
        def step(x):
            x = ops.convert_to_tensor(x, "float32").requires_grad_(True)
            values = fn(x)
            (grad,) = torch.autograd.grad(values.sum(), x)
            return values.detach().cpu().numpy(), grad.cpu().numpy()

        return step
    if BACKEND == "jax":
        def total(x):
            values = fn(x)
            return jax.numpy.sum(values), values

        compiled = jax.jit(jax.value_and_grad(total, has_aux=True))

        def step(x):
            (_, values), grad = compiled(jax.numpy.asarray(x, "float32"))
            return np.asarray(values), np.asarray(grad)

        return step
    raise NotImplementedError(f"Unsupported Keras backend: {BACKEND}")


def inference_function(fn, variables):
    """`fn(*tensors)` compiled for inference: one graph per input shapes
    instead of one backend call per op, for a function that a loop calls
    many times (a decoder's step per output position).

    TensorFlow: `tf.function` (it reads the variables as they are at each
    call). JAX: `jax.jit` with `variables` passed in at each call through a
    `keras.StatelessScope`, so later weight updates are read without a new
    compilation. PyTorch: `fn` as it is, under `no_grad` (its per-op
    dispatch is cheap). Pass tensors, not Python numbers, for arguments that
    change between calls (a Python number is a constant to the graph).
    """
    if BACKEND == "tensorflow":
        return tf.function(fn, reduce_retracing=True)
    if BACKEND == "jax":
        variables = list(variables)

        def pure(values, *args):
            with keras.StatelessScope(state_mapping=list(zip(variables, values))):
                return fn(*args)

        compiled = jax.jit(pure)
        return lambda *args: compiled([v.value for v in variables], *args)
    if BACKEND == "torch":
        def call(*args):
            with torch.no_grad():
                return fn(*args)

        return call
    raise NotImplementedError(f"Unsupported Keras backend: {BACKEND}")


@contextlib.contextmanager
def no_grad():
    """Context in which no autograd graph is recorded (PyTorch only)."""
    if BACKEND == "torch":
        with torch.no_grad():
            yield
    else:
        yield


def apply_gradients(optimizer, grads, variables):
    """Applies `grads` with `optimizer`; missing gradients become zeros."""
    variables = list(variables)
    grads = [
        ops.zeros_like(v.value) if g is None else g
        for g, v in zip(grads, variables)
    ]
    if replica()[1] > 1:
        grads = _average_over_replicas(grads)
    if BACKEND == "tensorflow" and optimizer.loss_scale_factor:
        # Keras divides each gradient by the loss scale, which an embedding's
        # sparse IndexedSlices gradient does not support: make it dense.
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    with no_grad():
        optimizer.apply(grads, variables)


def run_train_step(model, play, *args):
    """Runs `play(data) -> logs` as the backend's `train_step` expects.

    TensorFlow and PyTorch call `train_step(data)` and update variables in
    place. JAX calls `train_step(state, data)` and wants `(logs, new_state)`.
    """
    if BACKEND != "jax":
        (data,) = args
        return play(data)
    state, data = args
    trainable, non_trainable, optimizer_values, metrics_values = state
    groups = [
        (model.trainable_variables, trainable),
        (model.non_trainable_variables, non_trainable),
        (model.optimizer.variables, optimizer_values),
        (model.metrics_variables, metrics_values),
    ]
    mapping = [pair for refs, values in groups for pair in zip(refs, values)]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        logs = play(data)
    new_state = tuple(
        [scope.get_current_value(v) for v in refs] for refs, _ in groups
    )
    return logs, new_state


def device_description():
    """A short description of the accelerator the backend computes on."""
    import platform

    name = None
    try:
        if BACKEND == "torch" and torch.cuda.is_available():
            name = torch.cuda.get_device_name(0)
        elif BACKEND == "jax" and jax.devices()[0].platform != "cpu":
            name = jax.devices()[0].device_kind
        elif BACKEND == "tensorflow" and tf.config.list_physical_devices("GPU"):
            name = tf.config.experimental.get_device_details(
                tf.config.list_physical_devices("GPU")[0]
            ).get("device_name", "GPU")
    except Exception:
        name = None
    return name or f"CPU ({os.cpu_count()} cores, {platform.machine()})"


def fit_input(batches):
    """What `fit` should be given for `batches` (a `checkpoint.StepBatches`,
    an `UnpairedBatches.schedule`, or any `PyDataset` whose batch `i` is
    `arrays()` indexed by `rows(i)`: one index array for all of them, or a
    tuple with one per array): the same batches in the same order, read
    fast on this backend.

    Keras's TensorFlow trainer reads a `PyDataset` through
    `tf.data.Dataset.from_generator`, a Python call per batch that doubled
    the `dcgan-mnist` step on a 2-core CPU (0.337 s against 0.177 s for the
    same batches as an array, `benchmarks/step_input.py`; the `from_generator` pipeline alone delivers a
    batch in 0.6 ms, so the cost is the generator thread competing with the
    step). On TensorFlow this returns a `tf.data` pipeline that gathers each
    batch's rows inside the graph from the row indices `batches` would use;
    PyTorch and JAX read the `PyDataset` at array speed, and get it back as is.

    Example:

    >>> data = checkpoint.StepBatches(images, None, batch_size=64, seed=0, steps=1000)
    >>> model.fit(fit_input(data), steps_per_epoch=100, epochs=10)
    """
    if BACKEND != "tensorflow" or len(batches) == 0:
        return batches
    arrays = tuple(tf.constant(array) for array in batches.arrays())

    def per_array(index):
        rows = batches.rows(index)
        return np.stack(rows if isinstance(rows, tuple) else (rows,) * len(arrays))

    rows = np.stack([per_array(index) for index in range(len(batches))]).astype("int32")
    return (tf.data.Dataset.from_tensor_slices(rows)
            .map(lambda batch_rows: tuple(tf.gather(array, batch_rows[k]) for k, array in enumerate(arrays)))
            .prefetch(2))


@contextlib.contextmanager
def data_parallel(devices):
    """Data parallelism through the backends' own engines, for the models
    built and trained inside. Yields a description of the layout (`None`
    for one device, where nothing changes).

    - JAX: Keras's distribution API (`keras.distribution.DataParallel`) over
      the first `devices` devices of this process: each batch is split
      across them, the weights are replicated and the gradients averaged by
      XLA; BatchNorm sees the whole batch. On a CPU,
      `XLA_FLAGS=--xla_force_host_platform_device_count=N` (set before
      Python starts) shows N devices, for trying it out.
    - PyTorch: one process per device, started by `torchrun`, which sets
      `WORLD_SIZE`; then `devices` may be left at 1 (or must equal the
      world size). This joins the process group (NCCL on GPUs, gloo on CPUs),
      as PyTorch's DistributedDataParallel does; each process trains on its
      share of every batch (`replica()`, `checkpoint.StepBatches(shard=)`),
      the weights start equal (broadcast from rank 0 at the first `fit`, as
      DDP does at construction) and every player's gradients are averaged
      over the processes by one all-reduce per update (`apply_gradients`).
      BatchNorm statistics are each process's own, as under DDP without
      SyncBatchNorm; each process draws its own latents.
    - TensorFlow: none; more than one device is an error that says so.

    Example:

    >>> with gradients.data_parallel(8):          # KERAS_BACKEND=jax
    ...     model = kgz.DCGAN(); model.compile()
    ...     model.fit(images, batch_size=512)     # 64 images per device
    """
    devices = 1 if devices is None else int(devices)
    if devices < 1:
        raise ValueError(f"devices must be at least 1; got {devices}")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if BACKEND == "torch" and world > 1:
        with _torch_process_group(devices, world) as layout:
            yield layout
        return
    if devices == 1:
        yield None
        return
    if BACKEND == "torch":
        raise ValueError(
            f"Data parallelism over {devices} devices on PyTorch runs one process per device: start "
            f"the run with torchrun (torchrun --nproc_per_node {devices} -m keras_gan_zoo train "
            "RECIPE), or use KERAS_BACKEND=jax.")
    if BACKEND != "jax":
        raise ValueError(
            f"Data parallelism over {devices} devices runs on JAX (KERAS_BACKEND=jax) or on PyTorch "
            f"under torchrun: Keras's distribution API has no {BACKEND} implementation. Run with one "
            "of those, or with one device.")
    available = keras.distribution.list_devices()
    if devices > len(available):
        raise ValueError(
            f"{devices} devices asked for; JAX sees {len(available)} ({', '.join(available)}). On a "
            "CPU, set XLA_FLAGS=--xla_force_host_platform_device_count=N before Python starts.")
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=available[:devices]))
    try:
        yield {"devices": devices, "layout": f"data parallel, batch split over {', '.join(available[:devices])}"}
    finally:
        keras.distribution.set_distribution(previous)


@contextlib.contextmanager
def _torch_process_group(devices, world):
    """Joins (and afterwards leaves) the process group that torchrun set up."""
    if devices not in (1, world):
        raise ValueError(f"devices={devices}, but torchrun started {world} processes; give "
                         f"--nproc_per_node {devices}, or leave devices at 1 under torchrun.")
    dist = torch.distributed
    created = not dist.is_initialized()
    if created:
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        yield {"devices": world, "layout": (
            f"PyTorch DDP under torchrun: {world} processes ({dist.get_backend()}), each 1/{world} "
            "of every batch, gradients averaged by all-reduce")}
    finally:
        if created:
            dist.destroy_process_group()


def replica():
    """`(rank, number of processes)` of this training process: PyTorch
    processes under `data_parallel`, otherwise `(0, 1)` (JAX's data
    parallelism runs in one process)."""
    if BACKEND == "torch" and torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _average_over_replicas(grads):
    """The mean of each gradient over the processes: one all-reduce per
    dtype over the gradients laid end to end (DDP's buckets, as one)."""
    world = replica()[1]
    out = list(grads)
    by_dtype = {}
    for i, g in enumerate(out):
        by_dtype.setdefault(g.dtype, []).append(i)
    for indices in by_dtype.values():
        flat = torch.cat([out[i].reshape(-1) for i in indices])
        torch.distributed.all_reduce(flat)
        flat = flat / world
        start = 0
        for i in indices:
            size = out[i].numel()
            out[i] = flat[start:start + size].view_as(out[i])
            start += size
    return out


# A replica's random streams start this far apart (seed-generator states differ in their first word).
_REPLICA_SEED_STRIDE = 1_000_003


def prepare_replicas(model):
    """Before a model's first `fit` under PyTorch data parallelism: every
    process takes rank 0's weights and optimizer state (as DDP broadcasts
    at construction), then moves its seed generators `rank` streams along,
    so the processes draw different latents. Does nothing in one process;
    runs once per model."""
    rank, world = replica()
    if world == 1 or getattr(model, "_replicas_prepared", False):
        return
    optimizer_variables = list(model.optimizer.variables) if model.optimizer is not None else []
    with torch.no_grad():
        for v in list(model.variables) + optimizer_variables:
            torch.distributed.broadcast(v.value.data, src=0)
        for v in model.variables:
            if v.path.endswith("seed_generator_state"):
                offset = np.array([rank * _REPLICA_SEED_STRIDE, 0], dtype=keras.backend.standardize_dtype(v.dtype))
                v.assign(ops.add(v.value, ops.convert_to_tensor(offset)))
    model._replicas_prepared = True


def any_replica(flag):
    """True if `flag` is true in any process (a collective decision, such as
    stopping at a time limit, that keeps the processes in step)."""
    if replica()[1] == 1:
        return bool(flag)
    value = torch.tensor([1 if flag else 0], device="cuda" if torch.distributed.get_backend() == "nccl" else "cpu")
    torch.distributed.all_reduce(value, op=torch.distributed.ReduceOp.MAX)
    return bool(value.item())


@contextlib.contextmanager
def restore_state_on_error(model):
    """Keeps a model's variables intact when `fit` raises.

    Keras's JAX trainer detaches variable values while an epoch runs and
    reattaches them at its end; an exception in between (e.g. a batch of the
    wrong shape) would leave the model without weights. On error this puts
    back the last state Keras synced, or the values from before `fit`.
    """
    if BACKEND != "jax":
        yield
        return
    optimizer_variables = model.optimizer.variables if model.optimizer is not None else []
    tracked = list(model.variables) + list(optimizer_variables) + list(model.metrics_variables)
    saved = [v._value for v in tracked]
    try:
        yield
    except BaseException:
        if getattr(model, "_jax_state", None) and not getattr(model, "_jax_state_synced", True):
            model.jax_state_sync()
        for variable, value in zip(tracked, saved):
            if variable._value is None:
                variable._value = value
        raise
