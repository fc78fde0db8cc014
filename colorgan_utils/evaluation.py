"""Evaluate a trained run: quality against the gray baseline, the GAN discriminator's real/colorized
accuracy, and an independent detector. ``python -m colorgan_utils evaluate`` calls
:func:`evaluate_run`; notebook 05 shows every number and figure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import keras
import numpy as np

from colorgan_utils import metrics
from colorgan_utils.color import lab_normalized_to_rgb
from colorgan_utils.config import Config
from colorgan_utils.data import ImageRecord, make_dataset
from colorgan_utils.models import training_size

THRESHOLD = 0.5  # P(real) above this is a "real" verdict (logit > 0)
DETECTOR_PHOTOS = 2000  # train-split photos the independent detector learns from, at most


def colorize_records(generator: keras.Model, records: Sequence[ImageRecord | str],
                     cfg: Config, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Centre crops of the photos: ``L``, ``ab`` (real), ``colorized_ab`` and RGB ``real``,
    ``gray``, ``colorized``, all at the generator's size."""
    cfg = cfg.replace(image_size=training_size(generator))
    out: dict[str, list] = {k: [] for k in ("L", "ab", "colorized_ab", "real", "gray", "colorized")}
    for lum, ab in make_dataset(records, cfg, training=False, batch_size=batch_size,
                                cache=False):
        colorized_ab = generator(lum, training=False)
        out["L"].append(lum.numpy())
        out["ab"].append(ab.numpy())
        out["colorized_ab"].append(np.asarray(colorized_ab, np.float32))
        out["real"].append(lab_normalized_to_rgb(lum, ab).numpy())
        out["gray"].append(lab_normalized_to_rgb(lum, np.zeros_like(ab)).numpy())
        out["colorized"].append(lab_normalized_to_rgb(lum, colorized_ab).numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def quality_report(batch: dict[str, np.ndarray]) -> dict[str, Any]:
    """``quality`` (PSNR, SSIM, CIEDE2000, colourfulness of ``model``, ``gray_baseline`` and
    ``real``), ``hue_agreement`` and ``l1_ab`` of a :func:`colorize_records` batch: the first
    table of notebook 05 and of :func:`evaluate_run`'s JSON."""
    return {
        "quality": metrics.quality_table(batch["real"],
                                         {"model": batch["colorized"],
                                          "gray_baseline": batch["gray"]}),
        "hue_agreement": metrics.hue_agreement(batch["real"], batch["colorized"]),
        "l1_ab": {"model": float(np.abs(batch["colorized_ab"] - batch["ab"]).mean()),
                  "gray_baseline": float(np.abs(batch["ab"]).mean())},
    }


def per_breed_report(batch: dict[str, np.ndarray],
                     breeds: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per breed (``breeds[i]`` is photo ``i``'s): ``photos``, the model's and the gray
    baseline's mean CIEDE2000, and the colourfulness of the colorizations and the real photos.
    Which breeds the colorizer helps, and on which it is further from the truth than no colour at
    all; notebook 05 plots it (``viz.plot_per_breed``)."""
    breeds = np.asarray(breeds)
    if len(breeds) != len(batch["real"]):
        raise ValueError(f"{len(breeds)} breed names for {len(batch['real'])} photos")
    out = {}
    for breed in sorted(set(breeds.tolist())):
        mask = breeds == breed
        real = batch["real"][mask]
        out[breed] = {
            "photos": int(mask.sum()),
            "ciede2000": metrics.ciede2000(real, batch["colorized"][mask]),
            "gray_ciede2000": metrics.ciede2000(real, batch["gray"][mask]),
            "colorfulness": metrics.colorfulness(batch["colorized"][mask]),
            "real_colorfulness": metrics.colorfulness(real),
        }
    return out


def discriminator_report(discriminator: keras.Model,
                         batch: dict[str, np.ndarray]) -> dict[str, Any]:
    """The GAN's own discriminator on real and colorized photos: accuracy per patch and per
    image (mean patch logit) at P(real) = 0.5, confusion matrix and ROC/AUC of the image scores."""
    real = discriminator.predict([batch["L"], batch["ab"]], verbose=0, batch_size=64)
    colorized = discriminator.predict([batch["L"], batch["colorized_ab"]], verbose=0, batch_size=64)
    real_img = metrics.sigmoid(real.mean(axis=(1, 2, 3)))
    colorized_img = metrics.sigmoid(colorized.mean(axis=(1, 2, 3)))
    curve = metrics.roc(real_img, colorized_img)
    return {
        "per_patch_accuracy": float(((real > 0).mean() + (colorized <= 0).mean()) / 2),
        "per_patch_real_acc": float((real > 0).mean()),
        "per_patch_colorized_acc": float((colorized <= 0).mean()),
        "per_image_accuracy": metrics.accuracy(real_img, colorized_img, THRESHOLD),
        "confusion": metrics.confusion(real_img, colorized_img, THRESHOLD).tolist(),
        "auc": curve["auc"],
        "roc": {"fpr": curve["fpr"], "tpr": curve["tpr"]},
        "real_scores": real_img.tolist(),
        "colorized_scores": colorized_img.tolist(),
    }


def detector_report(train_batch: dict[str, np.ndarray], test_batch: dict[str, np.ndarray],
                    epochs: int, seed: int = 0,
                    verbose: int = 0) -> tuple[dict[str, Any], keras.Model]:
    """Train the independent detector on the train split's real photos and colorizations, and
    test it on the test split's."""
    from colorgan_utils.detector import detector_scores, train_detector

    model = train_detector(train_batch["real"], train_batch["colorized"], epochs=epochs, seed=seed,
                           verbose=verbose)
    real = detector_scores(model, test_batch["real"])
    colorized = detector_scores(model, test_batch["colorized"])
    curve = metrics.roc(real, colorized)
    return {
        "train_images": int(2 * len(train_batch["real"])),
        "test_images": int(2 * len(test_batch["real"])),
        "epochs": epochs,
        "accuracy": metrics.accuracy(real, colorized, THRESHOLD),
        "confusion": metrics.confusion(real, colorized, THRESHOLD).tolist(),
        "auc": curve["auc"],
        "roc": {"fpr": curve["fpr"], "tpr": curve["tpr"]},
    }, model


def evaluate_run(generator: keras.Model, discriminator: keras.Model | None,
                 test_records: Sequence[ImageRecord], cfg: Config,
                 train_records: Sequence[ImageRecord] | None = None,
                 detector_epochs: int = 0, run: str | None = None,
                 verbose: int = 0, detector_photos: int = DETECTOR_PHOTOS) -> dict[str, Any]:
    """Every figure of notebook 05 as JSON-ready data (see the README's results table). The
    detector learns from at most ``detector_photos`` train-split photos (spread over the
    breeds), which bounds memory: the 2,000 colorized photos take about 1.8 GB at 128 px, and the
    whole evaluation peaked at 7.3 GiB (maximum RSS, 517 test photos + 2,000)."""
    if not test_records:
        raise ValueError("no photos to evaluate on")
    batch = colorize_records(generator, test_records, cfg)
    result: dict[str, Any] = {
        "run": run,
        "images": int(len(batch["real"])),
        "image_size": int(training_size(generator)),
        "threshold": THRESHOLD,
        **quality_report(batch),
        "per_breed": per_breed_report(batch, [r.breed_name for r in test_records]),
    }
    if discriminator is not None:
        result["discriminator"] = discriminator_report(discriminator, batch)
    if detector_epochs and train_records:
        picks = list(train_records)[:: max(1, len(train_records) // detector_photos)]
        train_batch = colorize_records(generator, picks[:detector_photos], cfg)
        result["detector"], _ = detector_report(train_batch, batch, detector_epochs, cfg.seed,
                                                verbose)
    return result


def format_table(result: dict[str, Any]) -> str:
    """The evaluation as a text table (what the CLI prints)."""
    q = result["quality"]
    lines = [f"{result['images']} photos at {result['image_size']} px "
             f"(threshold P(real) = {result['threshold']})", "",
             f"{'':<16}{'PSNR dB':>9}{'SSIM':>8}{'CIEDE2000':>11}{'colourful':>11}{'L1 ab':>8}"]
    for name, label in (("model", "model"), ("gray_baseline", "gray baseline")):
        r = q[name]
        lines.append(f"{label:<16}{r['psnr']:>9.2f}{r['ssim']:>8.3f}{r['ciede2000']:>11.2f}"
                     f"{r['colorfulness']:>11.1f}{result['l1_ab'][name]:>8.4f}")
    lines.append(f"{'real photos':<16}{'':>9}{'':>8}{'':>11}{q['real']['colorfulness']:>11.1f}")
    if result.get("hue_agreement"):
        h = result["hue_agreement"]
        band = lambda k: "-" if h.get(k) is None else f"{h[k]:.2f}"  # noqa: E731
        lines += ["", f"Hue agreement (coloured pixels painted within 45 degrees): "
                  f"{band('all')}; red/orange {band('red_orange')}, green {band('green')}, "
                  f"blue {band('blue')}"]
    if result.get("per_breed"):
        worse = [b for b, r in result["per_breed"].items() if r["ciede2000"] > r["gray_ciede2000"]]
        lines += ["", f"Further from the true colours than gray (CIEDE2000) on {len(worse)} of "
                  f"{len(result['per_breed'])} breeds" + (f": {', '.join(worse)}" if worse else "")]
    if "discriminator" in result:
        d = result["discriminator"]
        lines += ["", f"GAN discriminator: accuracy per patch {d['per_patch_accuracy']:.1%} (real "
                  f"{d['per_patch_real_acc']:.1%}, colorized "
                  f"{d['per_patch_colorized_acc']:.1%}), per "
                  f"image {d['per_image_accuracy']:.1%}, AUC {d['auc']:.3f}"]
    if "detector" in result:
        d = result["detector"]
        lines += [f"Independent detector ({d['train_images']} training images, {d['epochs']} "
                  f"epochs): accuracy {d['accuracy']:.1%}, AUC {d['auc']:.3f}, confusion "
                  f"{d['confusion']} (rows: real, colorized; columns: called real, "
                  "called colorized)"]
    return "\n".join(lines)


def save_json(result: dict[str, Any], path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return path
