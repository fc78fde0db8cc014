"""Colour as classes, opt-in (notebook 06, *going further*): the ab plane cut into bins, the
training photos' colour prior, class rebalancing, soft-encoding, annealed-mean decoding (Zhang,
Isola & Efros, *Colorful Image Colorization*, ECCV 2016), a classification head for a U-Net and
:class:`ClassColorGAN`, whose colour term is the rebalanced cross-entropy over the bins.

Why: the mean of several plausible colours (a red and a blue collar) is a gray-brown; a
distribution over colour bins keeps both, and rebalancing stops the common desaturated bins
from winning every pixel. Why it is not the course's main line: on our photos it painted
blotches of wrong colour that the L1 objective never does (``research/README.md``).

All ab values here are in Lab units (about -110..110), not the networks' [-1, 1] scale, unless
a function says otherwise.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

import keras
import numpy as np
from keras import ops

from colorgan_utils import color
from colorgan_utils.gan import ColorGAN

STRIDE = 4  # the classification head predicts ab bins at 1/4 of the photo's size

GRID = 10.0  # bin spacing in Lab units (the paper's grid)
SIGMA = 5.0  # Gaussian width for soft-encoding and for smoothing the prior
NEIGHBOURS = 5  # soft-encode each pixel onto its 5 nearest bins
PRIOR_MIX = 0.5  # rebalancing: weights ~ 1 / ((1 - mix) * prior + mix / Q)
TEMPERATURE = 0.38  # annealed mean: between the mean (T = 1) and the mode (T -> 0)


def _lab_to_linear_np(lab: np.ndarray) -> np.ndarray:
    """Lab -> linear sRGB, not clipped (numpy twin of ``color._lab_to_linear``)."""
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (lightness + 16.0) / 116.0
    f = np.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)
    xyz = np.where(f > 6.0 / 29.0, f**3, (116.0 * f - 16.0) / (24389.0 / 27.0))
    xyz = xyz * np.array([0.95047, 1.0, 1.08883])
    return xyz @ np.linalg.inv(np.array([
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ])).T


def in_gamut_bins(grid: float = GRID, limit: float = 110.0) -> np.ndarray:
    """Centres ``[Q, 2]`` (a, b in Lab units) of the grid bins that hold an sRGB colour at some
    lightness: 262 of the 23 x 23 = 529 bins for the paper's grid of 10 (the paper keeps 313,
    with a looser test)."""
    grid, limit = float(grid), float(limit)
    if not (np.isfinite(grid) and np.isfinite(limit) and 0 < grid <= limit):
        raise ValueError(f"in_gamut_bins: grid={grid}, limit={limit}: use a bin spacing above "
                         "0 and at most the limit, in Lab units (the paper's grid is 10)")
    return _in_gamut_bins(grid, limit).copy()


def _check_ab(name: str, ab_shape: Any, centres: Any) -> None:
    """Refuse, by name, ab that is not ``[..., 2]`` or centres that are not ``[Q, 2]``."""
    if tuple(ab_shape)[-1:] != (2,):
        raise ValueError(f"{name}: ab must be [..., 2] (a and b), got shape {tuple(ab_shape)}")
    if len(np.shape(centres)) != 2 or np.shape(centres)[1] != 2:
        raise ValueError(f"{name}: bin centres must be [Q, 2], got shape {np.shape(centres)}")


@functools.lru_cache(maxsize=4)
def _in_gamut_bins(grid: float, limit: float) -> np.ndarray:
    axis = np.arange(-limit, limit + grid / 2, grid)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    centres = np.stack([a.ravel(), b.ravel()], axis=-1)
    # a bin counts when any point of it (centre +- grid/2) is in gamut at some L
    offsets = np.linspace(-grid / 2, grid / 2, 5)
    oa, ob = np.meshgrid(offsets, offsets, indexing="ij")
    pts = centres[:, None, :] + np.stack([oa.ravel(), ob.ravel()], -1)[None]  # [N, 25, 2]
    ok = np.zeros(len(centres), bool)
    for lum in np.arange(1.0, 100.0, 1.0):
        lab = np.concatenate([np.full(pts.shape[:-1] + (1,), lum), pts], -1)
        lin = _lab_to_linear_np(lab)
        ok |= np.all((lin >= 0) & (lin <= 1), axis=-1).any(axis=-1)
    return centres[ok].astype(np.float32)


def nearest_bin(ab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest bin centre for each ab value ``[..., 2]`` (Lab units)."""
    _check_ab("nearest_bin", np.shape(ab), centres)
    ab = np.asarray(ab, np.float32).reshape(-1, 2)
    out = np.empty(len(ab), np.int64)
    for i in range(0, len(ab), 65536):
        d = ((ab[i:i + 65536, None, :] - centres[None]) ** 2).sum(-1)
        out[i:i + 65536] = d.argmin(-1)
    return out


def color_prior(ab_batches: Iterable[Any], centres: np.ndarray,
                 sigma: float = SIGMA) -> np.ndarray:
    """The empirical distribution ``[Q]`` of ab over the bins, smoothed by a Gaussian of
    ``sigma`` Lab units. ``ab_batches`` yields ab arrays ``[..., 2]`` in the networks' [-1, 1]
    scale (e.g. the ``ab`` of the training split's batches)."""
    counts = np.zeros(len(centres), np.float64)
    for ab in ab_batches:
        idx = nearest_bin(np.asarray(ab, np.float32) * color.AB_SCALE, centres)
        counts += np.bincount(idx, minlength=len(centres))
    if counts.sum() == 0:
        raise ValueError("color_prior: no ab values were given")
    d2 = ((centres[:, None, :] - centres[None]) ** 2).sum(-1)
    kernel = np.exp(-d2 / (2 * sigma**2))
    smooth = kernel @ (counts / counts.sum())
    return (smooth / smooth.sum()).astype(np.float32)


def rebalancing_weights(prior: np.ndarray, mix: float = PRIOR_MIX) -> np.ndarray:
    """Per-bin loss weights ``w ~ 1 / ((1 - mix) * prior + mix / Q)``, scaled so that the
    prior-weighted mean weight is 1: rare (saturated) colours count more, common ones less.
    ``mix`` is a share in [0, 1]; with ``mix = 0`` a bin no photo fell in (prior 0) gets the
    weight of the rarest bin that has photos, instead of an infinite one."""
    if not 0.0 <= float(mix) <= 1.0:
        raise ValueError(f"mix={mix}: use a share in [0, 1] (0: 1 / prior, 1: every bin 1)")
    prior = np.asarray(prior, np.float64)
    denominator = (1.0 - mix) * prior + mix / len(prior)
    seen = denominator > 0
    if not seen.any():
        raise ValueError("the prior is all zeros: no photo's colours were counted")
    w = np.zeros_like(prior)
    w[seen] = 1.0 / denominator[seen]
    w[~seen] = w[seen].max()
    return (w / (prior * w).sum()).astype(np.float32)


def soft_encode(ab_norm: Any, centres: Any, k: int = NEIGHBOURS,
                sigma: float = SIGMA) -> tuple[Any, Any]:
    """Target distributions ``[..., Q]`` for ab in [-1, 1]: Gaussian weights on the ``k``
    nearest bins, summing to 1; and the index of the nearest bin ``[...]``. Keras ops: runs
    on any Keras backend."""
    _check_ab("soft_encode", ops.shape(ab_norm), centres)
    if not 1 <= k <= len(centres):
        raise ValueError(f"soft_encode: k={k} nearest bins of {len(centres)}")
    ab = ops.cast(ab_norm, "float32") * color.AB_SCALE
    centres = ops.cast(ops.convert_to_tensor(centres), "float32")
    q = int(centres.shape[0])
    d2 = ops.sum(ops.square(ab[..., None, :] - centres), axis=-1)  # [..., Q]
    neg, idx = ops.top_k(-d2, k=k)
    w = ops.exp(neg / (2.0 * sigma**2))
    w = w / ops.sum(w, axis=-1, keepdims=True)
    target = ops.sum(ops.one_hot(idx, q) * w[..., None], axis=-2)
    return target, idx[..., 0]


def annealed_mean(logits: Any, centres: Any, temperature: float) -> Any:
    """ab ``[..., 2]`` from bin logits ``[..., Q]``: the ``softmax(logits / T)``-weighted mean
    of ``centres`` (``[Q, 2]``, in the network's ab units)."""
    if ops.shape(logits)[-1] != len(centres):
        raise ValueError(f"annealed_mean: {ops.shape(logits)[-1]} bin logits for "
                         f"{len(centres)} bin centres")
    logits = ops.cast(logits, "float32")
    p = ops.softmax(logits / temperature, axis=-1)
    return ops.tensordot(p, ops.convert_to_tensor(centres), axes=1)


@keras.saving.register_keras_serializable(package="colorgan")
class AnnealedMean(keras.layers.Layer):
    """Layer: bin logits ``[..., Q]`` -> ab ``[..., 2]`` in [-1, 1] by the annealed mean:
    ``softmax(logits / T)`` weighted mean of the bin centres (the paper's ``exp(log p / T)``
    re-normalised). ``T = 1`` is the mean (pale), ``T -> 0`` the mode (vivid, patchy)."""

    # Keras inspects __init__ and call: mutmut must not wrap them (README, Mutation testing)
    # pragma: no mutate start
    def __init__(self, centres: Any, temperature: float = TEMPERATURE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._configure(centres, temperature)

    def call(self, logits: Any) -> Any:
        return annealed_mean(logits, self._centres, self.temperature)
    # pragma: no mutate end

    def _configure(self, centres: Any, temperature: float) -> None:
        self.centres = np.asarray(centres, np.float32).tolist()
        self.temperature = temperature
        self._centres = np.asarray(self.centres, np.float32) / color.AB_SCALE

    @property
    def temperature(self) -> float:
        """T, read on every call: set it to re-decode the same logits (notebook 06)."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        if not float(value) > 0:  # also refuses NaN
            raise ValueError(f"temperature={value}: use T > 0 (1 is the mean, T -> 0 the mode; "
                             "0 divides by zero, T < 0 picks the least likely colours)")
        self._temperature = float(value)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], 2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "centres": self.centres,
                "temperature": self.temperature}


# ------------------------------------------------------------------ the head and the GAN


def prior_of(ab_batches: Iterable[Any], mix: float = PRIOR_MIX) -> dict[str, np.ndarray]:
    """The colour prior of some photos and its rebalancing weights: ``centres`` (the in-gamut
    bins), ``prior`` and ``weights``. ``ab_batches`` yields ab ``[B, H, W, 2]`` in the networks'
    [-1, 1] scale (e.g. the training split's batches), average-pooled here to the head's 1/4
    size, as the loss sees them."""
    import tensorflow as tf

    centres = in_gamut_bins()

    def pool(ab: Any) -> Any:
        if min(ab.shape[1:3]) < STRIDE:
            raise ValueError(f"photos of {ab.shape[1]}x{ab.shape[2]} px: the colour prior "
                             f"needs at least {STRIDE}x{STRIDE} px (the head's cell)")
        return tf.nn.avg_pool2d(tf.cast(ab, tf.float32), STRIDE, STRIDE, "VALID")

    pooled = (pool(ab) for ab in ab_batches)
    prior = color_prior(pooled, centres)
    return {"centres": centres, "prior": prior, "weights": rebalancing_weights(prior, mix)}


def class_generator(unet: keras.Model, temperature: float = TEMPERATURE,
                    centres: np.ndarray | None = None,
                    name: str = "class_generator") -> keras.Model:
    """A generator that colours by classes, from a U-Net built by
    :func:`colorgan_utils.models.build_generator` or ``build_pretrained_generator``: the
    U-Net's decoder up to its 1/4-size skip (its last two up-sampling blocks are left out), a
    1x1 convolution to logits over the ab bins (layer ``ab_logits``), the annealed mean at
    ``temperature`` (layer ``annealed_mean``) and a 4x bilinear upsampling to ab. Same input
    and output as the U-Net: ``colorize``, ``evaluate`` and the slider take it as it is."""
    from keras import layers

    centres = in_gamut_bins() if centres is None else np.asarray(centres, np.float32)
    skips = [ly for ly in unet.layers if ly.name.startswith("up") and ly.name.endswith("_skip")]
    quarter = []
    if skips:
        probe = np.zeros((1, 64, 64, 1), np.float32)
        sizes = keras.Model(unet.input, [ly.output for ly in skips])(probe)
        sizes = sizes if isinstance(sizes, (list, tuple)) else [sizes]
        quarter = [ly for ly, out in zip(skips, sizes) if out.shape[1] == 64 // STRIDE]
    if not quarter:
        raise ValueError(f"{unet.name}: no decoder skip at 1/{STRIDE} of the input size "
                         "(build it with models.build_generator or build_pretrained_generator)")
    logits = layers.Conv2D(len(centres), 1, dtype="float32", name="ab_logits")(quarter[0].output)
    ab_small = AnnealedMean(centres, temperature, dtype="float32", name="annealed_mean")(logits)
    out = layers.UpSampling2D(STRIDE, interpolation="bilinear", dtype="float32",
                              name="ab")(ab_small)
    return keras.Model(unet.input, out, name=name)


def class_loss(logits: Any, ab: Any, centres: np.ndarray, weights: np.ndarray) -> Any:
    """Rebalanced cross-entropy of bin ``logits`` ``[B, h, w, Q]`` against the true ``ab``
    ``[B, H, W, 2]`` in [-1, 1], average-pooled to ``h x w`` and soft-encoded, each pixel
    weighted by its nearest bin's ``weights``."""
    import tensorflow as tf

    q = len(centres)
    if logits.shape[-1] != q or np.shape(weights) != (q,):
        raise ValueError(f"class_loss: {logits.shape[-1]} bin logits and {np.shape(weights)} "
                         f"weights for {q} bins: they must agree")
    _check_ab("class_loss", ab.shape, centres)
    h, w = logits.shape[1:3]
    if None not in (h, w, ab.shape[1], ab.shape[2]) and (
            (ab.shape[1] // STRIDE, ab.shape[2] // STRIDE) != (h, w)):
        raise ValueError(f"class_loss: logits of {h}x{w} for ab of {ab.shape[1]}x{ab.shape[2]}: "
                         f"the logits must be 1/{STRIDE} of the photo's size")
    logits = tf.cast(logits, tf.float32)
    ab = tf.nn.avg_pool2d(tf.cast(ab, tf.float32), STRIDE, STRIDE, "VALID")
    target, nearest = soft_encode(ab, centres)
    ce = -tf.reduce_sum(target * tf.nn.log_softmax(logits, axis=-1), axis=-1)
    return tf.reduce_mean(tf.gather(tf.constant(weights, tf.float32), nearest) * ce)


@keras.saving.register_keras_serializable(package="colorgan")
class ClassColorGAN(ColorGAN):
    """:class:`~colorgan_utils.gan.ColorGAN` whose colour term is ``ce_weight`` x the
    rebalanced cross-entropy (:func:`class_loss`) of a :func:`class_generator`'s bin logits;
    it also logs that cross-entropy as ``g_ce``. ``class_weights``: :func:`prior_of`'s
    ``weights`` (None: every bin weighs 1)."""

    METRICS = ColorGAN.METRICS + ("g_ce",)

    # pragma: no mutate start
    def __init__(self, generator: keras.Model, discriminator: keras.Model,
                 class_weights: Any = None, ce_weight: float = 10.0, warmup_epochs: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(generator, discriminator, None, warmup_epochs, **kwargs)
        self.centres = np.asarray(generator.get_layer("annealed_mean").centres, np.float32)
        weights = np.ones(len(self.centres)) if class_weights is None else class_weights
        self.class_weights = np.asarray(weights, np.float32)
        if self.class_weights.shape != (len(self.centres),):
            raise ValueError(f"class_weights: {self.class_weights.shape} for "
                             f"{len(self.centres)} ab bins")
        self.ce_weight = float(ce_weight)
        # the same weights, two outputs: the bin logits (trained) and the decoded ab
        self.with_logits = keras.Model(
            generator.input, [generator.get_layer("ab_logits").output, generator.output])
    # pragma: no mutate end

    def colour_term(self, l_norm: Any, ab: Any, training: bool) -> tuple[Any, Any, dict]:
        logits, colorized_ab = self.with_logits(l_norm, training=training)
        g_ce = class_loss(logits, ab, self.centres, self.class_weights)
        return colorized_ab, self.ce_weight * g_ce, {"g_ce": g_ce}

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("colour_loss")
        return {**config, "class_weights": self.class_weights.tolist(),
                "ce_weight": self.ce_weight}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ClassColorGAN":
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def gan_builder(class_weights: Any = None, ce_weight: float = 10.0) -> Any:
    """What ``train(build_gan=...)`` takes to train colour as classes: for the run's settings,
    the course's U-Net with the bin head (:func:`class_generator`), its discriminator, and a
    :class:`ClassColorGAN` with these ``class_weights`` (:func:`prior_of`'s ``weights``),
    the settings' warm-up, mismatched pairs and adversarial loss (notebook 06)."""
    def build(cfg: Any) -> ClassColorGAN:
        from colorgan_utils.models import build_models

        generator, discriminator = build_models(cfg)
        return ClassColorGAN(class_generator(generator), discriminator,
                             class_weights=class_weights, ce_weight=ce_weight,
                             warmup_epochs=cfg.warmup_epochs,
                             mismatch_weight=cfg.mismatch_weight, gan_loss=cfg.gan_loss)
    return build
