"""Real or colorized? The bar a detector must clear, a threshold chosen honestly, and how sure
we can be of an accuracy measured on a few hundred photos.

Taught in notebook 05. Scores are "higher means real" (a probability, a logit, or a
one-number statistic such as colourfulness); each test photo is judged twice, once real and
once colorized, so the real and colorized score arrays of a test set are paired by photo.

* :func:`one_number_scores`: the **baselines**, colourfulness and mean chroma of each picture
  (no training at all). A colorizer that paints too little colour is given away by them;
  any learned detector must beat them to have learned something more.
* :func:`calibrate_threshold`: the threshold that is most accurate on a **validation** set
  (never the test set), so that the test accuracy is not flattered.
* :func:`bootstrap_interval`: a 95% interval for a test figure by resampling test photos.
* :func:`score_report`: all of it for one scorer, as JSON-ready numbers.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from colorgan_utils import metrics

Statistic = Callable[[np.ndarray, np.ndarray], float]


def image_colorfulness(images: np.ndarray) -> np.ndarray:
    """Colourfulness (Hasler & Suesstrunk, 0-255 scale) of each RGB image in [0, 1]."""
    x = np.asarray(images, np.float64)
    return np.array([metrics.colorfulness(im) for im in x.reshape(-1, *x.shape[-3:])])


def image_chroma(images: np.ndarray) -> np.ndarray:
    """Mean CIE Lab chroma of each RGB image in [0, 1]."""
    x = np.asarray(images, np.float64)
    return np.array([metrics.chroma(im).mean() for im in x.reshape(-1, *x.shape[-3:])])


BASELINES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "colourfulness": image_colorfulness,
    "mean chroma": image_chroma,
}


def one_number_scores(images: np.ndarray) -> dict[str, np.ndarray]:
    """Each baseline's score per image: ``{"colourfulness": [N], "mean chroma": [N]}``."""
    return {name: fn(images) for name, fn in BASELINES.items()}


def auc(real: Sequence[float], colorized: Sequence[float]) -> float:
    """Area under the ROC curve ("real" positive): the probability that a random real photo
    scores above a random colorized one, ties counting half (Mann-Whitney)."""
    r = np.asarray(real, np.float64)
    c = np.sort(np.asarray(colorized, np.float64))
    if not len(r) or not len(c):
        raise ValueError("AUC needs at least one real and one colorized score")
    below = np.searchsorted(c, r, side="left")
    ties = np.searchsorted(c, r, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(r) * len(c)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """P(real) from a logit."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def confusion(real: Sequence[float], colorized: Sequence[float],
              threshold: float = 0.5) -> np.ndarray:
    """2x2 counts, rows = truth (real, colorized), columns = verdict (real, colorized), calling
    ``score > threshold`` real (a score exactly at the threshold is a "colorized" verdict)."""
    r = np.asarray(real) > threshold
    f = np.asarray(colorized) > threshold
    return np.array([[int(r.sum()), int((~r).sum())], [int(f.sum()), int((~f).sum())]])


def accuracy(real: Sequence[float], colorized: Sequence[float], threshold: float = 0.5) -> float:
    """Share of right verdicts, real and colorized together, calling ``score > threshold``
    real (scores on any scale)."""
    cm = confusion(real, colorized, threshold)
    return float((cm[0, 0] + cm[1, 1]) / max(cm.sum(), 1))


def roc_curve(real: Sequence[float], colorized: Sequence[float]) -> dict[str, list[float]]:
    """False and true positive rates ("real" positive: the false positives are colorized photos
    called real) at every distinct threshold, from (1, 1) to (0, 0); its trapezoid area is
    :func:`auc`."""
    r, c = np.asarray(real, np.float64), np.asarray(colorized, np.float64)
    cuts = np.r_[-np.inf, np.unique(np.r_[r, c])]
    tpr = [(r > t).mean() for t in cuts]
    fpr = [(c > t).mean() for t in cuts]
    return {"fpr": [float(v) for v in fpr], "tpr": [float(v) for v in tpr]}


def calibrate_threshold(real: Sequence[float], colorized: Sequence[float]) -> float:
    """The threshold with the best accuracy on these (validation) scores: the midpoint of the
    widest-margin best gap between consecutive distinct scores."""
    r, c = np.asarray(real, np.float64), np.asarray(colorized, np.float64)
    if not len(r) or not len(c):
        raise ValueError("calibrating a threshold needs real and colorized scores")
    values = np.unique(np.r_[r, c])
    cuts = np.r_[values[0] - 1.0, (values[:-1] + values[1:]) / 2, values[-1] + 1.0]
    r_sorted, c_sorted = np.sort(r), np.sort(c)
    real_above = len(r) - np.searchsorted(r_sorted, cuts, side="right")
    colorized_below = np.searchsorted(c_sorted, cuts, side="right")
    # balanced accuracy: real and colorized count the same, whatever their numbers
    acc = real_above / len(r) + colorized_below / len(c)
    best = np.flatnonzero(acc >= acc.max() - 1e-12)
    gaps = np.r_[1.0, np.diff(values), 1.0][best]  # width of the gap each best cut sits in
    return float(cuts[best[int(np.argmax(gaps))]])


def bootstrap_interval(real: Sequence[float], colorized: Sequence[float], statistic: Statistic,
                       n_boot: int = 1000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval of ``statistic(real, colorized)``, resampling **photos**:
    when both arrays have the same length they are paired (photo ``i`` real and colorized) and
    resampled together, otherwise each is resampled on its own."""
    r, c = np.asarray(real, np.float64), np.asarray(colorized, np.float64)
    rng = np.random.default_rng(seed)
    paired = len(r) == len(c)
    values = np.empty(n_boot)
    for k in range(n_boot):
        i = rng.integers(0, len(r), len(r))
        j = i if paired else rng.integers(0, len(c), len(c))
        values[k] = statistic(r[i], c[j])
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def score_report(val_real: Sequence[float], val_colorized: Sequence[float],
                 test_real: Sequence[float], test_colorized: Sequence[float],
                 train_real: Sequence[float] | None = None,
                 train_colorized: Sequence[float] | None = None,
                 n_boot: int = 1000, seed: int = 0) -> dict[str, Any]:
    """One scorer judged honestly: its threshold calibrated on validation, then test accuracy,
    AUC (each with a 95% bootstrap interval over test photos), confusion matrix and ROC; train
    and validation figures at the same threshold to show over-fitting."""
    t = calibrate_threshold(val_real, val_colorized)
    test_real, test_colorized = np.asarray(test_real), np.asarray(test_colorized)
    acc = lambda r, c: accuracy(r, c, t)  # noqa: E731
    out: dict[str, Any] = {
        "threshold": t,
        "val_accuracy": acc(val_real, val_colorized),
        "val_auc": auc(val_real, val_colorized),
        "test_accuracy": acc(test_real, test_colorized),
        "test_accuracy_ci": bootstrap_interval(test_real, test_colorized, acc, n_boot, seed=seed),
        "test_auc": auc(test_real, test_colorized),
        "test_auc_ci": bootstrap_interval(test_real, test_colorized, auc, n_boot, seed=seed),
        "confusion": confusion(test_real, test_colorized, t).tolist(),
        "roc": roc_curve(test_real, test_colorized),
    }
    if train_real is not None and train_colorized is not None:
        out["train_accuracy"] = acc(train_real, train_colorized)
        out["train_auc"] = auc(train_real, train_colorized)
    return out


def baseline_report(val: dict[str, np.ndarray], test: dict[str, np.ndarray],
                    n_boot: int = 1000, seed: int = 0) -> dict[str, dict[str, Any]]:
    """:func:`score_report` of each one-number baseline; ``val`` and ``test`` hold RGB
    ``real`` and ``colorized`` images (:func:`colorgan_utils.evaluation.colorize_records`)."""
    scores = {split: {kind: one_number_scores(batch[kind]) for kind in ("real", "colorized")}
              for split, batch in (("val", val), ("test", test))}
    return {name: score_report(scores["val"]["real"][name], scores["val"]["colorized"][name],
                               scores["test"]["real"][name], scores["test"]["colorized"][name],
                               n_boot=n_boot, seed=seed)
            for name in BASELINES}


def split_photos(n: int, val_fraction: float = 0.25, seed: int = 0) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Indices of ``n`` photos split into a detector's train and validation photos (whole
    photos: a photo's real and colorized versions stay on the same side)."""
    if n < 2:
        raise ValueError(f"{n} photos cannot be split into train and validation")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(n - 1, max(1, int(round(n * val_fraction))))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def colour_distributions(real: np.ndarray, colorized: np.ndarray, coloured: float = 15.0,
                         bins: int = 36) -> dict[str, Any]:
    """What gives a colorization away, pixel by pixel: histograms (densities) of Lab chroma
    over all pixels, and of hue over clearly coloured pixels (chroma > ``coloured``), for the
    real photos and the colorizations, plus each side's share of coloured pixels."""
    from skimage.color import rgb2lab

    chroma_edges = np.linspace(0, 80, 41)
    hue_edges = np.linspace(-180, 180, bins + 1)
    out: dict[str, Any] = {"chroma_edges": chroma_edges.tolist(), "hue_edges": hue_edges.tolist()}
    for name, images in (("real", real), ("colorized", colorized)):
        lab = rgb2lab(np.asarray(images, np.float64).reshape(-1, *np.shape(images)[-3:]))
        c = np.hypot(lab[..., 1], lab[..., 2]).ravel()
        h = np.degrees(np.arctan2(lab[..., 2], lab[..., 1])).ravel()[c > coloured]
        out[name] = {
            "chroma": np.histogram(np.minimum(c, 79.999), chroma_edges, density=True)[0].tolist(),
            "hue": (np.histogram(h, hue_edges)[0] / max(len(c), 1)).tolist(),
            "coloured_share": float((c > coloured).mean()),
        }
    return out


def auc_difference(real: Sequence[float], colorized: Sequence[float], bar_real: Sequence[float],
                   bar_colorized: Sequence[float], n_boot: int = 1000,
                   seed: int = 0) -> dict[str, Any]:
    """How far a scorer's AUC is above a bar's (e.g. colourfulness) on the same test photos:
    the difference and its 95% paired bootstrap interval (the same photos resampled for
    both). An interval above 0 means the scorer beats the bar."""
    r, c = np.asarray(real, np.float64), np.asarray(colorized, np.float64)
    br, bc = np.asarray(bar_real, np.float64), np.asarray(bar_colorized, np.float64)
    if not len(r) == len(c) == len(br) == len(bc):
        raise ValueError("the scorer and the bar must judge the same photos")
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_boot)
    for k in range(n_boot):
        i = rng.integers(0, len(r), len(r))
        diffs[k] = auc(r[i], c[i]) - auc(br[i], bc[i])
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"difference": auc(r, c) - auc(br, bc), "ci": (float(low), float(high))}


def confident_examples(real: Sequence[float], colorized: Sequence[float], threshold: float,
                       k: int = 3) -> dict[str, list[int]]:
    """Indices of the photos a detector judges right and most surely: the ``k`` real photos
    with the highest scores above ``threshold``, and the ``k`` colorized ones with the lowest
    scores at or below it (fewer when fewer are right). What Grad-CAM maps should be drawn on:
    a map of a wrong verdict explains nothing."""
    r, c = np.asarray(real), np.asarray(colorized)
    real_right = [int(i) for i in np.argsort(-r) if r[i] > threshold][:k]
    colorized_right = [int(i) for i in np.argsort(c) if c[i] <= threshold][:k]
    return {"real": real_right, "colorized": colorized_right}


def per_breed_accuracy(real: Sequence[float], colorized: Sequence[float], threshold: float,
                       breeds: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per breed (``breeds[i]`` is test photo ``i``'s): how many photos, and the detector's
    accuracy over their real and colorized versions at ``threshold``."""
    r, c, b = np.asarray(real), np.asarray(colorized), np.asarray(breeds)
    if not len(r) == len(c) == len(b):
        raise ValueError(f"{len(b)} breed names for {len(r)} real and {len(c)} colorized scores")
    return {name: {"photos": int((b == name).sum()),
                   "accuracy": accuracy(r[b == name], c[b == name], threshold)}
            for name in sorted(set(b.tolist()))}


def strongest(reports: dict[str, dict[str, Any]]) -> str:
    """The name of the detector with the highest test AUC among ``reports`` (each a
    :func:`score_report`): the one the per-breed table of notebook 05 and ``evaluate`` uses."""
    if not reports:
        raise ValueError("no detector to choose from")
    return max(reports, key=lambda name: reports[name]["test_auc"])
