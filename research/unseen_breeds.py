"""Breeds never seen in training: does a generator colorize them as well as the breeds it saw?

Not a test. Issue 8 asks for the quality figures on photos of breeds the model has never seen: a
model that memorised its 30 breeds' coats would do worse there. This script makes two views of a
Stanford Dogs folder, as folders of symbolic links (no photo is copied): ``<work>/seen`` with
every breed but the held-out ones, ``<work>/unseen`` with the held-out breeds only (default: the
four breeds of ``stanford-dogs-tiny``, so its full-size photos are unseen-breed photos too). The
split is by file name, so each photo keeps its train/val/test split in either view.

``--train`` trains the ``cpu`` preset on the seen view into ``<work>/run`` (resumable: run the
command again after an interruption). Then every run given (default: that one) is evaluated on
centre crops at its training size, against the gray baseline: the seen breeds' test photos, the
held-out breeds' test photos (which a run trained on all breeds saw other photos of) and every
photo of the held-out breeds, with the CIEDE2000 gain over gray per held-out breed.
``--figure`` draws one whole test photo per held-out breed: original | gray | each run's
colorization (rendered as ``colorize`` does).

    python research/unseen_breeds.py --data ../shared/data/stanford-dogs-small --train \\
        --runs runs/unseen_breeds/run runs/cpu128_k --json unseen.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TINY_BREEDS = ["n02085620-Chihuahua", "n02088364-beagle", "n02111889-Samoyed",
               "n02113023-Pembroke"]


def make_views(data: str, hold_out: list[str], work: Path) -> tuple[Path, Path]:
    """``work/seen`` and ``work/unseen``: ``Images/<breed>`` links into ``data``'s breed folders."""
    from colorgan_utils.data import find_images_root

    root = find_images_root(data).resolve()
    breeds = sorted(c.name for c in root.iterdir() if c.is_dir() and not c.name.startswith("."))
    missing = [b for b in hold_out if b not in breeds]
    if missing:
        raise SystemExit(f"{root} has no breed folder {', '.join(missing)}")
    if not set(breeds) - set(hold_out):
        raise SystemExit(f"holding out all {len(breeds)} breeds of {root} leaves none to train on")
    views = {"seen": work / "seen", "unseen": work / "unseen"}
    for name, view in views.items():
        (view / "Images").mkdir(parents=True, exist_ok=True)
        for b in breeds:
            link = view / "Images" / b
            wanted = (b in hold_out) == (name == "unseen")
            if wanted and not link.is_symlink():
                os.symlink(root / b, link, target_is_directory=True)
            elif not wanted and link.is_symlink():
                link.unlink()
    return views["seen"], views["unseen"]


def quality(batch: dict) -> dict:
    """PSNR, SSIM, CIEDE2000, colourfulness and hue agreement of a ``colorize_records`` batch, and its size."""
    from colorgan_utils.evaluation import quality_report

    report = quality_report(batch)
    out = report["quality"]
    out["hue_agreement"] = report["hue_agreement"]
    out["photos"] = len(batch["real"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="a Stanford Dogs folder")
    ap.add_argument("--hold-out", nargs="+", default=TINY_BREEDS, help="breed folders to hold out")
    ap.add_argument("--work", default="runs/unseen_breeds", help="views and run go here")
    ap.add_argument("--train", action="store_true", help="train the cpu preset on the seen view")
    ap.add_argument("--runs", nargs="*", default=None, help="runs to evaluate (default: <work>/run)")
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument("--figure", default=None, help="PNG: a held-out breed's test photo per row")
    ap.add_argument("--labels", nargs="*", default=None, help="column titles of the runs")
    args = ap.parse_args()

    import numpy as np

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.evaluation import colorize_records
    from colorgan_utils.models import training_size
    from colorgan_utils.runs import load_run

    work = Path(args.work)
    seen, unseen = make_views(args.data, args.hold_out, work)
    if args.train:
        from colorgan_utils.training import train

        train(get_config("cpu", environ={}, data_dir=str(seen)), work / "run", verbose=2)

    cfg = get_config("cpu", environ={})
    _, seen_splits = load_splits(cfg.replace(data_dir=str(seen)))
    _, unseen_splits = load_splits(cfg.replace(data_dir=str(unseen)))
    groups = {
        "seen breeds, test photos": seen_splits["test"],
        "held-out breeds, test photos": unseen_splits["test"],
        "held-out breeds, all photos": [r for s in ("train", "val", "test")
                                        for r in unseen_splits[s]],
    }
    held_out = sorted({r.breed for r in groups["held-out breeds, all photos"]})
    results: dict = {"data": args.data, "held_out": held_out, "runs": {}}
    runs = args.runs or [str(work / "run")]
    labels = args.labels or runs
    if len(labels) != len(runs):
        raise SystemExit(f"{len(labels)} --labels for {len(runs)} runs")
    # the widest test photo of each held-out breed, for --figure
    photos = [max((r for r in unseen_splits["test"] if r.breed == b),
                  key=lambda r: r.width / r.height) for b in held_out]
    columns: dict = {}
    for run, label in zip(runs, labels):
        generator, _ = load_run(run, verbose=False)
        if args.figure:
            from colorgan_utils.colorize import compare_photos

            originals, grays, colours = compare_photos(generator, [r.path for r in photos])
            columns.setdefault("original", originals)
            columns.setdefault("black-and-white", grays)
            columns[label] = colours
        rcfg = cfg.replace(image_size=training_size(generator))
        batches = {name: colorize_records(generator, recs, rcfg) for name, recs in groups.items()}
        res = {name: quality(batch) for name, batch in batches.items()}
        every = batches["held-out breeds, all photos"]  # in record order: slice it per breed
        breed_of = np.array([r.breed for r in groups["held-out breeds, all photos"]])
        res["per held-out breed"] = {
            b: quality({k: v[breed_of == b] for k, v in every.items()}) for b in held_out}
        results["runs"][run] = res
        print(f"\n{run}")
        print(f"  {'':32s} {'photos':>6s} {'PSNR dB (vs gray)':>18s} {'SSIM':>6s} "
              f"{'CIEDE2000 (vs gray)':>20s} {'colourful (real)':>17s}")
        rows = [(name, res[name]) for name in groups]
        rows += [(f"  {b}", q) for b, q in res["per held-out breed"].items()]
        for name, q in rows:
            m, g = q["model"], q["gray_baseline"]
            print(f"  {name:32s} {q['photos']:6d} {m['psnr']:8.2f} ({m['psnr'] - g['psnr']:+5.2f})"
                  f"   {m['ssim']:6.3f} {m['ciede2000']:9.2f} ({m['ciede2000'] - g['ciede2000']:+5.2f})"
                  f"    {m['colorfulness']:6.1f} ({q['real']['colorfulness']:4.1f})")
    if args.figure:
        from colorgan_utils.viz import plot_comparison

        fig = plot_comparison(columns, row_titles=[r.breed_name for r in photos], size=2.4)
        fig.savefig(args.figure, dpi=80, bbox_inches="tight")
        print(f"\nwrote {args.figure}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
