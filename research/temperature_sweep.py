"""Annealed-mean temperature of a "classify" generator: vividness against accuracy.

Runs at commit 9065a28 (``git checkout 9065a28 -- colorgan_utils research``): the objectives it
trains have since left the package's settings (research/README.md).

Not a test. The classification head predicts a distribution over ab bins; the colour shown is
``softmax(logits / T)``-weighted mean of the bins (Zhang et al. 2016 use T = 0.38). T is a
decoding choice, so it can be changed after training: this script re-decodes one trained
generator at several T on the **validation** split (the test split stays for the final table)
and prints PSNR, CIEDE2000 and colourfulness against the gray baseline and the real photos.

    python research/temperature_sweep.py --run runs/gpu_runs/b_class \\
        --data ../shared/data/stanford-dogs-small --temperatures 0.38 0.6 1.0
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def with_temperature(generator, temperature: float):
    """A copy of a classification generator that decodes at ``temperature``."""
    import keras

    config = generator.get_config()
    found = 0
    for layer in config["layers"]:
        if layer["class_name"] == "AnnealedMean":
            layer["config"]["temperature"] = float(temperature)
            found += 1
    if found != 1:
        raise ValueError(f"{generator.name} has no annealed-mean layer: not a 'classify' model")
    model = keras.Model.from_config(config)
    model.set_weights(generator.get_weights())
    return model


def split_of_run(run: str, data: str, split: str):
    """``(cfg, photos)``: the settings a run was trained with (``config.json``; settings renamed
    since are dropped) and the photos of one split of ``data``, split as training split it."""
    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.runs import run_config

    cfg = run_config(run, get_config("cpu"))
    _, splits = load_splits(cfg, data)
    return cfg, splits[split]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[0.2, 0.38, 0.6, 1.0])
    parser.add_argument("--split", default="val", choices=["val", "test"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from colorgan_utils.evaluation import colorize_records, quality_report
    from colorgan_utils.runs import load_run

    cfg, photos = split_of_run(args.run, args.data, args.split)
    generator, _ = load_run(args.run)
    rows = {}
    for t in args.temperatures:
        q = quality_report(colorize_records(with_temperature(generator, t), photos, cfg))
        rows[t] = q
        m, g, r = (q["quality"][k] for k in ("model", "gray_baseline", "real"))
        print(f"T = {t:<5} PSNR {m['psnr']:.2f} (gray {g['psnr']:.2f})  CIEDE2000 "
              f"{m['ciede2000']:.2f} (gray {g['ciede2000']:.2f})  colourfulness "
              f"{m['colorfulness']:.1f} (real {r['colorfulness']:.1f})", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"run": args.run, "split": args.split,
                                               "photos": len(photos),
                                               "rows": {str(k): v for k, v in rows.items()}},
                                              indent=2))


if __name__ == "__main__":
    main()
