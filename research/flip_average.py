"""Test-time flip averaging: the colour of a photo averaged with that of its mirror image.

Not a test. A trained generator's prediction for a photo and for the same photo mirrored left to
right differ a little (GAN noise, asymmetric receptive fields); averaging the two ab maps (the
mirrored one flipped back) is a standard test-time augmentation. It costs a second forward pass.
This script measures what it buys on centre crops at the generator's training size, on the
validation split (to decide) and the test split (to report), against the plain prediction and
the gray baseline: PSNR, SSIM, CIEDE2000 and colourfulness.

    python research/flip_average.py --run runs/gpu_runs/k_l1_gan_ema70 \\
        --data ../shared/data/stanford-dogs-small
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default=None, help="run folder or generator file (default: shipped)")
    ap.add_argument("--data", required=True)
    ap.add_argument("--splits", nargs="+", default=["val", "test"])
    args = ap.parse_args()

    import numpy as np
    import tensorflow as tf

    from colorgan_utils import metrics
    from colorgan_utils.color import lab_normalized_to_rgb
    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.evaluation import colorize_records
    from colorgan_utils.models import training_size
    from colorgan_utils.runs import load_run

    generator, _ = load_run(args.run, verbose=False)
    cfg = get_config("cpu", environ={}).replace(image_size=training_size(generator))
    _, splits = load_splits(cfg.replace(data_dir=args.data))
    for split in args.splits:
        batch = colorize_records(generator, splits[split], cfg)  # real, gray, plain colorized
        lum = batch["L"]
        mirrored = np.concatenate([
            np.asarray(generator(tf.reverse(lum[i:i + 64], [2]), training=False), np.float32)
            for i in range(0, len(lum), 64)])[:, :, ::-1]
        averaged = lab_normalized_to_rgb(lum, 0.5 * (batch["colorized_ab"] + mirrored)).numpy()
        real = batch["real"]
        table = metrics.quality_table(real, {"plain": batch["colorized"],
                                             "flip-averaged": averaged, "gray": batch["gray"]})
        print(f"\n{split} split, {len(real)} centre crops at {cfg.image_size} px")
        print(f"{'':16s} {'PSNR dB':>8s} {'SSIM':>6s} {'CIEDE2000':>10s} {'colourful':>10s}")
        for name in ("plain", "flip-averaged", "gray"):
            q = table[name]
            print(f"{name:16s} {q['psnr']:8.2f} {q['ssim']:6.3f} {q['ciede2000']:10.3f} "
                  f"{q['colorfulness']:10.1f}")
        print(f"{'real photos':16s} {'':8s} {'':6s} {'':10s} "
              f"{table['real']['colorfulness']:10.1f}")


if __name__ == "__main__":
    main()
