"""Post-hoc colour strength: can decoding alone make an L1 generator as colourful as real photos?

Runs at commit 9065a28 (``git checkout 9065a28 -- colorgan_utils research``): the objectives it
trains have since left the package's settings (research/README.md).

Not a test. An L1-trained generator predicts the *median* colour, which is paler than the real
one (colourfulness 18 against 34 on our test split). Two decoding-time remedies, chosen on the
**validation** split (the test split stays for the final table):

* a chroma gain: ``ab * g`` (clipped to the ab range; the usual gamut map does the rest);
* a blend with a "classify" generator's vivid ab: ``(1 - w) * ab_l1 + w * ab_classify``;
* an ensemble: ``--ensemble`` averages the ab of more L1 generators with ``--run``'s (less
  variance, so closer to the true colours, and paler), and the gains then apply to the average.

Prints PSNR, CIEDE2000 and colourfulness of each against the gray baseline and the real photos.

    python research/chroma_sweep.py --run runs/gpu_runs/a_l1_gan \\
        --blend-with runs/gpu_runs/c_class_gan --data ../shared/data/stanford-dogs-small
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True, help="the L1 generator's run folder")
    parser.add_argument("--blend-with", default=None, help="a 'classify' generator's run folder")
    parser.add_argument("--ensemble", nargs="+", default=[],
                        help="more L1 generators' run folders, averaged with --run's")
    parser.add_argument("--data", required=True)
    parser.add_argument("--gains", type=float, nargs="+", default=[1.0, 1.2, 1.4, 1.6, 1.8])
    parser.add_argument("--weights", type=float, nargs="+", default=[0.25, 0.5, 0.75])
    parser.add_argument("--split", default="val", choices=["val", "test"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    import numpy as np

    from colorgan_utils.color import lab_normalized_to_rgb
    from colorgan_utils.evaluation import colorize_records, quality_report
    from colorgan_utils.runs import load_run
    from temperature_sweep import split_of_run  # this folder

    cfg, photos = split_of_run(args.run, args.data, args.split)
    base = colorize_records(load_run(args.run)[0], photos, cfg)
    if args.ensemble:
        abs_ = [base["colorized_ab"]] + [colorize_records(load_run(r)[0], photos, cfg)["colorized_ab"]
                                         for r in args.ensemble]
        base = dict(base, colorized_ab=np.mean(abs_, axis=0))
    other = (colorize_records(load_run(args.blend_with)[0], photos, cfg)
             if args.blend_with else None)

    def report(name: str, ab: np.ndarray) -> dict:
        batch = dict(base, colorized_ab=ab, colorized=lab_normalized_to_rgb(base["L"], ab).numpy())
        q = quality_report(batch)
        m, g, r = (q["quality"][k] for k in ("model", "gray_baseline", "real"))
        print(f"{name:<14} PSNR {m['psnr']:.2f} (gray {g['psnr']:.2f})  CIEDE2000 "
              f"{m['ciede2000']:.2f} (gray {g['ciede2000']:.2f})  colourfulness "
              f"{m['colorfulness']:.1f} (real {r['colorfulness']:.1f})", flush=True)
        return q

    rows = {}
    for gain in args.gains:
        rows[f"gain {gain}"] = report(f"gain {gain}", np.clip(base["colorized_ab"] * gain, -1, 1))
    if other is not None:
        for w in args.weights:
            ab = (1 - w) * base["colorized_ab"] + w * other["colorized_ab"]
            rows[f"blend {w}"] = report(f"blend {w}", ab)
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "ensemble": args.ensemble,
                                               "blend_with": args.blend_with,
                                               "split": args.split, "photos": len(photos),
                                               "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
