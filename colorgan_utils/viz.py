"""Figures: scan tables, dataset plots, L/ab channel grids; later the comparison grids and slider.

Each figure function returns a ``matplotlib`` Figure so notebooks show it and tests can check
it. ``save_fig`` writes into the work folder's ``figures/`` (git-ignored).
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from colorgan_utils.data import ImageRecord, ScanReport, breed_name


def save_fig(fig, name: str, folder: str | os.PathLike | None = None, dpi: int = 100) -> Path:
    """Save a figure as ``<folder>/<name>.png`` (default: ``<work dir>/figures``)."""
    from colorgan_utils import env

    out = Path(folder) if folder else env.work_dir() / "figures"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def scan_table_html(report: ScanReport, max_issues: int = 50) -> str:
    """The scan report as an HTML table (per breed) plus the list of flagged files (notebook 01)."""
    rows = "".join(
        f"<tr><td>{html.escape(breed_name(b))}</td><td><code>{html.escape(b)}</code></td>"
        f"<td>{c['color']}</td><td>{c['black_and_white']}</td><td>{c['rejected']}</td></tr>"
        for b, c in report.per_breed().items()
    )
    table = ("<table><tr><th>breed</th><th>folder</th><th>colour</th><th>black-and-white</th>"
             f"<th>rejected</th></tr>{rows}</table>")
    items = [("rejected", i) for i in report.rejected] + [("b&w", i) for i in report.black_and_white] + \
            [("note", i) for i in report.notes]
    lines = "".join(
        f"<li><b>{kind}</b> <code>{html.escape(Path(i.path).name)}</code>: "
        f"{html.escape(i.reason)}</li>" for kind, i in items[:max_issues]
    )
    more = f"<p>... and {len(items) - max_issues} more</p>" if len(items) > max_issues else ""
    return f"{table}<ul>{lines}</ul>{more}<p><b>{html.escape(report.summary())}</b></p>"


def plot_breed_counts(report: ScanReport):
    """Horizontal bars: usable colour photos (and b&w / rejected) per breed."""
    import matplotlib.pyplot as plt

    table = report.per_breed()
    names = [breed_name(b) for b in table]
    colour = np.array([c["color"] for c in table.values()])
    other = np.array([c["black_and_white"] + c["rejected"] for c in table.values()])
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(names) + 1.2))
    y = np.arange(len(names))
    ax.barh(y, colour, color="tab:blue", label="colour")
    ax.barh(y, other, left=colour, color="tab:gray", label="b&w or rejected")
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("images")
    ax.set_title("Images per breed")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_image_sizes(records: Sequence[ImageRecord], image_size: int | None = None):
    """Scatter of width x height and a histogram of the shorter side (with the crop size)."""
    import matplotlib.pyplot as plt

    w = np.array([r.width for r in records])
    h = np.array([r.height for r in records])
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.scatter(w, h, s=4, alpha=0.4)
    a.set_xlabel("width (px)")
    a.set_ylabel("height (px)")
    a.set_title("Image sizes")
    b.hist(np.minimum(w, h), bins=30, color="tab:green")
    if image_size:
        b.axvline(image_size, color="k", ls="--", label=f"model size {image_size} px")
        b.legend()
    b.set_xlabel("shorter side (px)")
    b.set_title("Shorter side")
    fig.tight_layout()
    return fig


def plot_lab_grid(l_norm: np.ndarray, ab_norm: np.ndarray, titles: Sequence[str] | None = None):
    """Rows of original | L (the black-and-white image) | a | b for a batch in [-1, 1]."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    from colorgan_utils.color import lab_normalized_to_rgb

    a_map = LinearSegmentedColormap.from_list("a", ["#1a9850", "white", "#d7301f"])
    b_map = LinearSegmentedColormap.from_list("b", ["#2166ac", "white", "#f0a800"])
    l_norm, ab_norm = np.asarray(l_norm), np.asarray(ab_norm)
    rgb = np.asarray(lab_normalized_to_rgb(l_norm, ab_norm))
    n = len(l_norm)
    fig, axes = plt.subplots(n, 4, figsize=(8, 2.1 * n), squeeze=False)
    for i in range(n):
        panels = [(rgb[i], None, "original"),
                  (l_norm[i, ..., 0], "gray", "L (black-and-white)"),
                  (ab_norm[i, ..., 0], a_map, "a (green - red)"),
                  (ab_norm[i, ..., 1], b_map, "b (blue - yellow)")]
        for ax, (img, cmap, title) in zip(axes[i], panels):
            if cmap is None:
                ax.imshow(img)
            else:
                lim = (-1, 1) if cmap == "gray" else (-0.4, 0.4)
                ax.imshow(img, cmap=cmap, vmin=lim[0], vmax=lim[1])
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=9)
        if titles:
            axes[i, 0].set_ylabel(titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def plot_comparison(columns: dict[str, np.ndarray], row_titles: Sequence[str] | None = None,
                    size: float = 2.2):
    """A grid with one column per entry of ``columns`` (e.g. original / gray / colorized).

    Each value is a batch ``[N, H, W, C]`` (C = 1 or 3) or ``[N, H, W]`` in [0, 1], or a list
    of N such images (whole photos of different sizes).
    Used by notebooks 02, 04 and 05 and by the per-epoch sample grids.
    """
    import matplotlib.pyplot as plt

    names = list(columns)
    n = len(next(iter(columns.values())))
    fig, axes = plt.subplots(n, len(names), figsize=(size * len(names), size * n), squeeze=False)
    for j, name in enumerate(names):
        batch = columns[name]  # an array, or a list of images of different sizes
        for i in range(n):
            img = np.asarray(batch[i])
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
            ax = axes[i, j]
            if img.ndim == 2:
                ax.imshow(np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(np.clip(img, 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(name, fontsize=10)
            if j == 0 and row_titles:
                ax.set_ylabel(row_titles[i], fontsize=8)
    fig.tight_layout()
    return fig


def plot_feature_maps(image: np.ndarray, features: Sequence[np.ndarray], n: int = 4,
                      size: float = 1.8):
    """What a pretrained encoder sees (notebook 02): the photo, then one row per feature map
    (stride 2, 4, ... 32) with its ``n`` most active channels of one image (``features[k]`` is
    ``[1, h, w, C]`` or ``[h, w, C]``), each scaled to its own range."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(features), n + 1, figsize=(size * (n + 1), size * len(features)),
                             squeeze=False)
    for i, fmap in enumerate(features):
        fmap = np.asarray(fmap)
        fmap = fmap[0] if fmap.ndim == 4 else fmap
        axes[i, 0].imshow(np.clip(image, 0, 1), cmap="gray" if np.ndim(image) == 2 else None)
        axes[i, 0].set_ylabel(f"stride {image.shape[0] // fmap.shape[0]}\n{fmap.shape[0]}x"
                              f"{fmap.shape[1]}x{fmap.shape[2]}", fontsize=8)
        for j, c in enumerate(np.argsort(fmap.mean(axis=(0, 1)))[::-1][:n]):
            ch = fmap[..., c]
            span = float(ch.max() - ch.min()) or 1.0
            axes[i, j + 1].imshow((ch - ch.min()) / span, cmap="magma")
            axes[i, j + 1].set_title(f"channel {c}", fontsize=7)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return fig


def plot_patch_grid(image: np.ndarray, discriminator, patch: tuple[int, int] | None = None):
    """Draw the PatchGAN's grid of patch centres on a photo and the receptive field of one patch
    (notebook 03)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from colorgan_utils.models import patch_box, receptive_field

    rf = receptive_field(discriminator)
    grid = discriminator.output_shape[1]
    size = image.shape[0]
    row, col = patch if patch is not None else (grid // 2, grid // 2)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(np.clip(image, 0, 1), extent=(0, size, size, 0))
    centres = rf["start"] + rf["jump"] * np.arange(grid)
    yy, xx = np.meshgrid(centres, centres, indexing="ij")
    ax.scatter(xx.ravel(), yy.ravel(), s=8, c="white", edgecolors="k", linewidths=0.5)
    top, left, bottom, right = patch_box(discriminator, row, col)
    ax.add_patch(Rectangle((left, top), right - left, bottom - top, fill=False, ec="red", lw=2))
    ax.scatter([centres[col]], [centres[row]], s=40, c="red")
    ax.set_xlim(min(0, left) - 2, max(size, right) + 2)
    ax.set_ylim(max(size, bottom) + 2, min(0, top) - 2)
    ax.set_title(f"{grid}x{grid} patches; patch ({row}, {col}) sees {rf['size']}x{rf['size']} px",
                 fontsize=9)
    return fig


def plot_patch_heatmaps(images: np.ndarray, real_logits: np.ndarray, colorized_images: np.ndarray,
                        colorized_logits: np.ndarray):
    """Rows: real photo, its patch logits, colorized photo, its patch logits (notebooks 03, 05).

    Blue patches are called real (logit > 0), red ones colorized; the colour scale is symmetric
    around 0 and fitted to the largest logit, so even an untrained discriminator's bias shows.
    """
    import matplotlib.pyplot as plt

    real_logits = np.asarray(real_logits)[..., 0]
    colorized_logits = np.asarray(colorized_logits)[..., 0]
    lim = float(max(np.abs(real_logits).max(), np.abs(colorized_logits).max(), 1e-6))
    n = len(images)
    fig, axes = plt.subplots(n, 4, figsize=(9, 2.3 * n), squeeze=False)
    im = None
    for i in range(n):
        panels = [(images[i], "real photo"), (real_logits[i], "patch logits"),
                  (colorized_images[i], "colorized"), (colorized_logits[i], "patch logits")]
        for ax, (img, title) in zip(axes[i], panels):
            if img.ndim == 2:
                im = ax.imshow(img, cmap="RdBu", vmin=-lim, vmax=lim)
            else:
                ax.imshow(np.clip(img, 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6,
                 label="logit (> 0: called real, P(real) = sigmoid)")
    return fig


def plot_history(history: Sequence[dict], gray_l1: float | None = None):
    """Training curves from ``history.csv`` rows: the losses (with log 2 marked) and the
    discriminator's accuracies, train and validation (notebook 04)."""
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]

    def series(key):
        return [r.get(key, np.nan) for r in history]

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    ax = axes[0]
    ax.plot(epochs, series("d_loss"), label="d_loss")
    ax.plot(epochs, series("g_adv_loss"), label="g_adv_loss")
    ax.axhline(np.log(2), color="gray", ls=":", label="log 2 (discriminator at chance)")
    ax.set_title("Adversarial losses")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(epochs, series("g_l1"), label="train")
    ax.plot(epochs, series("val_g_l1"), label="validation")
    if gray_l1 is not None:
        ax.axhline(gray_l1, color="gray", ls="--", label="gray baseline (ab = 0)")
    ax.set_title("L1 on ab (lower is closer to the real colours)")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    ax = axes[2]
    for key, style in (("d_real_acc", "-"), ("d_colorized_acc", "-"), ("val_d_real_acc", "--"),
                       ("val_d_colorized_acc", "--"), ("val_d_mismatch_acc", ":")):
        if history and key in history[0]:  # runs trained before a column existed
            ax.plot(epochs, series(key), style, label=key)
    ax.axhline(0.5, color="gray", ls=":")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Discriminator accuracy per patch (threshold P = 0.5)")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    for a in axes:
        if epochs:
            a.set_xlim(min(epochs) - 0.2, max(epochs) + 0.2)
    fig.tight_layout()
    return fig


def plot_sample_progress(run_dir: str | os.PathLike, n: int = 4):
    """Up to ``n`` of a run's per-epoch sample grids side by side (first ... last epoch)."""
    import matplotlib.pyplot as plt

    from colorgan_utils.runs import SAMPLES

    files = sorted((Path(run_dir) / SAMPLES).glob("epoch_*.png"))
    if not files:
        raise FileNotFoundError(f"no sample grids in {Path(run_dir) / SAMPLES}: train first")
    idx = sorted(set(np.linspace(0, len(files) - 1, min(n, len(files))).round().astype(int)))
    fig, axes = plt.subplots(1, len(idx), figsize=(4.2 * len(idx), 9), squeeze=False)
    for ax, i in zip(axes[0], idx):
        ax.imshow(plt.imread(files[i]))
        ax.set_title(files[i].stem.replace("_", " "))
        ax.axis("off")
    fig.tight_layout()
    return fig


def wipe(left: np.ndarray, right: np.ndarray, position: float) -> np.ndarray:
    """The comparison slider's picture: columns left of ``position`` (0..1 of the width) from
    ``left``, the rest from ``right``. Both images ``[H, W, 3]``; a gray ``[H, W]`` or
    ``[H, W, 1]`` image is repeated to 3 channels."""

    def rgb(x):
        x = np.asarray(x, np.float32)
        if x.ndim == 2:
            x = x[..., None]
        return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x

    a, b = rgb(left), rgb(right)
    if a.shape != b.shape:
        raise ValueError(f"wipe() needs two images of one size, got {a.shape} and {b.shape}")
    cut = int(round(float(np.clip(position, 0.0, 1.0)) * a.shape[1]))
    out = b.copy()
    out[:, :cut] = a[:, :cut]
    return out


def plot_per_breed(per_breed: dict[str, dict]):
    """Per breed, the model's CIEDE2000 minus the gray baseline's (``evaluation.per_breed_report``):
    bars left of 0 (blue) are breeds the colours help, right of 0 (red) breeds where no colour
    at all would be closer. Notebook 05."""
    import matplotlib.pyplot as plt

    rows = sorted(per_breed.items(), key=lambda kv: kv[1]["ciede2000"] - kv[1]["gray_ciede2000"])
    gains = [r["ciede2000"] - r["gray_ciede2000"] for _, r in rows]
    fig, ax = plt.subplots(figsize=(6.0, 0.9 + 0.24 * len(rows)))
    ax.barh(range(len(rows)), gains, color=["tab:red" if g > 0 else "tab:blue" for g in gains])
    ax.set_yticks(range(len(rows)), [f"{b} ({r['photos']})" for b, r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("CIEDE2000: model minus gray (below 0 = closer to the true colours)")
    ax.set_title("Which breeds do the colours help?", fontsize=10)
    fig.tight_layout()
    return fig


def plot_roc(curves: dict[str, dict]):
    """ROC curves (``{"name": {"fpr", "tpr", "auc"}}``) with the chance diagonal."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, c in curves.items():
        fpr, tpr = np.r_[1.0, c["fpr"], 0.0], np.r_[1.0, c["tpr"], 0.0]
        ax.plot(fpr, tpr, label=f"{name} (AUC {c['auc']:.2f})")
    ax.plot([0, 1], [0, 1], color="gray", ls=":", label="chance")
    ax.set_xlabel("colorized called real (false positive rate)")
    ax.set_ylabel("real called real (true positive rate)")
    ax.set_title("Real vs. colorized: ROC")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_confusions(matrices: dict[str, Sequence[Sequence[int]]]):
    """Confusion matrices side by side (rows: truth real/colorized, columns: verdict)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(matrices), figsize=(3.6 * len(matrices), 3.3), squeeze=False)
    for ax, (name, cm) in zip(axes[0], matrices.items()):
        cm = np.asarray(cm)
        ax.imshow(cm, cmap="Blues", vmin=0, vmax=max(cm.sum(axis=1).max(), 1))
        for i in range(2):
            for j in range(2):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=12,
                        color="white" if cm[i, j] > cm.sum(axis=1).max() / 2 else "black")
        ax.set_xticks([0, 1], ["called real", "called colorized"])
        ax.set_yticks([0, 1], ["real", "colorized"])
        ax.set_title(name, fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradcam(images: np.ndarray, maps: np.ndarray, scores: Sequence[float],
                 titles: Sequence[str]):
    """Photos with the detector's Grad-CAM map overlaid and its P(real)."""
    import matplotlib.pyplot as plt

    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(2.3 * n, 4.8), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(np.clip(images[i], 0, 1))
        axes[0, i].set_title(f"{titles[i]}\nP(real) = {scores[i]:.2f}", fontsize=8)
        axes[1, i].imshow(np.clip(images[i], 0, 1))
        axes[1, i].imshow(maps[i], cmap="jet", alpha=0.45, vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[1, 0].set_ylabel("Grad-CAM", fontsize=9)
    fig.tight_layout()
    return fig


def _ab_grid(centres: np.ndarray, values: np.ndarray, grid: float = 10.0,
             limit: float = 110.0) -> np.ndarray:
    """Per-bin values laid on the 23 x 23 ab grid (NaN where there is no bin); rows are b
    (top = +b), columns a."""
    n = int(round(2 * limit / grid)) + 1
    out = np.full((n, n), np.nan)
    for (a, b), v in zip(np.asarray(centres), np.asarray(values, np.float64)):
        out[n - 1 - int(round((b + limit) / grid)), int(round((a + limit) / grid))] = v
    return out


def ab_bin_colours(centres: np.ndarray, lightness: float = 60.0) -> np.ndarray:
    """The sRGB colour of every ab bin at one lightness, on the ab grid ``[23, 23, 3]`` (white
    where there is no bin; out-of-gamut colours lose chroma, as in every colorization)."""
    import tensorflow as tf

    from colorgan_utils.color import lab_to_rgb_keep_lightness

    lab = np.concatenate([np.full((len(centres), 1), lightness), centres], -1)
    rgb = lab_to_rgb_keep_lightness(tf.constant(lab[None], tf.float32)).numpy()[0]
    img = np.stack([_ab_grid(centres, rgb[:, k]) for k in range(3)], -1)
    return np.where(np.isnan(img), 1.0, img)


def plot_ab_bins(centres: np.ndarray, lightness: float = 60.0):
    """The ab plane cut into bins of 10 x 10 Lab units: each in-gamut bin in its colour
    (notebook 02)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.4, 4.4))
    ax.imshow(ab_bin_colours(centres, lightness), extent=(-115, 115, -115, 115))
    ax.axhline(0, color="k", lw=0.4)
    ax.axvline(0, color="k", lw=0.4)
    ax.set_xlabel("a (green - red)")
    ax.set_ylabel("b (blue - yellow)")
    ax.set_title(f"{len(centres)} ab bins (shown at L = {lightness:g})")
    return fig


def plot_color_prior(centres: np.ndarray, prior: np.ndarray, weights: np.ndarray):
    """The training split's colour prior on the ab plane (log scale), and what the loss sees
    after class rebalancing (prior x weight): the common grays and browns stop dominating
    (notebook 04)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    extent = (-115, 115, -115, 115)
    axes[0].imshow(ab_bin_colours(centres), extent=extent)
    axes[0].set_title("the bins, in their colour")
    effective = prior * weights
    effective = effective / effective.sum()
    vmin = np.log10(max(float(prior[prior > 0].min()), 1e-8))
    for ax, values, title in ((axes[1], prior, "prior of our training photos"),
                              (axes[2], effective, "after rebalancing (prior x weight)")):
        im = ax.imshow(np.log10(np.maximum(_ab_grid(centres, values), 1e-12)), extent=extent,
                       cmap="magma", vmin=vmin, vmax=0)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, fraction=0.046, label="log10 probability")
    for ax in axes:
        ax.set_xlabel("a")
        ax.set_ylabel("b")
    fig.tight_layout()
    return fig


def plot_score_histograms(scores: dict[str, tuple[Sequence[float], Sequence[float], float]],
                          bins: int = 30):
    """One panel per scorer: its scores on the real and on the colorized test photos, and its
    threshold (chosen on validation) as a dashed line. ``{"name": (real, colorized, t)}``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scores), figsize=(4.2 * len(scores), 3.0), squeeze=False)
    for ax, (name, (real, colorized, t)) in zip(axes[0], scores.items()):
        edges = np.histogram_bin_edges(np.r_[real, colorized], bins)
        ax.hist(real, edges, alpha=0.6, label="real", color="tab:green")
        ax.hist(colorized, edges, alpha=0.6, label="colorized", color="tab:purple")
        ax.axvline(t, color="black", ls="--", lw=1, label="threshold")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("test photos")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_colour_distributions(dist: dict[str, Any]):
    """Real against colorized (:func:`colorgan_utils.forensics.colour_distributions`): how much
    colour (chroma density over all pixels) and which colours (the share of all pixels that are
    clearly coloured in each hue band, bars painted in that hue)."""
    import matplotlib.pyplot as plt
    from skimage.color import lab2rgb

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.2))
    edges = np.asarray(dist["chroma_edges"])
    mids = (edges[:-1] + edges[1:]) / 2
    for name, colour in (("real", "tab:green"), ("colorized", "tab:purple")):
        ax1.plot(mids, dist[name]["chroma"], color=colour,
                 label=f"{name} ({dist[name]['coloured_share']:.0%} of pixels coloured)")
    ax1.set_xlabel("Lab chroma (0 = gray)")
    ax1.set_ylabel("density of pixels")
    ax1.set_title("How much colour", fontsize=10)
    ax1.legend(fontsize=8)
    hue = np.asarray(dist["hue_edges"])
    width = np.diff(hue)[0]
    centres = hue[:-1] + width / 2
    rad = np.radians(centres)
    swatch = lab2rgb(np.stack([np.full_like(rad, 65), 45 * np.cos(rad), 45 * np.sin(rad)],
                              -1)[None])[0]
    ax2.bar(centres - width / 4, dist["real"]["hue"], width / 2, color=swatch,
            edgecolor="tab:green", label="real")
    ax2.bar(centres + width / 4, dist["colorized"]["hue"], width / 2, color=swatch,
            edgecolor="tab:purple", hatch="//", label="colorized")
    ax2.set_xlabel("hue angle in Lab (degrees): red 0-40, yellow ~90, green ~150, blue ~-90")
    ax2.set_ylabel("share of all pixels")
    ax2.set_title("Which colours (coloured pixels only)", fontsize=10)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_breed_accuracy(per_breed: dict[str, dict[str, float]], n: int = 8):
    """The detector's accuracy per breed: the ``n`` breeds where it is surest and the ``n``
    where it is least sure (all of them when there are few)."""
    import matplotlib.pyplot as plt

    ranked = sorted(per_breed.items(), key=lambda kv: kv[1]["accuracy"])
    shown = ranked if len(ranked) <= 2 * n else ranked[:n] + ranked[-n:]
    fig, ax = plt.subplots(figsize=(6, 0.28 * len(shown) + 1.0))
    names = [f"{b} ({r['photos']})" for b, r in shown]
    ax.barh(names, [r["accuracy"] for _, r in shown], color="tab:blue")
    ax.axvline(0.5, color="gray", ls=":", label="chance")
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy on the breed's test photos (real and colorized)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_hint_curve(curves: dict[str, dict[str, Any]]):
    """Notebook 07's curve: CIEDE2000 (lower is closer to the photo) and colourfulness against
    the number of hints, one line per :func:`colorgan_utils.evaluation.hint_curve` in
    ``curves`` (e.g. test photos, unseen breeds), the gray baseline and the real photos'
    colourfulness dashed, the automatic generator (when the curve has it) a star at 0."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for (name, c), colour in zip(curves.items(), ("C0", "C1", "C2", "C3")):
        counts = c["counts"]
        x = np.arange(len(counts))
        for ax, key, ref, label in ((axes[0], "ciede2000", c["gray_baseline"], "gray"),
                                    (axes[1], "colorfulness", c["real"], "real photos")):
            ax.plot(x, [c["model"][str(n)][key] for n in counts], "o-", color=colour,
                    label=f"{name} ({c['photos']} photos)")
            ax.axhline(ref[key], color=colour, ls="--", lw=1, label=f"{label}, {name}")
            if "automatic" in c:  # the automatic generator on the same photos
                ax.plot([0], [c["automatic"][key]], "*", ms=11, color=colour, mfc="none",
                        label=f"automatic generator, {name}")
            ax.set_xticks(x, [str(n) for n in counts])
            ax.set_xlabel("hints per photo (random places, true colours)")
    axes[0].set_ylabel("CIEDE2000 to the photo (lower is closer)")
    axes[1].set_ylabel("colourfulness (Hasler & Süsstrunk)")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_hints(l_norm: np.ndarray, ab_norm: np.ndarray, mask: np.ndarray,
               hint_ab: np.ndarray, titles: Sequence[str] | None = None):
    """The hint simulation drawn, one photo per row: the photo, its black-and-white L, and the
    hints the generator is given (each patch in its colour on the gray L, dimmed)."""
    import matplotlib.pyplot as plt

    from colorgan_utils.color import lab_normalized_to_rgb

    n = len(l_norm)
    real = lab_normalized_to_rgb(l_norm, ab_norm).numpy()
    gray = (np.asarray(l_norm) + 1) / 2
    on_gray = lab_normalized_to_rgb(np.asarray(l_norm) * 0.5 - 0.2, hint_ab * mask).numpy()
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 2.5 * n), squeeze=False)
    for i in range(n):
        points = int(round(float(mask[i].sum())))
        for ax, img, title in ((axes[i, 0], real[i], "photo"),
                               (axes[i, 1], gray[i, ..., 0], "what the generator sees: L"),
                               (axes[i, 2], on_gray[i], f"+ hints ({points} px hinted)")):
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            ax.set_title(title if i == 0 or title.startswith("+") else "", fontsize=9)
            ax.axis("off")
        if titles:
            axes[i, 0].set_ylabel(titles[i])
    fig.tight_layout()
    return fig
