"""Evaluate a trained run: quality against the gray baseline, the GAN discriminator's real/colorized
accuracy, and independent detectors. This module only assembles: colour quality comes from
:mod:`colorgan_utils.metrics`, every real-vs-colorized statistic from
:mod:`colorgan_utils.forensics`, the detectors and their budget from
:mod:`colorgan_utils.detector`. ``python -m colorgan_utils evaluate`` runs
:func:`evaluate_run`; notebook 05 runs the same :class:`Evaluation` steps one by one, showing
every figure, and saves the same JSON.
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
from colorgan_utils.detector import DetectorPlan
from colorgan_utils.models import as_input, training_size

THRESHOLD = 0.5  # the GAN discriminator's P(real) above this is a "real" verdict (logit > 0)


def colorize_records(generator: keras.Model, records: Sequence[ImageRecord | str],
                     cfg: Config, batch_size: int = 64,
                     hints: int | None = None) -> dict[str, np.ndarray]:
    """Centre crops of the photos: ``L``, ``ab`` (real), ``colorized_ab`` and RGB ``real``,
    ``gray``, ``colorized``, all at the generator's size. ``hints``: a hinted generator is
    given this many hints per photo, placed at random (seeded by ``cfg.seed``), each carrying
    the photo's true colour under it (notebook 07's curve); their ``mask`` is returned too."""
    from colorgan_utils.hints import Sampling
    from colorgan_utils.models import takes_hints

    if hints and not takes_hints(generator):
        raise ValueError(f"hints={hints}: this generator takes no hints")
    cfg = cfg.replace(image_size=training_size(generator))
    # an automatic generator with hints=0 is just that: no hint channels
    sampling = Sampling(points=hints) if hints is not None and takes_hints(generator) else None
    out: dict[str, list] = {k: [] for k in ("L", "ab", "colorized_ab", "real", "gray", "colorized")}
    if sampling is not None:
        out["mask"] = []
    for x, ab in make_dataset(records, cfg, training=False, batch_size=batch_size,
                              cache=False, hints=sampling):
        lum = x[..., :1]
        if sampling is not None:
            out["mask"].append(x[..., 3:].numpy())
        colorized_ab = generator(x if sampling is not None else as_input(generator, lum),
                                 training=False)
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


HINT_COUNTS = (0, 1, 2, 5, 10, 20)  # notebook 07's curve


def hint_curve(generator: keras.Model, records: Sequence[ImageRecord | str], cfg: Config,
               counts: Sequence[int] = HINT_COUNTS) -> dict[str, Any]:
    """How close a hinted generator gets with more hints: for each number of hints (placed at
    random, seeded, colours from the truth, :func:`colorize_records`), PSNR, SSIM, CIEDE2000,
    colourfulness and hue agreement on the photos' centre crops; the gray baseline and the
    real photos' colourfulness beside them (the same at every count). Notebook 07."""
    out: dict[str, Any] = {"photos": len(records), "counts": [int(n) for n in counts],
                           "model": {}}
    for n in counts:
        report = quality_report(colorize_records(generator, records, cfg, hints=int(n)))
        out["model"][str(n)] = {**report["quality"]["model"],
                                "hue_agreement": report["hue_agreement"]["all"]}
        out["gray_baseline"] = report["quality"]["gray_baseline"]
        out["real"] = report["quality"]["real"]
    return out


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
    95% bootstrap intervals over the photos, confusion matrix and ROC/AUC of the image scores
    (all from :mod:`colorgan_utils.forensics`). Its **mismatch rejection**: the share of
    mismatched pairs (each photo's L with the previous photo's real colours) it calls
    colorized, with an interval, and the AUC of the photos' own colours against the mismatched
    ones: does it check that colours fit?"""
    real = discriminator.predict([batch["L"], batch["ab"]], verbose=0, batch_size=64)
    colorized = discriminator.predict([batch["L"], batch["colorized_ab"]], verbose=0, batch_size=64)
    mismatched = discriminator.predict([batch["L"], np.roll(batch["ab"], 1, axis=0)], verbose=0,
                                       batch_size=64)
    real_img = forensics.sigmoid(real.mean(axis=(1, 2, 3)))
    colorized_img = forensics.sigmoid(colorized.mean(axis=(1, 2, 3)))
    mismatched_img = forensics.sigmoid(mismatched.mean(axis=(1, 2, 3)))
    rejected = (mismatched_img <= THRESHOLD).astype(np.float64)
    return {
        "mismatch_rejection": float(rejected.mean()),
        "mismatch_rejection_ci": forensics.bootstrap_interval(
            rejected, rejected, lambda r, _: float(np.mean(r)), n_boot, seed=seed),
        "auc_mismatch": forensics.auc(real_img, mismatched_img),
        "mismatched_scores": mismatched_img.tolist(),
        "per_patch_accuracy": float(((real > 0).mean() + (colorized <= 0).mean()) / 2),
        "per_patch_real_acc": float((real > 0).mean()),
        "per_patch_colorized_acc": float((colorized <= 0).mean()),
        "per_image_accuracy": forensics.accuracy(real_img, colorized_img, THRESHOLD),
        "per_image_accuracy_ci": forensics.bootstrap_interval(
            real_img, colorized_img, lambda r, c: forensics.accuracy(r, c, THRESHOLD), n_boot,
            seed=seed),
        "auc_ci": forensics.bootstrap_interval(real_img, colorized_img, forensics.auc, n_boot,
                                               seed=seed),
        "confusion": forensics.confusion(real_img, colorized_img, THRESHOLD).tolist(),
        "auc": forensics.auc(real_img, colorized_img),
        "roc": forensics.roc_curve(real_img, colorized_img),
        "real_scores": real_img.tolist(),
        "colorized_scores": colorized_img.tolist(),
    }


def detector_photos(train_records: Sequence[ImageRecord], photos: int = DetectorPlan.photos,
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
                     test_batch: dict[str, np.ndarray], plan: DetectorPlan = DetectorPlan(),
                     seed: int = 0, verbose: int = 0, n_boot: int = 1000,
                     baselines: dict[str, Any] | None = None,
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The forensic section of notebook 05 and ``evaluate``: the one-number baselines, the small
    CNN from scratch and a head on frozen MobileNetV2 features (left out, with the reason, when
    ``plan.features_skipped``), trained as ``plan`` says, each with its threshold calibrated on
    ``val_batch`` and test figures with 95% bootstrap intervals; how far each detector's test
    AUC is above the colourfulness bar (paired bootstrap interval). Returns ``(report, {"cnn":
    model, "features": model, "extractor": model})``. ``baselines``:
    :func:`forensics.baseline_report` of the same batches when already computed."""
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
                                           epochs=plan.epochs, patience=plan.patience,
                                           seed=seed, verbose=verbose)
    models["cnn"] = cnn
    scores["cnn"] = {name: (detector.detector_scores(cnn, b["real"]),
                            detector.detector_scores(cnn, b["colorized"]))
                     for name, b in (("train", train_batch), ("val", val_batch),
                                     ("test", test_batch))}
    report["cnn"] = {"epochs_run": len(history["val_auc"]), "best_epoch": history["best_epoch"] + 1,
                     "history": {k: v for k, v in history.items() if k != "best_epoch"}}
    if plan.features_skipped:
        report["features"] = {"measured": False, "why": plan.features_skipped}
    else:
        extractor = detector.feature_extractor(plan.alpha, plan.weights)
        models["extractor"] = extractor
        feats = {name: (detector.image_features(extractor, b["real"]),
                        detector.image_features(extractor, b["colorized"]))
                 for name, b in (("train", train_batch), ("val", val_batch), ("test", test_batch))}
        head, history = detector.train_feature_detector(
            *feats["train"], *feats["val"], epochs=plan.feature_epochs,
            patience=plan.feature_patience, seed=seed, verbose=0)
        models["features"] = head
        scores["features"] = {name: (detector.detector_scores(head, f[0]),
                                     detector.detector_scores(head, f[1]))
                              for name, f in feats.items()}
        report["features"] = {"alpha": float(plan.alpha),
                              "imagenet": plan.weights is not None,
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


def measured_detectors(detectors: dict[str, Any]) -> list[str]:
    """The detectors of a :func:`detectors_report` that were measured (``cnn``, ``features``)."""
    return [k for k in ("cnn", "features")
            if k in detectors and detectors[k].get("measured", True)]


class Evaluation:
    """The steps of notebook 05 and ``evaluate``, in order, each adding its part to one
    JSON-ready :attr:`result` (:meth:`save` writes it): :meth:`quality`, :meth:`per_breed`,
    :meth:`colour_distributions`, :meth:`discriminator`, :meth:`baselines`,
    :meth:`detectors`. :func:`evaluate_run` runs them all; the notebook runs them one by one
    and shows each figure between them."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model | None,
                 test_records: Sequence[ImageRecord], cfg: Config, run: str | None = None,
                 split: str = "test", n_boot: int = 1000) -> None:
        if not test_records:
            raise ValueError("no photos to evaluate on")
        self.generator, self.disc, self.cfg, self.n_boot = generator, discriminator, cfg, n_boot
        self.records = list(test_records)
        self.batch = colorize_records(generator, self.records, cfg)
        self.breeds = [r.breed_name for r in self.records]
        self.models: dict[str, Any] = {}
        self.fit_records: list[ImageRecord] = []  # the detectors' own train and validation
        self.val_records: list[ImageRecord] = []  # photos (:meth:`baselines`)
        self.fit_batch: dict[str, np.ndarray] | None = None
        self.val_batch: dict[str, np.ndarray] | None = None
        self.result: dict[str, Any] = {
            "run": run,
            "split": split,
            "generator_file": getattr(generator, "source_file", None),
            "discriminator_file": getattr(discriminator, "source_file", None),
            "images": int(len(self.batch["real"])),
            "image_size": int(training_size(generator)),
            "threshold": THRESHOLD,
        }

    def quality(self) -> dict[str, Any]:
        """PSNR, SSIM, CIEDE2000, colourfulness, hue agreement, L1 (:func:`quality_report`)."""
        part = quality_report(self.batch)
        self.result.update(part)
        return part

    def per_breed(self) -> dict[str, dict[str, float]]:
        self.result["per_breed"] = per_breed_report(self.batch, self.breeds)
        return self.result["per_breed"]

    def colour_distributions(self) -> dict[str, Any]:
        self.result["colour_distributions"] = forensics.colour_distributions(
            self.batch["real"], self.batch["colorized"])
        return self.result["colour_distributions"]

    def discriminator(self) -> dict[str, Any] | None:
        """The GAN's own discriminator (:func:`discriminator_report`); None without one."""
        if self.disc is None:
            return None
        self.result["discriminator"] = discriminator_report(self.disc, self.batch, self.n_boot,
                                                            self.cfg.seed)
        return self.result["discriminator"]

    def baselines(self, train_records: Sequence[ImageRecord],
                  plan: DetectorPlan) -> dict[str, Any] | None:
        """Colorize the detectors' photos (``plan.photos`` of ``train_records``, their own
        train and validation photos) and judge the one-number baselines. Refused, with the
        reason in the result, when the photos evaluated include train-split photos the
        detectors would learn from (``--split all`` or ``train``): a detector scored on its
        own training photos says nothing."""
        if not plan.epochs or not train_records:
            return None
        evaluated = {str(r.path) for r in self.records}
        seen = sum(str(r.path) in evaluated for r in train_records)
        if seen:
            why = (f"not measured: {seen} of the {len(self.records)} photos evaluated are "
                   "train-split photos the detectors learn from (evaluate --split test or val "
                   "to measure them on photos they never saw)")
            self.result["detectors"] = {"measured": False, "why": why}
            print(f"note: detectors {why}")
            return None
        fit, val = detector_photos(train_records, plan.photos, seed=self.cfg.seed)
        self.fit_records, self.val_records = fit, val
        self.fit_batch = colorize_records(self.generator, fit, self.cfg)
        self.val_batch = colorize_records(self.generator, val, self.cfg)
        self.result["detectors"] = {"baselines": forensics.baseline_report(
            self.val_batch, self.batch, self.n_boot, self.cfg.seed)}
        return self.result["detectors"]["baselines"]

    def detectors(self, plan: DetectorPlan, verbose: int = 0) -> dict[str, Any] | None:
        """The two detectors (:func:`detectors_report`) on the photos :meth:`baselines`
        colorized, and the per-breed accuracy of the stronger one."""
        if self.fit_batch is None or self.val_batch is None:
            return None
        report, self.models = detectors_report(
            self.fit_batch, self.val_batch, self.batch, plan, self.cfg.seed, verbose,
            self.n_boot, self.result["detectors"]["baselines"])
        names = measured_detectors(report)
        report["per_breed_detector"] = name = forensics.strongest({k: report[k] for k in names})
        report["per_breed"] = forensics.per_breed_accuracy(
            report[name]["test_real_scores"], report[name]["test_colorized_scores"],
            report[name]["threshold"], self.breeds)
        self.result["detectors"] = report
        return report

    def save(self, path: str | os.PathLike) -> Path:
        return save_json(self.result, path)


def evaluate_run(generator: keras.Model, discriminator: keras.Model | None,
                 test_records: Sequence[ImageRecord], cfg: Config,
                 train_records: Sequence[ImageRecord] | None = None,
                 plan: DetectorPlan | None = None, run: str | None = None,
                 verbose: int = 0, n_boot: int = 1000, split: str = "test") -> dict[str, Any]:
    """Every figure of notebook 05 as JSON-ready data (see the README's results table): all
    the steps of :class:`Evaluation`; the detectors (with ``train_records``) as ``plan``
    says, none without a plan or with ``plan.epochs`` 0."""
    ev = Evaluation(generator, discriminator, test_records, cfg, run, split, n_boot)
    ev.quality()
    ev.per_breed()
    ev.colour_distributions()
    ev.discriminator()
    if plan is not None and train_records:
        ev.baselines(train_records, plan)
        ev.detectors(plan, verbose)
    return ev.result


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
    if "detectors" in result and not result["detectors"].get("measured", True):
        lines += ["", f"Detectors {result['detectors']['why']}"]
    elif "detectors" in result:
        d = result["detectors"]
        lines += ["", f"Telling real from colorized ({d['test_photos']} test photos, each once "
                  f"real and once colorized; thresholds chosen on {d['val_photos']} validation "
                  f"photos; detectors trained on {d['train_photos']} others; [95% interval]):",
                  f"{'':<28}{'test acc':>9}{'':>16}{'test AUC':>9}{'':>16}{'train acc':>10}"]
        rows = [(f"{name} (no training)", r) for name, r in d["baselines"].items()]
        rows += [(label, d[key]) for key, label in (("cnn", "small CNN (from scratch)"),
                                                     ("features", "MobileNetV2 features"))
                 if key in measured_detectors(d)]
        for label, r in rows:
            a, u = r["test_accuracy_ci"], r["test_auc_ci"]
            train = f"{r['train_accuracy']:>10.1%}" if "train_accuracy" in r else ""
            lines.append(f"{label:<28}{r['test_accuracy']:>9.1%} [{a[0]:.1%}, {a[1]:.1%}]"
                         f"{r['test_auc']:>9.3f} [{u[0]:.3f}, {u[1]:.3f}]{train}")
        for key, label in (("cnn", "small CNN"), ("features", "MobileNetV2 features")):
            if key in measured_detectors(d):
                v = d[key]["vs_colourfulness"]
                verdict = ("beats" if v["ci"][0] > 0 else "falls short of" if v["ci"][1] < 0
                           else "does not clearly beat")
                lines.append(f"{label} {verdict} the colourfulness bar: AUC "
                             f"{v['difference']:+.3f} [{v['ci'][0]:+.3f}, {v['ci'][1]:+.3f}]")
            elif key in d:
                lines.append(f"{label}: not measured ({d[key]['why']})")
    return "\n".join(lines)


def save_json(result: dict[str, Any], path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))
    return path
