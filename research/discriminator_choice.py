"""Which discriminator: its normalisation and the weight of the mismatched pairs, by measurement.

Not a test. The GAN ablation (``research/gan_ablation.py``) needs two choices made first:

1. a normalisation whose verdict in inference mode is what the discriminator learned
   (``"batch"``: pix2pix's BatchNorm, ``"spectral"`` or ``"instance"``);
2. the share ``w`` of the fakes that are mismatched pairs (real colours on another photo's L).

Each candidate discriminator (128 px, width 24, Adam 2e-4 / beta1 0.5, batch 32) is trained
for ``--steps`` steps on the training photos against the colorizations of a **frozen**
generator (the shipped one, or ``--run``), with the GAN's own loss terms
(:mod:`colorgan_utils.gan`), then judged on the validation photos **in inference mode**:
AUC real vs colorized and real vs mismatched (mean patch logit per photo), the share of
mismatched pairs called colorized (mismatch rejection), and the agreement of its per-photo
verdicts in ``training=False`` and ``training=True`` on batches of real photos only.

**The rules, fixed before the runs.** Normalisation: among those whose verdicts agree on at
least 95% of the photos, the highest mean of the two AUCs (candidates trained with w = 0.5).
Weight: with that normalisation, among w in {0, 0.25, 0.5, 0.75}, the highest mean of the two
AUCs.

    python research/discriminator_choice.py --data ../shared/data/stanford-dogs-small
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RULE_NORM = ("among the normalisations whose verdicts agree in training and inference mode on "
             ">= 95% of the photos, the highest mean of AUC(real vs colorized) and AUC(real vs "
             "mismatched), each trained with w = 0.5")
RULE_WEIGHT = "with that normalisation, the w in {0, 0.25, 0.5, 0.75} with the highest mean AUC"


def train_discriminator(norm: str, weight: float, train: dict, steps: int, seed: int = 0):
    """A PatchGAN trained ``steps`` steps against fixed colorizations (GAN's BCE terms)."""
    import keras
    import numpy as np
    import tensorflow as tf

    from colorgan_utils import gan, models

    keras.utils.set_random_seed(seed)
    d = models.build_discriminator(128, 24, norm=norm)
    opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    opt.build(d.trainable_variables)

    @tf.function
    def step(lum, ab, fake):
        with tf.GradientTape() as tape:
            parts = [ab, fake] + ([gan.mismatched(ab)] if weight > 0 else [])
            out = d([tf.concat([lum] * len(parts), 0), tf.concat(parts, 0)], training=True)
            logits = tf.split(out, len(parts), 0)
            d_fake = gan.fake_loss(logits[1])
            if weight > 0:
                d_fake = (1 - weight) * d_fake + weight * gan.fake_loss(logits[2])
            loss = 0.5 * (gan.real_loss(logits[0]) + d_fake)
        opt.apply_gradients(zip(tape.gradient(loss, d.trainable_variables),
                                d.trainable_variables))
        return loss

    rng = np.random.default_rng(seed)
    n = len(train["L"])
    for _ in range(steps):
        i = rng.choice(n, 32, replace=False)
        step(train["L"][i], train["ab"][i], train["colorized_ab"][i])
    return d


def judge(d, val: dict) -> dict:
    """Inference-mode AUCs, mismatch rejection, and training/inference agreement."""
    import numpy as np

    from colorgan_utils import forensics

    def scores(ab, training=False):
        out = []
        for s in range(0, len(ab), 32):
            out.append(np.asarray(d([val["L"][s:s + 32], ab[s:s + 32]], training=training),
                                  np.float32).mean(axis=(1, 2, 3)))
        return np.concatenate(out)

    mismatched_ab = np.roll(val["ab"], 1, axis=0)
    real, fake, mis = scores(val["ab"]), scores(val["colorized_ab"]), scores(mismatched_ab)
    real_train = scores(val["ab"], training=True)  # batches of real photos only
    return {
        "auc_real_vs_colorized": forensics.auc(real, fake),
        "auc_real_vs_mismatched": forensics.auc(real, mis),
        "real_called_real": float((real > 0).mean()),
        "colorized_called_colorized": float((fake <= 0).mean()),
        "mismatch_rejection": float((mis <= 0).mean()),
        "agreement_train_vs_inference": float(((real > 0) == (real_train > 0)).mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--run", default=None, help="generator to colorize with (default: shipped)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--train-photos", type=int, default=1024)
    parser.add_argument("--json", default="research/results/discriminator_choice.json")
    args = parser.parse_args()

    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.evaluation import colorize_records
    from colorgan_utils.runs import load_run

    cfg = get_config("cpu", data_dir=args.data)
    _, splits = load_splits(cfg)
    generator, _ = load_run(args.run)
    picks = splits["train"][:: max(1, len(splits["train"]) // args.train_photos)]
    t0 = time.monotonic()
    train, val = colorize_records(generator, picks, cfg), colorize_records(generator,
                                                                           splits["val"], cfg)
    print(f"{len(train['L'])} train / {len(val['L'])} val photos colorized in "
          f"{time.monotonic() - t0:.0f} s; {args.steps} steps per discriminator", flush=True)
    rows = {}

    def run(norm: str, weight: float) -> dict:
        key = f"{norm}_w{weight:g}"
        if key not in rows:
            t = time.monotonic()
            d = train_discriminator(norm, weight, train, args.steps)
            rows[key] = {"norm": norm, "mismatch_weight": weight, **judge(d, val),
                         "seconds": round(time.monotonic() - t, 1)}
            print(key, json.dumps(rows[key]), flush=True)
        return rows[key]

    mean_auc = lambda r: (r["auc_real_vs_colorized"] + r["auc_real_vs_mismatched"]) / 2  # noqa
    norms = {n: run(n, 0.5) for n in ("batch", "spectral", "instance")}
    ok = [n for n, r in norms.items() if r["agreement_train_vs_inference"] >= 0.95]
    norm = max(ok or norms, key=lambda n: mean_auc(norms[n]))
    weights = {w: run(norm, w) for w in (0.0, 0.25, 0.5, 0.75)}
    weight = max(weights, key=lambda w: mean_auc(weights[w]))
    print(f"\nnormalisation: {norm} ({RULE_NORM})\nmismatch weight: {weight} ({RULE_WEIGHT})")
    print("\n| discriminator | AUC real/colorized | AUC real/mismatched | mismatch rejection | "
          "real called real | train/inference agreement |\n|---|---|---|---|---|---|")
    for key, r in rows.items():
        print(f"| {key} | {r['auc_real_vs_colorized']:.3f} | {r['auc_real_vs_mismatched']:.3f} "
              f"| {r['mismatch_rejection']:.0%} | {r['real_called_real']:.0%} | "
              f"{r['agreement_train_vs_inference']:.0%} |")
    Path(args.json).write_text(json.dumps(
        {"rule_norm": RULE_NORM, "rule_weight": RULE_WEIGHT, "norm": norm,
         "mismatch_weight": weight, "steps": args.steps, "train_photos": len(train["L"]),
         "val_photos": len(val["L"]), "generator": getattr(generator, "source_file", None),
         "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
