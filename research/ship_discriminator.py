"""Give the shipped generator its discriminator: the GAN's own discriminator from the epoch the
shipped generator comes from, trained briefly more against that generator, frozen.

Why: the shipped generator is the best epoch (3) of a ``cpu``-preset run, two epochs into the
adversarial phase; its discriminator of that epoch still calls every test photo "colorized"
(its BatchNorm statistics had not settled: per-patch accuracy 0.50, real 0.0), so notebook 05
would show a verdict that means nothing. Keras' ``fit`` trains it here, with the GAN's
discriminator loss (binary cross-entropy per patch) and learning rate, on the train split's real
photos and their colorizations, shuffled together, early-stopped on the run's validation split.
The result is saved as ``colorgan_utils/pretrained/discriminator_128.npz``.

    python research/ship_discriminator.py --run runs/cpu128 --data ../shared/data/stanford-dogs-small
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", required=True, help="the run folder the shipped generator came from")
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--out", default=None, help="default: the package's pretrained folder")
    args = ap.parse_args()

    import keras

    from colorgan_utils.data import load_splits
    from colorgan_utils.detector import fit_detector
    from colorgan_utils.evaluation import colorize_records, discriminator_report
    from colorgan_utils.runs import save_compact
    from colorgan_utils.runs import PRETRAINED, _load_keras, read_json, run_config
    from colorgan_utils.config import get_config

    t0 = time.time()
    generator = _load_keras(Path(args.run) / "generator_best.keras")
    discriminator = _load_keras(Path(args.run) / "discriminator_best.keras")
    best = read_json(Path(args.run) / "best.json")
    cfg = run_config(args.run, get_config("cpu"))
    _, splits = load_splits(cfg.replace(data_dir=args.data))
    train = colorize_records(generator, splits["train"], cfg)
    val = colorize_records(generator, splits["val"], cfg)
    test = colorize_records(generator, splits["test"], cfg)
    before = discriminator_report(discriminator, test, n_boot=200)

    def patches(batch):
        x = [np.concatenate([batch["L"], batch["L"]]),
             np.concatenate([batch["ab"], batch["colorized_ab"]])]
        n = len(batch["L"])
        shape = discriminator.output_shape[1:]
        y = np.concatenate([np.ones((n, *shape)), np.zeros((n, *shape))]).astype(np.float32)
        return x, y

    keras.utils.set_random_seed(cfg.seed)
    history = fit_detector(discriminator, patches(train), patches(val), epochs=args.epochs,
                           patience=1, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate,
                           verbose=2)
    after = discriminator_report(discriminator, test, n_boot=200)
    out = Path(args.out) if args.out else PRETRAINED.with_name("discriminator_128.npz")
    save_compact(discriminator, out)
    keep = ("per_patch_accuracy", "per_patch_real_acc", "per_patch_colorized_acc",
            "per_image_accuracy", "auc", "confusion")
    record = {"run_epoch": best.get("epoch"), "epochs": len(history["val_auc"]),
              "best_epoch": history["best_epoch"] + 1, "history": history,
              "test_before": {k: before[k] for k in keep},
              "test_after": {k: after[k] for k in keep},
              "train_photos": len(splits["train"]), "seconds": round(time.time() - t0, 1)}
    results = Path(__file__).parent / "results" / "ship_discriminator.json"
    results.write_text(json.dumps(record, indent=2))
    print(json.dumps({k: record[k] for k in ("test_before", "test_after", "seconds")}, indent=2))
    print("wrote", out, "and", results)


if __name__ == "__main__":
    main()
