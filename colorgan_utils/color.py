"""RGB <-> CIE Lab (D65, 2 degree observer) in TensorFlow, and the L/ab scaling the networks use.

Taught in notebook 01 (the L and ab channels) and notebook 02 (why Lab). The functions take
any leading batch dimensions (``[..., 3]``), run inside ``tf.data`` and Keras models, and
match ``skimage.color.rgb2lab``/``lab2rgb`` (tests/test_color.py measures by how much).
"""

from __future__ import annotations

import tensorflow as tf

# sRGB (D65) -> XYZ, the matrix scikit-image uses; and its inverse.
_RGB_TO_XYZ = [
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
]
_WHITE_D65 = (0.95047, 1.0, 1.08883)
_EPS = 216.0 / 24389.0  # (6/29)^3
_KAPPA = 24389.0 / 27.0

L_SCALE = 50.0  # L in [0, 100]  ->  L / 50 - 1 in [-1, 1]
AB_SCALE = 110.0  # a, b in about [-110, 110] for sRGB colours  ->  ab / 110 in [-1, 1]


def _matmul3(x: tf.Tensor, m: tf.Tensor) -> tf.Tensor:
    """Apply a 3x3 matrix to the last axis."""
    return tf.tensordot(x, tf.transpose(m), axes=1)


def _srgb_to_linear(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB in [0, 1] -> linear RGB (float32)."""
    return tf.where(rgb > 0.04045, tf.pow((tf.maximum(rgb, 0.04045) + 0.055) / 1.055, 2.4),
                    rgb / 12.92)


def lightness_normalized(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB -> its L in [-1, 1] (``[..., 1]``), as :func:`rgb_to_lab_normalized` computes it,
    without a and b: a third of the work. ``uint8`` input (0-255) is linearised through a
    256-value table, floats must be in [0, 1]. ``colorize`` uses it on full-size photos."""
    rgb = tf.convert_to_tensor(rgb)
    if rgb.dtype == tf.uint8:
        table = _srgb_to_linear(tf.range(256, dtype=tf.float32) / 255.0)
        lin = tf.gather(table, tf.cast(rgb, tf.int32))
    elif rgb.dtype.is_floating:
        lin = _srgb_to_linear(tf.cast(rgb, tf.float32))
    else:
        raise TypeError(f"lightness_normalized expects uint8 or floats in [0, 1], got {rgb.dtype}")
    y = tf.tensordot(lin, tf.constant(_RGB_TO_XYZ[1], tf.float32), axes=1)[..., None]
    y = y / _WHITE_D65[1]
    fy = tf.where(y > _EPS, tf.pow(tf.maximum(y, _EPS), 1.0 / 3.0), (_KAPPA * y + 16.0) / 116.0)
    return (116.0 * fy - 16.0) / L_SCALE - 1.0


def rgb_to_lab(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB in [0, 1] (float, ``[..., 3]``) -> CIE Lab: L in [0, 100], a/b roughly [-110, 110]."""
    rgb = tf.convert_to_tensor(rgb)
    if not rgb.dtype.is_floating:
        raise TypeError(f"rgb_to_lab expects floats in [0, 1], got {rgb.dtype}")
    lin = _srgb_to_linear(tf.cast(rgb, tf.float32))
    xyz = _matmul3(lin, tf.constant(_RGB_TO_XYZ, tf.float32))
    xyz = xyz / tf.constant(_WHITE_D65, tf.float32)
    f = tf.where(xyz > _EPS, tf.pow(tf.maximum(xyz, _EPS), 1.0 / 3.0),
                 (_KAPPA * xyz + 16.0) / 116.0)
    fx, fy, fz = tf.unstack(f, axis=-1)
    lightness = 116.0 * fy - 16.0
    return tf.stack([lightness, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_rgb(lab: tf.Tensor) -> tf.Tensor:
    """CIE Lab (``[..., 3]``) -> sRGB in [0, 1], out-of-gamut colours clipped."""
    return _linear_to_srgb(_lab_to_linear(tf.convert_to_tensor(lab)))


def _linear_to_srgb(lin: tf.Tensor) -> tf.Tensor:
    """Linear RGB -> sRGB in [0, 1], clipped."""
    lin = tf.maximum(lin, 0.0)
    rgb = tf.where(lin > 0.0031308, 1.055 * tf.pow(tf.maximum(lin, 0.0031308), 1 / 2.4) - 0.055,
                   12.92 * lin)
    return tf.clip_by_value(rgb, 0.0, 1.0)


def normalize_lab(lab: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Lab -> (L, ab) scaled to [-1, 1]: what the generator reads and predicts."""
    lab = tf.cast(lab, tf.float32)
    return lab[..., :1] / L_SCALE - 1.0, lab[..., 1:] / AB_SCALE


def denormalize_lab(l_norm: tf.Tensor, ab_norm: tf.Tensor) -> tf.Tensor:
    """(L, ab) in [-1, 1] -> Lab."""
    l_norm = tf.cast(l_norm, tf.float32)
    ab_norm = tf.cast(ab_norm, tf.float32)
    return tf.concat([(l_norm + 1.0) * L_SCALE, ab_norm * AB_SCALE], axis=-1)


def rgb_to_lab_normalized(rgb: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """sRGB in [0, 1] -> (L, ab) in [-1, 1]."""
    return normalize_lab(rgb_to_lab(rgb))


def lab_normalized_to_rgb(l_norm: tf.Tensor, ab_norm: tf.Tensor) -> tf.Tensor:
    """(L, ab) in [-1, 1] -> sRGB in [0, 1]."""
    return lab_to_rgb(denormalize_lab(l_norm, ab_norm))


def gray_rgb(l_norm: tf.Tensor) -> tf.Tensor:
    """The black-and-white picture for an L channel: Lab with a = b = 0, as RGB in [0, 1]."""
    return lab_normalized_to_rgb(l_norm, tf.zeros_like(tf.concat([l_norm, l_norm], -1)))


def _lab_to_linear(lab: tf.Tensor) -> tf.Tensor:
    """Lab -> linear RGB, not clipped (values outside [0, 1] are out of the sRGB gamut)."""
    lightness, a, b = tf.unstack(tf.cast(lab, tf.float32), axis=-1)
    fy = (lightness + 16.0) / 116.0
    f = tf.stack([fy + a / 500.0, fy, fy - b / 200.0], axis=-1)
    xyz = tf.where(f > 6.0 / 29.0, f**3, (116.0 * f - 16.0) / _KAPPA)
    xyz = xyz * tf.constant(_WHITE_D65, tf.float32)
    inv = tf.linalg.inv(tf.constant(_RGB_TO_XYZ, tf.float64))
    return _matmul3(xyz, tf.cast(inv, tf.float32))


def lab_to_rgb_keep_lightness(lab: tf.Tensor, steps: int = 10) -> tf.Tensor:
    """Lab -> sRGB like :func:`lab_to_rgb`, but out-of-gamut colours lose chroma, not lightness.

    Clipping RGB changes a pixel's L; instead each pixel's (a, b) is scaled by the largest factor
    in [0, 1] (found by ``steps`` bisections) that keeps it inside sRGB, so the output's
    lightness is the L given. Used wherever a colorized photo must keep its own black-and-white.
    """
    lab = tf.cast(lab, tf.float32)
    lum, ab = lab[..., :1], lab[..., 1:]
    tol = 1e-4

    def in_gamut(scale: tf.Tensor) -> tf.Tensor:
        lin = _lab_to_linear(tf.concat([lum, ab * scale], -1))
        return tf.reduce_all((lin >= -tol) & (lin <= 1.0 + tol), axis=-1, keepdims=True)

    lo = tf.zeros_like(lum)
    hi = tf.ones_like(lum)
    ok = in_gamut(hi)
    for _ in range(steps):
        mid = (lo + hi) / 2.0
        good = in_gamut(mid)
        lo = tf.where(good, mid, lo)
        hi = tf.where(good, hi, mid)
    scale = tf.where(ok, tf.ones_like(lo), lo)
    return lab_to_rgb(tf.concat([lum, ab * scale], -1))


def lab_to_rgb_keep_lightness_sparse(lab: tf.Tensor, steps: int = 10) -> tf.Tensor:
    """:func:`lab_to_rgb_keep_lightness`, pixel for pixel the same result, but the bisection
    runs only on the pixels that are out of gamut (a colorization has few): several times
    faster on a CPU (``colorize``, notebook 02). Its shapes depend on the data, so it is not
    for XLA-compiled code."""
    lab = tf.cast(lab, tf.float32)
    pixels = tf.reshape(lab, [-1, 3])
    lin = _lab_to_linear(pixels)
    tol = 1e-4
    ok = tf.reduce_all((lin >= -tol) & (lin <= 1.0 + tol), axis=-1)
    where = tf.where(tf.logical_not(ok))
    mapped = lab_to_rgb_keep_lightness(tf.gather_nd(pixels, where), steps)
    rgb = tf.tensor_scatter_nd_update(_linear_to_srgb(lin), where, mapped)
    return tf.reshape(rgb, tf.shape(lab))
