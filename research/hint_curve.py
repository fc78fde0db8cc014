"""Colour hints: how close does the hinted generator get with 0, 1, 2, 5, 10, 20 hints?

Not a test. The hinted generator (``colorgan_utils/pretrained/generator_hints_128.npz``, trained
with ``python -m colorgan_utils train --preset hints``) is given N hints per photo, placed at
random (seeded), each a small patch carrying the photo's true colour under it
(``evaluation.hint_curve``), on the centre crops of the test photos; the automatic generator
and the gray baseline on the same photos beside it. Targets fixed before the runs: 0 hints
within 0.1 CIEDE2000 of the automatic generator; 10 hints at CIEDE2000 <= gray - 3.5 and
colourfulness within 6 of the real photos'.

``--unseen-run`` adds the same curve on breeds the generator never saw (the views of
``research/unseen_breeds.py``: a hinted run fine-tuned from that script's run on the seen view).
``--forensics`` asks the forensic question again: the colourfulness bar and the two detectors
of notebook 05, trained against automatic colorizations, judge colorizations guided by 0, 5 and
10 hints: how many does each call real (fooled), with 95% bootstrap intervals over photos?
``--figures`` draws the curve and the orange dog (one hint on its coat, true colour) and
times the widget's update at render 256.

    python research/hint_curve.py --data ../shared/data/stanford-dogs-small \\
        --unseen-run runs/hints_unseen --forensics --figures research/figures \\
        --json research/results/hint_curve.json

``--update`` keeps what ``--json`` already holds (the test-photo curve) and adds or replaces
what this run measures (e.g. ``--unseen-run`` once that run is trained).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ORANGE_BREEDS = ("dhole", "redbone", "dingo", "Rhodesian_ridgeback")


def lch(rgb):
    """Chroma and hue angle (degrees) of sRGB pixels in [0, 1]."""
    import numpy as np
    from skimage.color import rgb2lab

    lab = rgb2lab(rgb)
    return np.hypot(lab[..., 1], lab[..., 2]), np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))


def orange_dog(hinted, automatic, records, folder: Path) -> dict:
    """The orange dog: among the test photos of the orange breeds, the most colourful; one
    hint on its coat: at the orange pixel (hue 30-80 degrees, chroma > 20) nearest the centre
    of all its orange pixels, with the photo's own colour there. Measured on the pixels coloured
    like the hint in the photo (hue within 25 degrees, chroma > 15): their mean chroma and hue,
    true / automatic / hinted."""
    import numpy as np

    from colorgan_utils import metrics
    from colorgan_utils.colorize import Colorizer
    from colorgan_utils.hints import Hint, true_colour
    from colorgan_utils.photos import as_float, read_photo
    from colorgan_utils.viz import plot_comparison

    photos = [(r, as_float(read_photo(r.path))) for r in records
              if any(b in r.breed for b in ORANGE_BREEDS)]
    rec, photo = max(photos, key=lambda p: metrics.colorfulness(p[1][None]))
    chroma, hue = lch(photo)
    ys, xs = np.nonzero((hue > 30) & (hue < 80) & (chroma > 20))
    nearest = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    y, x = ys[nearest], xs[nearest]
    uint8 = np.round(photo * 255).astype(np.uint8)
    hint = Hint(int(x), int(y), true_colour(uint8, int(x), int(y)))
    auto = Colorizer(automatic)(uint8)[1] / 255.0
    gray, none = Colorizer(hinted)(uint8)
    one = Colorizer(hinted)(uint8, [hint])[1] / 255.0
    hint_hue = float(hue[y, x])
    like = (chroma > 15) & (np.abs((hue - hint_hue + 180) % 360 - 180) < 25)

    def region(img):
        c, hh = lch(img)
        return {"chroma": float(c[like].mean()),
                "hue": float(np.degrees(np.angle(np.exp(1j * np.radians(hh[like])).mean())))}

    marked = np.repeat(gray[..., None], 3, -1).copy()
    marked[max(0, y - 5):y + 6, max(0, x - 5):x + 6] = 0
    marked[max(0, y - 3):y + 4, max(0, x - 3):x + 4] = np.array(hint.rgb) / 255.0
    fig = plot_comparison({"original": photo[None], "black-and-white + 1 hint": marked[None],
                           "automatic (shipped)": auto[None],
                           "hinted, 0 hints": none[None] / 255.0,
                           "hinted, 1 hint": one[None]}, size=2.6)
    fig.savefig(folder / "hint_orange_dog.png", dpi=80, bbox_inches="tight")
    return {"photo": Path(rec.path).name, "breed": rec.breed_name, "hint": [hint.x, hint.y,
                                                                            hint.hex],
            "region_pixels": int(like.sum()), "true": region(photo), "automatic": region(auto),
            "hinted_0": region(none / 255.0), "hinted_1": region(one)}


def widget_seconds(hinted, records, clicks: int = 10) -> dict:
    """How long the widget takes per hint at render 256: the median and the slowest of
    ``clicks`` hints on one test photo (after a first, compiling, colorization)."""
    import numpy as np

    from colorgan_utils.hint_widget import HintSession
    from colorgan_utils.photos import read_photo

    session = HintSession(hinted, read_photo(records[0].path), render_size=256)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(clicks):
        session.add(int(rng.integers(session.width)), int(rng.integers(session.height)))
        times.append(session.seconds)
    return {"photo_size": [session.width, session.height], "render_size": 256,
            "median_s": statistics.median(times), "max_s": max(times),
            "load_average_1min": os.getloadavg()[0]}


def forensics_of_hints(hinted, cfg, splits, counts=(0, 5, 10), seed: int = 0) -> dict:
    """The colourfulness bar and the detectors of notebook 05 (trained against the hinted
    generator's automatic colorizations, 0 hints) on test colorizations with ``counts`` hints:
    the share each calls real, and the AUC real vs these colorizations, with 95% bootstrap
    intervals over photos."""
    import numpy as np

    from colorgan_utils import detector, forensics
    from colorgan_utils.evaluation import Evaluation, colorize_records

    plan = detector.plan(cfg)
    ev = Evaluation(hinted, None, splits["test"], cfg)
    ev.baselines(splits["train"], plan)
    report = ev.detectors(plan)
    judges = {"colourfulness bar": report["baselines"]["colourfulness"]["threshold"],
              "small CNN": report["cnn"]["threshold"]}
    if "threshold" in report.get("features", {}):
        judges["MobileNetV2-feature head"] = report["features"]["threshold"]

    def scores(name, images):
        if name == "colourfulness bar":
            return forensics.image_colorfulness(images)
        if name == "small CNN":
            return detector.detector_scores(ev.models["cnn"], images)
        feats = detector.image_features(ev.models["extractor"], images)
        return detector.detector_scores(ev.models["features"], feats)

    real = {name: scores(name, ev.batch["real"]) for name in judges}
    out: dict = {"test_photos": len(ev.batch["real"]), "thresholds": judges, "by_hints": {}}
    for n in counts:
        batch = colorize_records(hinted, splits["test"], cfg, hints=n)
        rows = {}
        for name, t in judges.items():
            s = scores(name, batch["colorized"])
            fooled = lambda r, c, t=t: float(np.mean(c > t))  # noqa: E731
            rows[name] = {
                "called_real": fooled(real[name], s),
                "called_real_ci": forensics.bootstrap_interval(real[name], s, fooled, seed=seed),
                "auc": forensics.auc(real[name], s),
                "auc_ci": forensics.bootstrap_interval(real[name], s, forensics.auc, seed=seed),
                "real_called_real": float(np.mean(real[name] > t))}
        out["by_hints"][str(n)] = rows
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="a Stanford Dogs folder")
    ap.add_argument("--generator", default="shipped:hints", help="the hinted generator")
    ap.add_argument("--automatic", default="shipped:gan", help="the automatic generator")
    ap.add_argument("--counts", type=int, nargs="+", default=[0, 1, 2, 5, 10, 20])
    ap.add_argument("--split", default="test", choices=["test", "val"],
                    help="val: the photos the candidates are chosen on")
    ap.add_argument("--unseen-run", default=None, help="a hinted run on the seen-breeds view")
    ap.add_argument("--unseen-automatic", default="runs/unseen_gan/run",
                    help="the automatic run it was fine-tuned from")
    ap.add_argument("--work", default="runs/unseen_gan", help="research/unseen_breeds.py's views")
    ap.add_argument("--forensics", action="store_true")
    ap.add_argument("--figures", default=None, help="folder for the PNGs")
    ap.add_argument("--json", default=None)
    ap.add_argument("--update", action="store_true",
                    help="keep the test-photo curve already in --json; add what is asked")
    args = ap.parse_args()

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.evaluation import colorize_records, hint_curve, quality_report
    from colorgan_utils.runs import generator_path, load_generator, load_run

    cfg = get_config("hints", environ={}, data_dir=args.data)
    _, splits = load_splits(cfg)
    hinted, _ = load_run(str(generator_path(args.generator)), verbose=False)
    automatic = load_generator(generator_path(args.automatic))
    t0 = time.time()
    result: dict = {"data": args.data, "generator": args.generator, "automatic": args.automatic}
    old = json.loads(Path(args.json).read_text()) if args.json and args.update else {}
    result.update({k: v for k, v in old.items() if k not in result})
    curves = dict(old.get("curves", {}))
    if not args.update:
        name = f"{args.split} photos"
        curves[name] = hint_curve(hinted, splits[args.split], cfg, args.counts)
        auto = quality_report(colorize_records(automatic, splits[args.split], cfg))
        curves[name]["automatic"] = {**auto["quality"]["model"],
                                     "hue_agreement": auto["hue_agreement"]["all"]}
    if args.unseen_run:
        from unseen_breeds import TINY_BREEDS, make_views

        _, unseen = make_views(args.data, TINY_BREEDS, Path(args.work))
        _, us = load_splits(cfg.replace(data_dir=str(unseen)))
        held_out = [r for s in ("train", "val", "test") for r in us[s]]
        g, _ = load_run(args.unseen_run, verbose=False)
        curves["unseen breeds"] = hint_curve(g, held_out, cfg, args.counts)
        a, _ = load_run(args.unseen_automatic, verbose=False)
        auto = quality_report(colorize_records(a, held_out, cfg))
        curves["unseen breeds"]["automatic"] = {**auto["quality"]["model"],
                                                "hue_agreement": auto["hue_agreement"]["all"]}
    result["curves"] = curves
    for name, c in curves.items():
        gray, auto = c["gray_baseline"], c["automatic"]
        print(f"\n{name} ({c['photos']} photos): gray CIEDE2000 {gray['ciede2000']:.2f}, real "
              f"colourfulness {c['real']['colorfulness']:.1f}; automatic CIEDE2000 "
              f"{auto['ciede2000']:.2f}, colourfulness {auto['colorfulness']:.1f}")
        print(f"  {'hints':>5s} {'PSNR':>6s} {'CIEDE2000':>9s} {'vs gray':>7s} {'colourful':>9s} "
              f"{'hue agr.':>8s}")
        for n in c["counts"]:
            m = c["model"][str(n)]
            print(f"  {n:5d} {m['psnr']:6.2f} {m['ciede2000']:9.2f} "
                  f"{m['ciede2000'] - c['gray_baseline']['ciede2000']:+7.2f} "
                  f"{m['colorfulness']:9.1f} {m['hue_agreement']:8.2f}")
    if args.figures:
        from colorgan_utils.viz import plot_hint_curve

        folder = Path(args.figures)
        folder.mkdir(parents=True, exist_ok=True)
        plot_hint_curve(curves).savefig(folder / "hint_curve.png", dpi=90, bbox_inches="tight")
        result["orange_dog"] = orange_dog(hinted, automatic, splits["test"], folder)
        print("\norange dog:", json.dumps(result["orange_dog"]))
        result["widget"] = widget_seconds(hinted, splits["test"])
        print("widget:", json.dumps(result["widget"]))
    if args.forensics:
        result["forensics"] = forensics_of_hints(hinted, cfg, splits)
        print("\nforensics (share of colorizations called real, 95% interval):")
        for n, rows in result["forensics"]["by_hints"].items():
            for name, r in rows.items():
                lo, hi = r["called_real_ci"]
                print(f"  {n:>2s} hints  {name:26s} {r['called_real']:6.1%} [{lo:.1%}, {hi:.1%}]"
                      f"   AUC {r['auc']:.3f} [{r['auc_ci'][0]:.3f}, {r['auc_ci'][1]:.3f}]")
    result["minutes"] = round((time.time() - t0) / 60, 1)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
