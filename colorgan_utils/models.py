"""The networks: a U-Net generator (L -> ab), a conditional PatchGAN discriminator on (L, ab),
and the colorizer that wraps the generator (colour photo in -> its gray version and a colorized
one out).

Taught in notebook 02 (``02_generator.ipynb``: generator, colorizer, FLOPs) and notebook 03
(``03_discriminator.ipynb``: PatchGAN, receptive field, image-level score).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import layers, ops


def _init() -> keras.initializers.Initializer:
    """pix2pix's weight initialisation: N(0, 0.02)."""
    return keras.initializers.RandomNormal(0.0, 0.02)


MAX_DEPTH = 6  # stride-2 levels of the U-Net: renders at any multiple of 64 px


def unet_depth(image_size: int, max_depth: int = MAX_DEPTH) -> int:
    """Number of stride-2 levels: ``log2(image_size)`` capped at ``max_depth`` (5 at 32 px,
    6 from 64 px on). A fixed depth keeps the net fully convolutional: it runs on any photo
    whose sides are multiples of ``2**depth`` (:func:`render_multiple`)."""
    if image_size < 32 or image_size & (image_size - 1):
        raise ValueError(f"image_size={image_size}: use a power of two >= 32")
    return min(int(math.log2(image_size)), max_depth)


@keras.saving.register_keras_serializable(package="colorgan")
class TrainingSize(layers.Layer):
    """Identity layer that records the side (px) a fully convolutional generator was trained
    at, so that a saved generator knows its training size (:func:`training_size`)."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, x: Any) -> Any:
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": self.size}


def training_size(generator: keras.Model) -> int:
    """The side in px the generator was trained at (its fixed input size for older models)."""
    for layer in generator.layers:
        if isinstance(layer, TrainingSize):
            return layer.size
    size = generator.input_shape[1]
    if size is None:
        raise ValueError(f"{generator.name}: no training size recorded")
    return int(size)


def _stride2_layers(model: keras.Model) -> int:
    """Stride-2 (depthwise) convolutions on the main path, nested models included."""
    n = 0
    for ly in model.layers:
        if isinstance(ly, keras.Model):
            n += _stride2_layers(ly)
        elif (isinstance(ly, (layers.Conv2D, layers.DepthwiseConv2D))
              and not isinstance(ly, layers.Conv2DTranspose) and ly.strides[0] == 2):
            n += 1
    return n


def render_multiple(generator: keras.Model) -> int:
    """Photo sides the generator accepts are multiples of this (``2**depth``; 32 for the
    pretrained MobileNetV2 encoder)."""
    return 2 ** _stride2_layers(generator)


def build_generator(image_size: int = 64, width: int = 32, max_mult: int = 4,
                    dropout_blocks: int = 3, dropout: float = 0.5, depth: int | None = None,
                    name: str = "generator") -> keras.Model:
    """A pix2pix-style U-Net from L ``[H, W, 1]`` in [-1, 1] to ab ``[H, W, 2]`` in [-1, 1].

    Fully convolutional: trained at ``image_size``, it runs on any ``H, W`` that are multiples
    of ``2**depth`` (default :func:`unet_depth`). Encoder: ``depth`` blocks of
    :func:`down_block` (4x4 stride-2 conv + BatchNorm, not the first/last + LeakyReLU(0.2)),
    ``width * min(2**i, max_mult)`` filters. Decoder: :func:`up_block` (4x4 stride-2
    transposed conv + BatchNorm + dropout, the ``dropout_blocks`` innermost + ReLU), each
    concatenated with the encoder's map of the same size (the skip); a last transposed conv to
    ab, tanh. pix2pix itself is ``width=64, max_mult=8``. Notebook 02 builds the same network
    from the same blocks, in the notebook.
    """
    depth = depth or unet_depth(image_size)
    filters = [width * min(2**i, max_mult) for i in range(depth)]
    inp = keras.Input((None, None, 1), name="L")
    x = TrainingSize(image_size, name="training_size")(inp)
    skips = []
    for i, f in enumerate(filters):
        x = down_block(x, f, f"down{i + 1}", batch_norm=0 < i < depth - 1)
        skips.append(x)
    for j, skip in enumerate(reversed(skips[:-1])):
        x = up_block(x, skip, filters[depth - 2 - j], f"up{j + 1}",
                     dropout=dropout if j < dropout_blocks else 0.0)
    return keras.Model(inp, to_ab(x), name=name)


def down_block(x: Any, filters: int, name: str, batch_norm: bool = True) -> Any:
    """One encoder step of the U-Net: 4x4 convolution with stride 2 (half the size),
    BatchNorm, LeakyReLU(0.2). Layers ``<name>_conv``, ``_bn``, ``_lrelu``."""
    x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False,
                      kernel_initializer=_init(), name=f"{name}_conv")(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)


def up_block(x: Any, skip: Any, filters: int, name: str, dropout: float = 0.0) -> Any:
    """One decoder step of the U-Net: 4x4 transposed convolution with stride 2 (twice the
    size), BatchNorm, dropout (pix2pix's noise, if > 0), ReLU, then the encoder's map of the
    same size concatenated (the skip). Layers ``<name>_deconv``, ``_bn``, ``_dropout``,
    ``_relu``, ``_skip``."""
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                               kernel_initializer=_init(), name=f"{name}_deconv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.Concatenate(name=f"{name}_skip")([x, skip])


def to_ab(x: Any, initializer: Any = None) -> Any:
    """The U-Net's last step: a 4x4 transposed convolution with stride 2 to the two ab channels
    at full size, tanh (so ab stays in [-1, 1]), in float32. Layers ``to_ab`` and ``ab``."""
    x = layers.Conv2DTranspose(2, 4, strides=2, padding="same",
                               kernel_initializer=initializer or _init(), name="to_ab")(x)
    return layers.Activation("tanh", dtype="float32", name="ab")(x)


def build_pretrained_generator(image_size: int = 128, alpha: float = 0.35,
                               weights: Any = "imagenet", width: int = 32,
                               name: str = "generator", hints: bool = False,
                               hint_gain: float = 1.0, hint_spread: bool = False) -> keras.Model:
    """A U-Net whose encoder is Keras' MobileNetV2 pretrained on ImageNet: L ``[H, W, 1]`` in
    [-1, 1] -> ab ``[H, W, 2]`` in [-1, 1].

    The black-and-white L is repeated to three channels: in [-1, 1] it is already in
    MobileNetV2's input range (``x / 127.5 - 1``). The encoder's feature maps at strides 2, 4,
    8, 16 and 32 (:data:`colorgan_utils.encoder.SKIPS`) feed a decoder of 4x4 stride-2
    transposed convolutions + BatchNorm + ReLU (``width * 8, 4, 2, 1`` filters), each
    concatenated with the encoder's map of the same size, as in :func:`build_generator`; a
    last transposed convolution to ab at full size (zero-initialised: it starts at gray),
    tanh. Fully convolutional: sides must be multiples of 32; the encoder's BatchNorm always
    uses ImageNet's statistics. ``weights``: ``"imagenet"``, a path to the official file, or
    ``None`` (random). The encoder is the nested model ``"encoder"`` (freeze it with
    :func:`colorgan_utils.encoder.set_frozen`); the saved generator holds all its weights.

    ``hints=True``: the hinted generator of notebook 07 (:func:`hinted_generator`).
    """
    from colorgan_utils.encoder import build_encoder

    if hints:
        inp = keras.Input((None, None, 4), name="L_hints")
        lum, hint = SplitHints(hint_gain, name="split_hints")(inp)
    else:
        inp = lum = keras.Input((None, None, 1), name="L")
    x = TrainingSize(image_size, name="training_size")(lum)
    rgb = layers.Concatenate(name="L_as_rgb")([x, x, x])
    features = build_encoder(alpha, weights)(rgb)  # its BatchNorm keeps ImageNet's statistics
    x = features[-1]
    if hints:
        x = hint_branch(x, hint, 32, "hints32")
    for j, (skip, f) in enumerate(zip(reversed(features[:-1]),
                                      (width * 8, width * 4, width * 2, width))):
        x = up_block(x, skip, f, f"up{j + 1}")
        if hints:
            x = hint_branch(x, hint, 16 >> j, f"hints{16 >> j}")
    # zeros: the untrained generator predicts gray (ab = 0), the baseline it must beat, instead
    # of a saturated tanh on the encoder's large ImageNet activations
    ab = to_ab(x, "zeros")
    if hints and hint_spread:
        spread = HintSpread(name="hint_spread")([lum, hint])
        ab = HintGate(name="hint_gate")([ab, spread])
    return keras.Model(inp, ab, name=name)


@keras.saving.register_keras_serializable(package="colorgan")
class SplitHints(layers.Layer):
    """The hinted generator's input ``[L, hint a, hint b, mask]`` -> ``(L, [hint ab x mask x
    gain, mask])``: a hint ab where the mask is 0 never reaches the network; ``gain`` scales
    the hint colours (typically 0.1-0.3) up to the mask's size."""

    def __init__(self, gain: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gain = float(gain)

    def call(self, x: Any) -> tuple[Any, Any]:
        mask = x[..., 3:4]
        return x[..., :1], ops.concatenate([x[..., 1:3] * mask * self.gain, mask], axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], 1), (*input_shape[:-1], 3)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


@keras.saving.register_keras_serializable(package="colorgan")
class HintPyramid(layers.Layer):
    """The hints seen at a coarser ``stride``: per cell, the mean hint ab over its hinted
    pixels and whether any pixel of it is hinted (``[ab, mask]``, 0 where none is)."""

    def __init__(self, stride: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stride = int(stride)

    def call(self, hint: Any) -> Any:
        s = self.stride
        ab_sum = ops.average_pool(hint[..., :2], s, s, padding="same")
        share = ops.average_pool(hint[..., 2:], s, s, padding="same")
        mask = ops.cast(share > 0, hint.dtype)
        return ops.concatenate([ab_sum / ops.maximum(share, 1e-6) * mask, mask], axis=-1)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], 3)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stride": self.stride}


def hint_branch(x: Any, hint: Any, stride: int, name: str, filters: int = 16) -> Any:
    """Add the hints to the decoder's map ``x`` at ``stride``: the :class:`HintPyramid` at that
    stride, a 3x3 convolution + ReLU, a 1x1 convolution to ``x``'s channels, **zero-initialised
    and without biases**, added to ``x``. It starts at zero (the generator it extends is
    unchanged), and no hint means a zero input, hence exactly nothing added, ever."""
    h = HintPyramid(stride, name=f"{name}_pyramid")(hint) if stride > 1 else hint
    h = layers.Conv2D(filters, 3, padding="same", use_bias=False, activation="relu",
                      kernel_initializer="he_normal", name=f"{name}_conv")(h)
    h = layers.Conv2D(x.shape[-1], 1, use_bias=False, kernel_initializer="zeros",
                      name=f"{name}_to_features")(h)
    return layers.Add(name=f"{name}_add")([x, h])


def _shift(x: Any, dy: int, dx: int) -> Any:
    """``x`` ``[B, H, W, C]`` moved by ``(dy, dx)`` cells, the border repeated."""
    h, w = ops.shape(x)[1], ops.shape(x)[2]
    x = ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="symmetric")
    return x[:, 1 - dy:1 - dy + h, 1 - dx:1 - dx + w, :]


@keras.saving.register_keras_serializable(package="colorgan")
class HintSpread(layers.Layer):
    """Each hint's colour spread along similar lightness (after Levin, Lischinski and Weiss,
    *Colorization using Optimization*, 2004, as a few steps of edge-aware diffusion): on a grid
    of ``stride`` px, ``steps`` times, every cell takes the confidence of its most confident
    neighbour times ``decay`` and ``exp(-(dL / sigma)^2)`` (L in [-1, 1]: an edge stops it),
    and the colour of its neighbours weighted by their confidence. Returns ``[ab, confidence]``
    at full size; no hint: confidence 0 everywhere. No weights."""

    def __init__(self, stride: int = 4, steps: int = 24, sigma: float = 0.08,
                 decay: float = 0.96, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stride, self.steps, self.sigma, self.decay = int(stride), int(steps), sigma, decay

    def call(self, inputs: list[Any]) -> Any:
        lum, hint = inputs
        s = self.stride
        grid = HintPyramid(s).call(hint)  # mean hint ab per cell, 1 where a cell is hinted
        colour, conf = grid[..., :2], grid[..., 2:]
        coarse_l = ops.average_pool(lum, s, s, padding="same")
        moves = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
        edge = [ops.exp(-ops.square((coarse_l - _shift(coarse_l, dy, dx)) / self.sigma))
                * self.decay for dy, dx in moves]
        for _ in range(self.steps):
            reach = [e * _shift(conf, dy, dx) for e, (dy, dx) in zip(edge, moves)]
            num = conf * colour + sum(r * _shift(colour, dy, dx)
                                      for r, (dy, dx) in zip(reach, moves))
            den = conf + sum(reach)
            colour = num / ops.maximum(den, 1e-6)
            conf = ops.maximum(conf, ops.max(ops.stack(reach, 0), axis=0))
        h, w = ops.shape(lum)[1], ops.shape(lum)[2]
        up = ops.concatenate([colour * conf, conf], -1)
        up = ops.repeat(ops.repeat(up, s, axis=1), s, axis=2)  # to full size, then smoothed
        up = ops.average_pool(up, s, 1, padding="same")[:, :h, :w]
        return ops.concatenate([up[..., :2] / ops.maximum(up[..., 2:], 1e-6) *
                                ops.cast(up[..., 2:] > 0, up.dtype), up[..., 2:]], -1)

    def compute_output_shape(self, input_shapes: list) -> tuple:
        return (*input_shapes[0][:-1], 3)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stride": self.stride, "steps": self.steps,
                "sigma": self.sigma, "decay": self.decay}


@keras.saving.register_keras_serializable(package="colorgan")
class HintGate(layers.Layer):
    """``ab + g * confidence * (spread ab - ab)``: the network's colours pulled towards the
    spread hints where they reach. ``g = clip(scale * w, 0, 1)``, ``w`` a learned scalar
    starting at 0, so the generator starts exactly as the one it extends (``scale`` lets Adam
    move it across [0, 1] within a short fine-tuning)."""

    def __init__(self, scale: float = 20.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = float(scale)

    def build(self, input_shapes: list) -> None:
        self.w = self.add_weight(name="gate", shape=(), initializer="zeros")

    def call(self, inputs: list[Any]) -> Any:
        ab, spread = inputs
        g = ops.clip(self.w * self.scale, 0.0, 1.0)
        return ab + g * spread[..., 2:] * (spread[..., :2] - ab)

    def compute_output_shape(self, input_shapes: list) -> tuple:
        return input_shapes[0]

    def gate(self) -> float:
        """The gate's value now (0: the spread hints are not used; 1: fully)."""
        return float(np.clip(float(self.w.numpy()) * self.scale, 0.0, 1.0))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale}


def takes_hints(generator: keras.Model) -> bool:
    """Whether a generator is a hinted one (input ``[L, hint a, hint b, mask]``)."""
    shape = generator.input_shape
    return not isinstance(shape, list) and shape[-1] == 4


def as_input(generator: keras.Model, l_norm: Any) -> Any:
    """What ``generator`` takes for the black-and-white ``l_norm`` ``[..., 1]`` with no hints:
    ``l_norm`` itself, or, for a hinted generator, ``l_norm`` and three zero channels."""
    if takes_hints(generator):
        return ops.concatenate([l_norm, ops.zeros_like(ops.repeat(l_norm, 3, axis=-1))], -1)
    return l_norm


# MobileNetV2's last skip (block_16_project) has 320 * alpha channels
_ALPHA_OF_CHANNELS = {112: 0.35, 160: 0.5, 240: 0.75, 320: 1.0}


def hinted_generator(base: keras.Model, gain: float = 1.0, spread: bool = False) -> keras.Model:
    """The hinted generator that extends ``base`` (a :func:`build_pretrained_generator`): the
    same network, every weight copied, plus a :func:`hint_branch` into the decoder at strides
    32, 16, 8, 4 and 2, fed by the hint map and mask beside L. Zero-initialised, so that before
    any training it gives exactly ``base``'s output, whatever the hints. Taught in notebook 07."""
    try:
        encoder = base.get_layer("encoder")
        alpha = _ALPHA_OF_CHANNELS[encoder.outputs[-1].shape[-1]]
        width = base.get_layer("up4_deconv").filters
    except (ValueError, KeyError):
        raise ValueError(f"{base.name}: hints extend a generator on the pretrained encoder "
                         "(models.build_pretrained_generator), not this one") from None
    hinted = build_pretrained_generator(training_size(base), alpha, None, width, base.name,
                                        hints=True, hint_gain=gain, hint_spread=spread)
    copy_weights(base, hinted)
    return hinted


def copy_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy every layer's weights from ``source`` into ``target``'s layer of the same name
    (``target`` may have more layers: the hint branch keeps its own)."""
    for layer in source.layers:
        if layer.weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


DISCRIMINATOR_NORMS = ("batch", "spectral", "instance")


def build_discriminator(image_size: int = 64, width: int = 24, n_down: int | None = None,
                        max_mult: int = 8, norm: str = "batch",
                        name: str = "discriminator") -> keras.Model:
    """A conditional PatchGAN: (L ``[S,S,1]``, ab ``[S,S,2]``) -> per-patch logits ``[P,P,1]``.

    ``n_down`` stride-2 4x4 convs (default 3, as pix2pix's 70x70 PatchGAN; 2 below 64 px), then
    one stride-1 4x4 conv with ``width * 2**n_down`` filters and a stride-1 4x4 conv to 1 logit.
    Each logit judges one patch of the input: see :func:`receptive_field`. ``norm``:
    ``"batch"`` (pix2pix's BatchNorm: its verdict depends on the statistics of the batch it was
    trained on), ``"spectral"`` (every convolution spectrally normalised, Miyato et al. 2018: a
    verdict that is the same in training and inference) or ``"instance"`` (each photo's own
    statistics). Fully convolutional: it judges any size whose sides are multiples of 8.
    """
    if norm not in DISCRIMINATOR_NORMS:
        raise ValueError(f"norm={norm!r}: use one of {', '.join(DISCRIMINATOR_NORMS)}")
    if n_down is None:
        n_down = 3 if image_size >= 64 else 2
    l_in = keras.Input((image_size, image_size, 1), name="L")
    ab_in = keras.Input((image_size, image_size, 2), name="ab")
    x = layers.Concatenate(name="L_ab")([l_in, ab_in])
    for i in range(n_down):
        x = patch_block(x, width * min(2**i, max_mult), i + 1,
                        norm=norm if i > 0 or norm == "spectral" else None)
    x = layers.ZeroPadding2D(1, name="pad1")(x)
    x = patch_block(x, width * min(2**n_down, max_mult), n_down + 1, strides=1, norm=norm)
    x = layers.ZeroPadding2D(1, name="pad2")(x)
    conv = layers.Conv2D(1, 4, kernel_initializer=_init(), dtype="float32",
                         name="patch_logits")
    if norm == "spectral":
        conv = layers.SpectralNormalization(conv, dtype="float32", name="patch_logits_sn")
    return keras.Model([l_in, ab_in], conv(x), name=name)


def patch_block(x: Any, filters: int, index: int, strides: int = 2,
                batch_norm: bool = True, norm: str | None = "batch") -> Any:
    """One PatchGAN step: a 4x4 convolution (stride 2: "same" padding, half the size; stride 1:
    no padding), a normalisation, LeakyReLU(0.2). Layers ``conv<index>``, ``bn<index>`` (or
    ``in<index>``; ``conv<index>_sn`` wraps the convolution for ``"spectral"``),
    ``lrelu<index>``. ``norm``: ``"batch"``, ``"spectral"``, ``"instance"`` or None (the
    first block, which has a bias instead); ``batch_norm=False`` is ``norm=None``."""
    norm = norm if batch_norm else None
    conv = layers.Conv2D(filters, 4, strides=strides,
                         padding="same" if strides == 2 else "valid",
                         use_bias=norm in (None, "spectral"), kernel_initializer=_init(),
                         name=f"conv{index}")
    if norm == "spectral":
        conv = layers.SpectralNormalization(conv, name=f"conv{index}_sn")
    x = conv(x)
    if norm == "batch":
        x = layers.BatchNormalization(name=f"bn{index}")(x)
    elif norm == "instance":
        x = layers.GroupNormalization(groups=-1, name=f"in{index}")(x)
    return layers.LeakyReLU(0.2, name=f"lrelu{index}")(x)


def receptive_field(model: keras.Model) -> dict[str, int]:
    """Receptive field of one output unit of a plain conv stack (e.g. the PatchGAN).

    Returns ``size`` (pixels on a side), ``jump`` (input pixels between neighbouring outputs)
    and ``start`` (input coordinate of the centre of output unit 0; may be negative).
    """
    size, jump, start = 1, 1, 0.5
    for layer in model.layers:
        layer = getattr(layer, "layer", layer)  # a SpectralNormalization wraps its conv
        if isinstance(layer, layers.ZeroPadding2D):
            start -= layer.padding[0][0] * jump
        elif isinstance(layer, layers.Conv2D):
            k, s = layer.kernel_size[0], layer.strides[0]
            pad = 0
            if layer.padding == "same":
                pad = max(k - s, 0) // 2
            start += ((k - 1) / 2 - pad) * jump
            size += (k - 1) * jump
            jump *= s
    return {"size": size, "jump": jump, "start": int(math.floor(start))}


def patch_box(model: keras.Model, row: int, col: int) -> tuple[int, int, int, int]:
    """Input-pixel box ``(top, left, bottom, right)`` seen by output patch ``(row, col)``
    (may reach outside the image, where the net sees zero padding)."""
    rf = receptive_field(model)
    cy = rf["start"] + row * rf["jump"]
    cx = rf["start"] + col * rf["jump"]
    half = rf["size"] // 2
    return cy - half, cx - half, cy - half + rf["size"], cx - half + rf["size"]


def image_scores(discriminator: keras.Model, l_norm: Any, ab_norm: Any) -> Any:
    """Image-level real/colorized score: the mean patch logit, ``[B]`` (> 0 means "real")."""
    logits = discriminator([l_norm, ab_norm], training=False)
    return ops.mean(ops.cast(logits, "float32"), axis=[1, 2, 3])


def build_models(cfg: Any) -> tuple[keras.Model, keras.Model]:
    """The generator and discriminator a :class:`~colorgan_utils.config.Config` asks for."""
    if getattr(cfg, "hints", False) and getattr(cfg, "encoder", "scratch") != "mobilenetv2":
        raise ValueError("hints=True needs encoder='mobilenetv2': the hinted generator extends "
                         "the pretrained one")
    if getattr(cfg, "encoder", "scratch") == "mobilenetv2":
        generator = build_pretrained_generator(cfg.image_size, cfg.encoder_alpha,
                                               cfg.encoder_weights, cfg.generator_width,
                                               hints=getattr(cfg, "hints", False),
                                               hint_gain=getattr(cfg, "hint_gain", 1.0),
                                               hint_spread=getattr(cfg, "hint_spread", False))
    else:
        generator = build_generator(cfg.image_size, cfg.generator_width, cfg.generator_max_mult)
    return generator, build_discriminator(cfg.image_size, cfg.discriminator_width,
                                          norm=getattr(cfg, "discriminator_norm", "batch"))


# ------------------------------------------------------------------ colorizer


@keras.saving.register_keras_serializable(package="colorgan")
class RGBToLab(layers.Layer):
    """Layer: sRGB in [0, 1] -> (L, ab) in [-1, 1]."""

    def call(self, rgb: Any) -> tuple[Any, Any]:
        from colorgan_utils import color  # TensorFlow ops

        return color.rgb_to_lab_normalized(rgb)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], 1), (*input_shape[:-1], 2)


@keras.saving.register_keras_serializable(package="colorgan")
class LabToRGB(layers.Layer):
    """Layer: (L, ab) in [-1, 1] -> sRGB in [0, 1], keeping L (chroma yields, not lightness)."""

    def call(self, inputs: list[Any]) -> Any:
        from colorgan_utils import color  # TensorFlow ops

        l_norm, ab_norm = inputs
        return color.lab_to_rgb_keep_lightness(color.denormalize_lab(l_norm, ab_norm))

    def compute_output_shape(self, input_shapes: list) -> tuple:
        return (*input_shapes[0][:-1], 3)


@keras.saving.register_keras_serializable(package="colorgan")
class LToGray(layers.Layer):
    """Layer: L in [-1, 1] -> the black-and-white image in [0, 1] (L / 100)."""

    def call(self, l_norm: Any) -> Any:
        return (l_norm + 1.0) / 2.0


def build_colorizer(generator: keras.Model, name: str = "colorizer") -> keras.Model:
    """The seed's model: colour photo ``[S, S, 3]`` in [0, 1] -> ``{"gray", "colorized"}``.

    RGB -> Lab -> L (the black-and-white image it made, returned as ``gray`` ``[S,S,1]`` in
    [0, 1]) -> generator -> ab -> Lab -> RGB (``colorized`` ``[S,S,3]``, lightness = input's).
    A black-and-white photo stored as 3 equal channels goes through unchanged in L; sides must
    be multiples of :func:`render_multiple`. For a photo file of any size use
    :func:`colorgan_utils.colorize.colorize_image`.
    """
    rgb = keras.Input((None, None, 3), name="rgb")
    l_norm, _ = RGBToLab(name="rgb_to_lab")(rgb)
    ab = generator(as_input(generator, l_norm))
    colorized = LabToRGB(name="lab_to_rgb")([l_norm, ab])
    gray = LToGray(name="gray")(l_norm)
    return keras.Model(rgb, {"gray": gray, "colorized": colorized}, name=name)


# ------------------------------------------------------------------ dtype policy


def current_policy(config: Any) -> tuple[Any, int]:
    """``config`` with every mixed-precision layer policy (``mixed_bfloat16``, ...) replaced by
    the current global policy, and how many were replaced; explicit ``float32`` layers stay."""
    if isinstance(config, dict):
        if (config.get("class_name") == "DTypePolicy"
                and str(config.get("config", {}).get("name", "")).startswith("mixed_")):
            return {**config, "config": {**config["config"],
                                         "name": keras.config.dtype_policy().name}}, 1
        out, n = {}, 0
        for key, value in config.items():
            out[key], k = current_policy(value)
            n += k
        return out, n
    if isinstance(config, list):
        pairs = [current_policy(v) for v in config]
        return [v for v, _ in pairs], sum(k for _, k in pairs)
    return config, 0


def with_current_policy(model: keras.Model) -> keras.Model:
    """The model rebuilt to compute in the current global dtype policy (float32 unless one was
    set), the same weights. A network trained under mixed precision keeps its layers' policy
    in its file: on a CPU a ``mixed_bfloat16`` U-Net runs ~10x slower than in float32 (its
    transposed convolutions most), and rounds every activation. Returns ``model`` itself when
    no layer has a mixed policy. Used by :func:`colorgan_utils.runs.load_compact` and
    :func:`colorgan_utils.runs.load_run` (notebooks 02, 04 and 05 load generators through them)."""
    config, changed = current_policy(model.get_config())
    if not changed:
        return model
    rebuilt = model.__class__.from_config(config)
    rebuilt.set_weights(model.get_weights())
    return rebuilt


# ------------------------------------------------------------------ cost


def _fixed_size(model: keras.Model, size: int) -> keras.Model:
    """A copy of a functional model whose inputs are ``size x size`` (for shape arithmetic)."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "InputLayer":
            shape = list(layer["config"]["batch_shape"])
            shape[1:3] = [size, size]
            layer["config"]["batch_shape"] = tuple(shape)
    return keras.Model.from_config(config)


def count_flops(model: keras.Model, image_size: int | None = None) -> int:
    """Forward-pass FLOPs for one ``image_size`` image (default: the training size) of the
    Conv/Dense layers (2 per multiply-add), nested models included. A training step costs
    about 3x this (forward + two backward)."""
    if image_size is not None or (model.inputs and model.inputs[0].shape[1] is None):
        image_size = image_size or training_size(model)
        model = _fixed_size(model, image_size)
    total = 0
    for layer in model.layers:
        kind = getattr(layer, "layer", layer)  # a SpectralNormalization wraps its conv
        if isinstance(layer, keras.Model):  # a nested encoder sees the full-size image
            total += count_flops(layer, image_size or layer.inputs[0].shape[1])
        elif isinstance(kind, layers.DepthwiseConv2D):
            _, h, w, cout = layer.output.shape
            total += 2 * h * w * np.prod(kind.kernel_size) * cout
        elif isinstance(kind, layers.Conv2DTranspose):
            _, h, w, cin = layer.input.shape
            k = np.prod(kind.kernel_size)
            total += 2 * h * w * k * cin * kind.filters
        elif isinstance(kind, layers.Conv2D):
            _, h, w, cout = layer.output.shape
            k = np.prod(kind.kernel_size)
            total += 2 * h * w * k * layer.input.shape[-1] * cout
        elif isinstance(kind, layers.Dense):
            total += 2 * layer.input.shape[-1] * kind.units
    return int(total)


def describe(model: keras.Model) -> str:
    """One line: parameters and forward GFLOP per image."""
    return (f"{model.name}: {model.count_params():,} parameters, "
            f"{count_flops(model) / 1e9:.3f} GFLOP per image (forward)")
