"""Saturated blotches on whole photos: how often each generator paints them.

Not a test. A GAN-trained colorizer can paint small blocks of saturated blue, green or magenta
on textured regions (grass, newspaper, a plush toy) when it runs on a whole photo at the render
size ``colorize`` uses (256 px), which the 128 px centre crops of the ablation table do not
show. For each run this colorizes whole test photos as ``colorize`` does and prints:

* per photo, the 99.9th percentile of the output's chroma (sqrt(a^2 + b^2) in CIE Lab): its
  median and maximum over the photos, how many photos pass ``--threshold`` and how many are more
  saturated at the top than the real photo itself;
* *painted* pixels (``metrics.painted_share``): those whose chroma exceeds the real photo's at
  the same pixel by more than ``--margin`` (30). An L1 model is paler than the truth almost
  everywhere; where it is not, it has usually painted a blotch. Printed: their share over all
  photos, in the worst photo, and how many photos have more than 0.1% (the veto in the README's
  ablation: n, o, m, a and g each had at least one such photo, k none).

``--figure`` writes each run's worst photo (most painted pixels) side by side; with
``--same-photo``, the first run's worst photo instead: original, black-and-white, and each run's
colorization of it, side by side. The photos of
``stanford-dogs-small`` are at most 128 px on the shorter side, so at render size 256 they are
upsampled and smooth; full-size photos (``--all-photos`` on ``stanford-dogs-tiny``, the
original resolution) show the net finer texture than it trained on, where blotches appear
more often.

    python research/artifact_check.py --data ../shared/data/stanford-dogs-small \\
        --runs runs/gpu_runs/o_l1_30_gan_ema runs/gpu_runs/k_l1_gan_ema70 --n 120
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def chroma_p999(rgb_u8: np.ndarray) -> float:
    """99.9th percentile of the chroma of an 8-bit RGB photo."""
    from colorgan_utils.metrics import chroma

    return float(np.percentile(chroma(rgb_u8 / 255.0), 99.9))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", nargs="+", required=True, help="run folders or generator files")
    ap.add_argument("--n", type=int, default=120, help="test photos (spread over the split)")
    ap.add_argument("--render-size", type=int, default=256)
    ap.add_argument("--threshold", type=float, default=40.0)
    ap.add_argument("--margin", type=float, default=30.0,
                    help="chroma above the real photo's, per pixel, that counts as painted")
    ap.add_argument("--figure", default=None, help="PNG: each run's worst photo")
    ap.add_argument("--same-photo", action="store_true",
                    help="--figure: the first run's worst photo, as original, gray and every run")
    ap.add_argument("--all-photos", action="store_true",
                    help="every photo in --data, not the test split (e.g. the full-size tiny set)")
    args = ap.parse_args()

    from PIL import Image

    from colorgan_utils.colorize import Colorizer
    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.metrics import painted_share
    from colorgan_utils.photos import read_photo
    from colorgan_utils.runs import load_run

    report, splits = load_splits(get_config("cpu", environ={}, data_dir=args.data))
    test = report.good if args.all_photos else splits["test"]
    paths = [r.path for r in test[:: max(1, len(test) // args.n)][: args.n]]
    photos = [read_photo(p) for p in paths]
    rows = {"real photos": [chroma_p999(p) for p in photos]}
    over = {"real photos": [0.0] * len(photos)}
    worst, all_outs = [], []
    for run in args.runs:
        generator, _ = load_run(run, verbose=False)
        colorizer = Colorizer(generator, args.render_size)
        outs = [colorizer(p)[1] for p in photos]
        all_outs.append(outs)
        rows[run] = [chroma_p999(o) for o in outs]
        over[run] = [painted_share(p / 255.0, o / 255.0, args.margin)
                     for p, o in zip(photos, outs)]
        i = int(np.argmax(over[run]))
        worst.append((run, paths[i], outs[i]))
    kind = "" if args.all_photos else "test "
    print(f"{len(paths)} whole {kind}photos, render size {args.render_size}: 99.9th "
          f"percentile of chroma per photo")
    print(f"{'':44s} {'median':>7s} {'max':>7s}  photos > {args.threshold:g}  photos above "
          f"their real photo's  painted pixels (chroma > real + {args.margin:g}): "
          f"all photos, worst photo, photos > 0.1%")
    real = np.asarray(rows["real photos"])
    for name, values in rows.items():
        v = np.asarray(values)
        o = np.asarray(over[name])
        print(f"{name[-44:]:44s} {np.median(v):7.1f} {v.max():7.1f}  "
              f"{int((v > args.threshold).sum()):13d}  {int((v > real).sum()):13d}  "
              f"{100 * o.mean():8.3f}% {100 * o.max():7.3f}% {int((o > 0.001).sum()):5d}")
    if args.figure:
        h = 256
        images = [o for _, _, o in worst]
        if args.same_photo:
            i = paths.index(worst[0][1])
            gray = np.repeat(np.uint8(np.round(colorizer(photos[i])[0] * 255))[..., None], 3, -1)
            images = [photos[i], gray] + [outs[i] for outs in all_outs]
        tiles = [Image.fromarray(o).resize((round(o.shape[1] * h / o.shape[0]), h))
                 for o in images]
        sheet = Image.new("RGB", (sum(t.width for t in tiles), h))
        x = 0
        for t in tiles:
            sheet.paste(t, (x, 0))
            x += t.width
        sheet.save(args.figure)
        for run, path, _ in worst:
            print(f"worst for {run}: {Path(path).name}")


if __name__ == "__main__":
    main()
