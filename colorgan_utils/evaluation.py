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

from colorgan_utils import forensics, metrics
from colorgan_utils.color import lab_normalized_to_rgb
from colorgan_utils.config import Config
from colorgan_utils.data import ImageRecord, make_dataset
from colorgan_utils.encoder import resolve_weights
from colorgan_utils.models import training_size

THRESHOLD = 0.5  # the GAN discriminator's P(real) above this is a "real" verdict (logit > 0)
DETECTOR_PHOTOS = 1200  # train-split photos the detectors learn from (3/4) and validate on (1/4)
DETECTOR_EPOCHS = 20  # at most: the detectors stop early on their validation AUC


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


def discriminator_report(discriminator: keras.Model, batch: dict[str, np.ndarray],
                         n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """The GAN's own discriminator on real and colorized photos: accuracy per patch and per
    image (mean patch logit) at its own threshold P(real) = 0.5 (it was trained for it), with
    95% bootstrap intervals over the photos, confusion matrix and ROC/AUC of the image
    scores. Its **mismatch rejection**: the share of mismatched pairs (each photo's L with
    the previous photo's real colours) it calls colorized, with an interval, and the AUC of the
    photos' own colours against the mismatched ones: does it check that colours fit?"""
    real = discriminator.predict([batch["L"], batch["ab"]], verbose=0, batch_size=64)
    colorized = discriminator.predict([batch["L"], batch["colorized_ab"]], verbose=0, batch_size=64)
    mismatched = discriminator.predict([batch["L"], np.roll(batch["ab"], 1, axis=0)], verbose=0,
                                       batch_size=64)
    real_img = metrics.sigmoid(real.mean(axis=(1, 2, 3)))
    colorized_img = metrics.sigmoid(colorized.mean(axis=(1, 2, 3)))
    mismatched_img = metrics.sigmoid(mismatched.mean(axis=(1, 2, 3)))
    rejected = (mismatched_img <= THRESHOLD).astype(np.float64)
    curve = metrics.roc(real_img, colorized_img)
    return {
        "mismatch_rejection": float(rejected.mean()),
        "mismatch_rejection_ci": forensics.bootstrap_interval(
            rejected, rejected, lambda r, _: float(np.mean(r)), n_boot, seed=seed),
        "auc_mismatch": forensics.auc(real_img, mismatched_img),
        "mismatched_scores": mismatched_img.tolist(),
        "per_patch_accuracy": float(((real > 0).mean() + (colorized <= 0).mean()) / 2),
        "per_patch_real_acc": float((real > 0).mean()),
        "per_patch_colorized_acc": float((colorized <= 0).mean()),
        "per_image_accuracy": metrics.accuracy(real_img, colorized_img, THRESHOLD),
        "per_image_accuracy_ci": forensics.bootstrap_interval(
            real_img, colorized_img, lambda r, c: forensics.accuracy(r, c, THRESHOLD), n_boot,
            seed=seed),
        "auc_ci": forensics.bootstrap_interval(real_img, colorized_img, forensics.auc, n_boot,
                                               seed=seed),
        "confusion": metrics.confusion(real_img, colorized_img, THRESHOLD).tolist(),
        "auc": curve["auc"],
        "roc": {"fpr": curve["fpr"], "tpr": curve["tpr"]},
        "real_scores": real_img.tolist(),
        "colorized_scores": colorized_img.tolist(),
    }


def detector_photos(train_records: Sequence[ImageRecord], photos: int = DETECTOR_PHOTOS,
                    val_fraction: float = 0.25,
                    seed: int = 0) -> tuple[list[ImageRecord], list[ImageRecord]]:
    """At most ``photos`` train-split photos spread over the breeds (every k-th), split into
    the detectors' own train and validation photos (whole photos, never shared)."""
    records = list(train_records)
    picks = records[:: max(1, len(records) // max(photos, 1))][:photos]
    train_idx, val_idx = forensics.split_photos(len(picks), val_fraction, seed)
    return [picks[i] for i in train_idx], [picks[i] for i in val_idx]


def _labels(batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return batch["real"], batch["colorized"]


def detectors_report(train_batch: dict[str, np.ndarray], val_batch: dict[str, np.ndarray],
                     test_batch: dict[str, np.ndarray], epochs: int = DETECTOR_EPOCHS,
                     seed: int = 0, verbose: int = 0, n_boot: int = 1000,
                     features: tuple[float, Any] | None = (0.5, "imagenet"),
                     baselines: dict[str, Any] | None = None,
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The forensic section of notebook 05 and ``evaluate``: the one-number baselines, the small
    CNN from scratch and (``features = (alpha, weights)``, None to skip) a head on frozen
    MobileNetV2 features, each with its threshold calibrated on ``val_batch`` and test figures
    with 95% bootstrap intervals; how far each detector's test AUC is above the colourfulness
    bar (paired bootstrap interval). Returns ``(report, {"cnn": model, "features": model,
    "extractor": model})``. ``baselines``: :func:`forensics.baseline_report` of the same
    batches when already computed."""
    from colorgan_utils import detector

    report: dict[str, Any] = {
        "train_photos": int(len(train_batch["real"])),
        "val_photos": int(len(val_batch["real"])),
        "test_photos": int(len(test_batch["real"])),
        "baselines": baselines or forensics.baseline_report(val_batch, test_batch, n_boot, seed),
    }
    models: dict[str, Any] = {}
    scores: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    cnn, history = detector.train_detector(*_labels(train_batch), *_labels(val_batch),
                                           epochs=epochs, seed=seed, verbose=verbose)
    models["cnn"] = cnn
    scores["cnn"] = {name: (detector.detector_scores(cnn, b["real"]),
                            detector.detector_scores(cnn, b["colorized"]))
                     for name, b in (("train", train_batch), ("val", val_batch),
                                     ("test", test_batch))}
    report["cnn"] = {"epochs_run": len(history["val_auc"]), "best_epoch": history["best_epoch"] + 1,
                     "history": {k: v for k, v in history.items() if k != "best_epoch"}}
    if features is not None:
        extractor = detector.feature_extractor(*features)
        models["extractor"] = extractor
        feats = {name: (detector.image_features(extractor, b["real"]),
                        detector.image_features(extractor, b["colorized"]))
                 for name, b in (("train", train_batch), ("val", val_batch), ("test", test_batch))}
        head, history = detector.train_feature_detector(*feats["train"], *feats["val"],
                                                        seed=seed, verbose=0)
        models["features"] = head
        scores["features"] = {name: (detector.detector_scores(head, f[0]),
                                     detector.detector_scores(head, f[1]))
                              for name, f in feats.items()}
        report["features"] = {"alpha": float(features[0]),
                              "imagenet": features[1] is not None,
                              "epochs_run": len(history["val_auc"]),
                              "best_epoch": history["best_epoch"] + 1,
                              "history": {k: v for k, v in history.items() if k != "best_epoch"}}
    bar = {kind: forensics.image_colorfulness(test_batch[kind]) for kind in ("real", "colorized")}
    for name, s in scores.items():
        report[name].update(forensics.score_report(*s["val"], *s["test"], *s["train"],
                                                   n_boot=n_boot, seed=seed))
        report[name]["test_real_scores"] = s["test"][0].tolist()
        report[name]["test_colorized_scores"] = s["test"][1].tolist()
        report[name]["vs_colourfulness"] = forensics.auc_difference(
            *s["test"], bar["real"], bar["colorized"], n_boot, seed)
    return report, models


def evaluate_run(generator: keras.Model, discriminator: keras.Model | None,
                 test_records: Sequence[ImageRecord], cfg: Config,
                 train_records: Sequence[ImageRecord] | None = None,
                 detector_epochs: int = 0, run: str | None = None,
                 verbose: int = 0, detector_photos_n: int = DETECTOR_PHOTOS,
                 n_boot: int = 1000) -> dict[str, Any]:
    """Every figure of notebook 05 as JSON-ready data (see the README's results table):
    quality against the gray baseline, per breed, the GAN discriminator's verdict, and (with
    ``detector_epochs`` and ``train_records``) the forensic section, :func:`detectors_report`,
    whose detectors learn from at most ``detector_photos_n`` train-split photos."""
    if not test_records:
        raise ValueError("no photos to evaluate on")
    batch = colorize_records(generator, test_records, cfg)
    result: dict[str, Any] = {
        "run": run,
        "generator_file": getattr(generator, "source_file", None),
        "discriminator_file": getattr(discriminator, "source_file", None),
        "images": int(len(batch["real"])),
        "image_size": int(training_size(generator)),
        "threshold": THRESHOLD,
        **quality_report(batch),
        "per_breed": per_breed_report(batch, [r.breed_name for r in test_records]),
        "colour_distributions": forensics.colour_distributions(batch["real"],
                                                               batch["colorized"]),
    }
    if discriminator is not None:
        result["discriminator"] = discriminator_report(discriminator, batch, n_boot, cfg.seed)
    if detector_epochs and train_records:
        fit_records, val_records = detector_photos(train_records, detector_photos_n,
                                                   seed=cfg.seed)
        train_batch = colorize_records(generator, fit_records, cfg)
        val_batch = colorize_records(generator, val_records, cfg)
        alpha = cfg.encoder_alpha if cfg.encoder == "mobilenetv2" else 0.5
        weights = resolve_weights(cfg.replace(encoder="mobilenetv2",
                                              encoder_alpha=alpha)).encoder_weights
        result["detectors"], _ = detectors_report(train_batch, val_batch, batch, detector_epochs,
                                                  cfg.seed, verbose, n_boot, (alpha, weights))
        dets = result["detectors"]
        name = forensics.strongest({k: dets[k] for k in ("cnn", "features") if k in dets})
        best = dets[name]
        dets["per_breed_detector"] = name
        dets["per_breed"] = forensics.per_breed_accuracy(
            best["test_real_scores"], best["test_colorized_scores"], best["threshold"],
            [r.breed_name for r in test_records])
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
                  f"image {d['per_image_accuracy']:.1%} [{d['per_image_accuracy_ci'][0]:.1%}, "
                  f"{d['per_image_accuracy_ci'][1]:.1%}], AUC {d['auc']:.3f} "
                  f"[{d['auc_ci'][0]:.3f}, {d['auc_ci'][1]:.3f}]; mismatched pairs (another "
                  f"photo's real colours) called colorized: {d['mismatch_rejection']:.1%} "
                  f"[{d['mismatch_rejection_ci'][0]:.1%}, {d['mismatch_rejection_ci'][1]:.1%}]"]
    if "detectors" in result:
        d = result["detectors"]
        lines += ["", f"Telling real from colorized ({d['test_photos']} test photos, each once "
                  f"real and once colorized; thresholds chosen on {d['val_photos']} validation "
                  f"photos; detectors trained on {d['train_photos']}; [95% interval]):",
                  f"{'':<28}{'test acc':>9}{'':>16}{'test AUC':>9}{'':>16}{'train acc':>10}"]
        rows = [(f"{name} (no training)", r) for name, r in d["baselines"].items()]
        rows += [(label, d[key]) for key, label in (("cnn", "small CNN (from scratch)"),
                                                     ("features", "MobileNetV2 features"))
                 if key in d]
        for label, r in rows:
            a, u = r["test_accuracy_ci"], r["test_auc_ci"]
            train = f"{r['train_accuracy']:>10.1%}" if "train_accuracy" in r else ""
            lines.append(f"{label:<28}{r['test_accuracy']:>9.1%} [{a[0]:.1%}, {a[1]:.1%}]"
                         f"{r['test_auc']:>9.3f} [{u[0]:.3f}, {u[1]:.3f}]{train}")
        for key, label in (("cnn", "small CNN"), ("features", "MobileNetV2 features")):
            if key in d:
                v = d[key]["vs_colourfulness"]
                verdict = ("beats" if v["ci"][0] > 0 else "falls short of" if v["ci"][1] < 0
                           else "does not clearly beat")
                lines.append(f"{label} {verdict} the colourfulness bar: AUC "
                             f"{v['difference']:+.3f} [{v['ci'][0]:+.3f}, {v['ci'][1]:+.3f}]")
    return "\n".join(lines)


def save_json(result: dict[str, Any], path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return path
