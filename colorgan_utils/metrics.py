"""Colour quality metrics, from scikit-image where it has them: how close a colorization is to
the real photo, and how colourful it is. Whether a photo is real or colorized (AUC, ROC,
thresholds, intervals) is :mod:`colorgan_utils.forensics`'s question.

Taught in notebook 05 (``05_real_vs_fake_evaluation.ipynb``). Images are float RGB in [0, 1]
(``data_range=1``); batches are ``[N, H, W, 3]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean PSNR in dB over a batch (``data_range=1``); identical images give ``inf``."""
    values = [peak_signal_noise_ratio(r, t, data_range=1.0)
              for r, t in zip(np.asarray(reference, np.float64), np.asarray(test, np.float64))]
    return float(np.mean(values))


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over a batch (colour, ``channel_axis=-1``, ``data_range=1``, 7x7 window)."""
    values = [structural_similarity(r, t, data_range=1.0, channel_axis=-1)
              for r, t in zip(np.asarray(reference, np.float64), np.asarray(test, np.float64))]
    return float(np.mean(values))


def ciede2000(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference (about 1 = just noticeable, > 10 = clearly different)."""
    return float(np.mean(deltaE_ciede2000(rgb2lab(np.asarray(reference, np.float64)),
                                          rgb2lab(np.asarray(test, np.float64)))))


def colorfulness(images: np.ndarray) -> float:
    """Mean colourfulness M (Hasler & Suesstrunk 2003) on the 0-255 scale; 0 for gray images.

    ``rg = R - G``, ``yb = (R + G) / 2 - B``, ``M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 *
    sqrt(mean_rg^2 + mean_yb^2)``, per image, averaged.
    """
    x = np.asarray(images, np.float64) * 255.0
    if x.ndim == 3:
        x = x[None]
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    axes = (1, 2)
    sd = np.sqrt(rg.std(axis=axes) ** 2 + yb.std(axis=axes) ** 2)
    mu = np.sqrt(rg.mean(axis=axes) ** 2 + yb.mean(axis=axes) ** 2)
    return float(np.mean(sd + 0.3 * mu))


def chroma(image: np.ndarray) -> np.ndarray:
    """Chroma ``sqrt(a^2 + b^2)`` (CIE Lab, D65) per pixel of an RGB image in [0, 1]."""
    lab = rgb2lab(np.asarray(image, np.float64))
    return np.hypot(lab[..., 1], lab[..., 2])


def painted_share(reference: np.ndarray, test: np.ndarray, margin: float = 30.0) -> float:
    """Share of pixels where ``test`` is more saturated than ``reference`` by more than
    ``margin`` chroma units: colour painted where the real photo has little. An L1-trained
    colorizer is paler than the truth almost everywhere, so these pixels are mostly the saturated
    blotches a GAN can paint on textured regions (taught in notebook 02, "Blotches"; README,
    Results; ``research/artifact_check.py``). Both RGB in [0, 1], the same shape."""
    if np.shape(reference) != np.shape(test):
        raise ValueError(f"painted_share: shapes differ, {np.shape(reference)} and "
                         f"{np.shape(test)}")
    return float(np.mean(chroma(test) - chroma(reference) > margin))


# hue bands of the real pixel (Lab hue angle, degrees): red/orange, green and blue things
HUE_BANDS = {"red_orange": (-30.0, 80.0), "green": (100.0, 200.0), "blue": (200.0, 300.0)}


def hue_agreement(reference: np.ndarray, test: np.ndarray, coloured: float = 15.0,
                  painted: float = 8.0, tolerance: float = 45.0) -> dict[str, Any]:
    """Of the pixels where the real photo is clearly coloured (Lab chroma > ``coloured``), the
    share where ``test`` is coloured too (chroma > ``painted``) with a hue within ``tolerance``
    degrees: ``"all"``, and per :data:`HUE_BANDS` of the real hue (``None`` for a band with no
    pixel), with ``"pixels"`` per band. Both RGB in [0, 1], the same shape (notebook 05)."""
    if np.shape(reference) != np.shape(test):
        raise ValueError(f"hue_agreement: shapes differ, {np.shape(reference)} and "
                         f"{np.shape(test)}")
    ref = rgb2lab(np.asarray(reference, np.float64))
    out = rgb2lab(np.asarray(test, np.float64))
    ref_c, out_c = np.hypot(ref[..., 1], ref[..., 2]), np.hypot(out[..., 1], out[..., 2])
    ref_h = np.degrees(np.arctan2(ref[..., 2], ref[..., 1]))
    out_h = np.degrees(np.arctan2(out[..., 2], out[..., 1]))
    gap = np.abs((out_h - ref_h + 180.0) % 360.0 - 180.0)
    mask = ref_c > coloured
    good = (out_c > painted) & (gap <= tolerance)
    bands = {"all": mask}
    for name, (lo, hi) in HUE_BANDS.items():
        h = (ref_h - lo) % 360.0  # degrees past the band's start
        bands[name] = mask & (h < hi - lo)
    result: dict[str, Any] = {"pixels": {}}
    for name, m in bands.items():
        n = int(m.sum())
        result[name] = float(good[m].mean()) if n else None
        result["pixels"][name] = n
    return result


def quality_table(real: np.ndarray, outputs: dict[str, np.ndarray]) -> dict[str, dict]:
    """PSNR, SSIM, CIEDE2000 and colourfulness of each output batch against ``real``, plus the
    real photos' own colourfulness (under ``"real"``)."""
    table = {name: {"psnr": psnr(real, out), "ssim": ssim(real, out),
                    "ciede2000": ciede2000(real, out), "colorfulness": colorfulness(out)}
             for name, out in outputs.items()}
    table["real"] = {"colorfulness": colorfulness(real)}
    return table
