"""The encoder ablation: a from-scratch U-Net against one on an ImageNet-pretrained MobileNetV2.

Not a test. Trains each variant with the package's own ``train()`` into ``<out>/<variant>`` on
``stanford-dogs-small`` at 128 px for the **same wall time** (``--seconds``, training and
validation counted; a callback stops at the first step past it, so no variant gets an extra
epoch), then colorizes the test split (centre crops) with its averaged "best" generator and
compares with the gray baseline: PSNR, SSIM, CIEDE2000, colourfulness, hue agreement, and the
blotch veto (a photo with more than 1% of its pixels painted: chroma 30 above the real one).

**The rule, fixed before the runs:** the default is the variant with the smallest
``dCF = |CF(model) - CF(real)|`` among those with ``CIEDE2000 <= gray - 1.5`` and
``PSNR >= gray + 0.5 dB`` and no veto; if none qualifies, the one with the lowest CIEDE2000.

    python research/encoder_ablation.py --data ../shared/data/stanford-dogs-small --seconds 300

Resumable: a variant whose run folder has a result is only read back.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras

# every variant: batch 32, Adam 2e-4, 2 L1-only epochs ("NoGAN" pretraining of the generator),
# an averaged generator (EMA 0.99) and a cosine schedule over 8 epochs of 25 steps
K = dict(warmup_epochs=2, ema_momentum=0.99, lr_schedule="cosine", l1_lambda=100.0)
MB = dict(K, encoder="mobilenetv2", encoder_alpha=0.35, encoder_frozen_epochs=3,
          encoder_lr_mult=0.1)
VARIANTS = {
    "b_scratch_k": dict(K, encoder="scratch"),
    "c_mbv2_l1": dict(MB, warmup_epochs=10**6),  # L1 only: the GAN term never switches on
    "d_mbv2_l1_gan": dict(MB),
    "e_mbv2_frozen": dict(MB, encoder_frozen_epochs=-1),
    "f_mbv2_050": dict(MB, encoder_alpha=0.5),
    "g_mbv2_l1_30": dict(MB, l1_lambda=30.0),
    # f with colour as classes (colorgan_utils.colour_classes): the bin head on the pretrained
    # U-Net, 10 x the rebalanced cross-entropy instead of 100 x L1 (see classes_gan)
    "h_mbv2_050_classes": dict(MB, encoder_alpha=0.5),
}
CLASSES = {"h_mbv2_050_classes"}
RULE = ("smallest dCF among variants with CIEDE2000 <= gray - 1.5 and PSNR >= gray + 0.5 dB and "
        "no veto (a photo with > 1% painted pixels); else the lowest CIEDE2000")
VETO_SHARE = 0.01


def classes_gan(cfg, records, mix: float | None = None):
    """``train(build_gan=...)`` for colour as classes: the bin head of
    :func:`colour_classes.class_generator` on the generator the settings build, and
    :class:`colour_classes.ClassColorGAN` weighted by the training photos' prior (up to 500
    photos); everything else (optimizers, warm-up, encoder schedule, averaged generator, best
    epoch, backup) is ``train()``'s own."""
    from colorgan_utils import colour_classes
    from colorgan_utils.data import make_dataset

    picks = records[:: max(1, len(records) // 500)]
    ds = make_dataset(picks, cfg, training=False, cache=False)
    mix = colour_classes.PRIOR_MIX if mix is None else mix
    weights = colour_classes.prior_of((ab for _, ab in ds), mix)["weights"]
    return colour_classes.gan_builder(weights)


class StopAt(keras.callbacks.Callback):
    """Stop at the first training step past ``seconds`` of wall time (validation included)."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def on_train_begin(self, logs=None) -> None:
        self.start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None) -> None:
        if time.monotonic() - self.start > self.seconds:
            self.model.stop_training = True


def measure(generator, records, cfg) -> dict:
    import numpy as np

    from colorgan_utils import metrics
    from colorgan_utils.evaluation import colorize_records, quality_report

    batch = colorize_records(generator, records, cfg)
    q = quality_report(batch)["quality"]
    painted = [metrics.painted_share(r, c) for r, c in zip(batch["real"], batch["colorized"])]
    hue = metrics.hue_agreement(batch["real"], batch["colorized"])
    return {
        "psnr": q["model"]["psnr"], "ssim": q["model"]["ssim"],
        "ciede2000": q["model"]["ciede2000"], "cf": q["model"]["colorfulness"],
        "dcf": abs(q["model"]["colorfulness"] - q["real"]["colorfulness"]),
        "gray_psnr": q["gray_baseline"]["psnr"], "gray_ciede2000": q["gray_baseline"]["ciede2000"],
        "real_cf": q["real"]["colorfulness"], "hue": hue,
        "max_painted": float(np.max(painted)),
        "photos_over_veto": int(np.sum(np.array(painted) > VETO_SHARE)),
    }


def choose(rows: dict) -> str:
    ok = [v for v, r in rows.items()
          if r["ciede2000"] <= r["gray_ciede2000"] - 1.5 and r["psnr"] >= r["gray_psnr"] + 0.5
          and r["photos_over_veto"] == 0]
    if ok:
        return min(ok, key=lambda v: rows[v]["dcf"])
    return min(rows, key=lambda v: rows[v]["ciede2000"])


def print_table(rows: dict, chosen: str, photos: int) -> None:
    """The rows as a Markdown table under the gray baseline, the rule's choice marked."""
    g = next(iter(rows.values()))
    print(f"\n| 128 px, {photos} test photos | PSNR dB | SSIM | CIEDE2000 | "
          "colourfulness | dCF | hue agr. (red/green/blue) | photos over veto | epochs |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| gray baseline | {g['gray_psnr']:.2f} | | {g['gray_ciede2000']:.2f} | 0.0 | "
          f"{g['real_cf']:.1f} | 0 | | |")
    for name, r in rows.items():
        h = r["hue"]
        f = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        mark = " **(chosen)**" if name == chosen else ""
        print(f"| {name}{mark} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['ciede2000']:.2f} | "
              f"{r['cf']:.1f} | {r['dcf']:.1f} | {f(h['all'])} ({f(h['red_orange'])}/"
              f"{f(h['green'])}/{f(h['blue'])}) | {r['photos_over_veto']} | "
              f"{r.get('epochs', '')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="runs/encoder_ablation")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--variants", nargs="*", default=["a_shipped_k", *VARIANTS])
    parser.add_argument("--json", default="research/results/encoder_ablation.json")
    args = parser.parse_args()

    from colorgan_utils.runs import read_history
    from colorgan_utils.config import get_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.runs import HISTORY, PRETRAINED, load_generator, load_run
    from colorgan_utils.training import train

    print("rule (fixed before the runs):", RULE, flush=True)
    base = get_config("cpu", image_size=128, batch_size=32, data_dir=args.data, epochs=8,
                      steps_per_epoch=25)
    _, splits = load_splits(base)
    print(f"{len(splits['train'])} train / {len(splits['val'])} val / {len(splits['test'])} "
          f"test photos; {args.seconds:.0f} s of training per variant", flush=True)
    rows: dict[str, dict] = {}
    for name in args.variants:
        run = Path(args.out) / name
        cached = run / "encoder_ablation.json"
        if cached.is_file():
            rows[name] = json.loads(cached.read_text())
            print(name, json.dumps(rows[name]), flush=True)
            continue
        if name == "a_shipped_k":
            generator, info = load_generator(PRETRAINED), {"settings": "shipped k (GPU, 52 s)"}
        else:
            cfg = base.replace(**VARIANTS[name])
            t0 = time.monotonic()
            build = classes_gan(cfg, splits["train"]) if name in CLASSES else None
            hist = train(cfg.replace(data_dir=args.data), run, splits=splits, verbose=2,
                         extra_callbacks=[StopAt(args.seconds)], build_gan=build).history
            generator, _ = load_run(run, verbose=False)
            info = {"wall_s": time.monotonic() - t0, "epochs": len(hist),
                    "photos_seen": sum(round(h["images_per_s"] * h["epoch_seconds"])
                                       for h in read_history(run / HISTORY)),
                    "images_per_s": [round(h["images_per_s"], 1) for h in hist],
                    "settings": VARIANTS[name]}
        rows[name] = {**measure(generator, splits["test"], base), **info}
        run.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(rows[name]))
        print(name, json.dumps(rows[name]), flush=True)
    best = choose(rows)
    print_table(rows, best, len(splits["test"]))
    print(f"\nchosen by the rule ({RULE}): {best}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"rule": RULE, "chosen": best,
                                           "seconds_per_variant": args.seconds,
                                           "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
