"""The colour-objective ablation (issue 8): four variants, equal training time each, one table.

Runs at commit 9065a28 (``git checkout 9065a28 -- colorgan_utils research``): the objectives it
trains have since left the package's settings (research/README.md).

Not a test. Trains each variant into ``<out>/<variant>`` for ``--epochs`` epochs at 128 px on
``stanford-dogs-small`` (every variant trains at the same measured speed, ~16 img/s on our 2
cores, so equal epochs are equal wall time — the table shows both; a wall-clock budget that stops
at epoch ends gave one variant 3 epochs and another 2), evaluates its best generator on the
test split against the gray baseline, and prints a Markdown table + writes JSON.

Variants (all: U-Net width 32 / max 128 filters, PatchGAN width 24, batch 32, Adam 2e-4):

* ``a_l1_gan``   pix2pix's objective: 100 * L1 + GAN, 2 L1-only warm-up epochs (the presets'
  objective until the third GPU ablation; ``--trained`` also evaluates gpu_jax.py's variants);
* ``b_class``    classification over 262 in-gamut ab bins, rebalanced by our training split's
  own prior (mix 0.5), annealed mean T = 0.38, no GAN term (the discriminator still trains, so its
  accuracy can be reported);
* ``c_class_gan`` (b) + the GAN term from the first step;
* ``d_class_nogan`` (b) for the first epoch, then the GAN term ("NoGAN" warm-up, DeOldify).

**The rule, fixed before the runs:** the default is the variant with the smallest
``dCF = |CF(model) - CF(real)|`` among those with ``PSNR >= gray + 0.2 dB`` and
``CIEDE2000 <= gray - 0.8``; if none qualifies, the one with the lowest CIEDE2000.

    python research/ablation.py --data ../shared/data/stanford-dogs-small --epochs 3

Resumable: a variant that has trained ``--epochs`` epochs is only evaluated again.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

VARIANTS = {
    "a_l1_gan": dict(objective="l1", warmup_epochs=2),
    "b_class": dict(objective="classify", adversarial_lambda=0.0, warmup_epochs=2),
    "c_class_gan": dict(objective="classify"),
    "d_class_nogan": dict(objective="classify", warmup_epochs=1),
    # added after a-d had run on a GPU (research/gpu_jax.py; same rule)
    "e_l1_30_gan": dict(objective="l1", warmup_epochs=2, l1_lambda=30.0),
    "f_l1_10_gan": dict(objective="l1", warmup_epochs=2, l1_lambda=10.0),
}
RULE = ("smallest dCF among variants with PSNR >= gray + 0.2 dB and CIEDE2000 <= gray - 0.8 "
        "(else: lowest CIEDE2000)")


def choose(rows: dict[str, dict]) -> str:
    """The variant the rule picks."""
    ok = [v for v, r in rows.items()
          if r["psnr"] >= r["gray_psnr"] + 0.2 and r["ciede2000"] <= r["gray_ciede2000"] - 0.8]
    if ok:
        return min(ok, key=lambda v: rows[v]["dcf"])
    return min(rows, key=lambda v: rows[v]["ciede2000"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="runs/ablation")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--detector-photos", type=int, default=1500,
                        help="train-split photos the independent detector learns from")
    parser.add_argument("--detector-epochs", type=int, default=3)
    parser.add_argument("--json", default="research/results/ablation_128.json")
    parser.add_argument("--veto", nargs=2, action="append", default=[],
                        metavar=("VARIANT", "REASON"),
                        help="keep a variant in the table but out of the choice, for a defect the "
                             "table's figures do not see (the reason is printed and saved)")
    parser.add_argument("--trained", action="store_true",
                        help="evaluate the run folders in --out as they are (no training)")
    args = parser.parse_args()

    from colorgan_utils.callbacks import HistoryCSV
    from colorgan_utils.config import get_config
    from colorgan_utils.runs import HISTORY, run_config
    from colorgan_utils.data import load_splits
    from colorgan_utils.evaluation import evaluate_run
    from colorgan_utils.runs import load_run
    from colorgan_utils.training import train

    from gpu_jax import VARIANTS as GPU_VARIANTS  # the variants only the GPU script trains
    print("rule (fixed before the runs):", RULE)
    base = get_config("cpu", image_size=args.size, batch_size=32, data_dir=args.data,
                      epochs=args.epochs, objective="l1", warmup_epochs=0,
                      adversarial_lambda=1.0, l1_lambda=100.0, ema_momentum=0.0,
                      lr_schedule="constant", encoder="scratch")  # every change from pix2pix
    _, splits = load_splits(base, args.data)
    print(f"{len(splits['train'])} train / {len(splits['val'])} val / {len(splits['test'])} "
          f"test photos at {args.size} px; {args.epochs} epochs per variant")
    rows: dict[str, dict] = {}
    for name in args.variants:
        run = Path(args.out) / name
        if args.trained:  # e.g. trained on a GPU by research/gpu_jax.py
            cfg = run_config(run, base)  # its own settings; renamed ones dropped
            hist = HistoryCSV.read(run / HISTORY)
        else:
            cfg = base.replace(**VARIANTS[name])
            hist = train(cfg, run, args.data, splits=splits, verbose=2).history
        info = {"wall_minutes": sum(h["epoch_seconds"] for h in hist) / 60,
                "epochs": len(hist),
                "images_per_s": sorted(h["images_per_s"] for h in hist)[len(hist) // 2]}
        cached = run / "ablation_eval.json"
        if cached.is_file() and json.loads(cached.read_text())["epochs"] == len(hist):
            rows[name] = json.loads(cached.read_text())
            if "critic_acc" in rows[name]:  # evaluated before the vocabulary renames
                rows[name]["discriminator_acc"] = rows[name].pop("critic_acc")
            print(name, json.dumps(rows[name]), flush=True)
            continue
        generator, discriminator = load_run(run)
        res = evaluate_run(generator, discriminator, splits["test"], cfg, splits["train"],
                           args.detector_epochs, run=str(run),
                           detector_photos_n=args.detector_photos)
        q = res["quality"]
        rows[name] = {
            "psnr": q["model"]["psnr"], "ssim": q["model"]["ssim"],
            "ciede2000": q["model"]["ciede2000"], "cf": q["model"]["colorfulness"],
            "dcf": abs(q["model"]["colorfulness"] - q["real"]["colorfulness"]),
            "gray_psnr": q["gray_baseline"]["psnr"], "gray_ssim": q["gray_baseline"]["ssim"],
            "gray_ciede2000": q["gray_baseline"]["ciede2000"],
            "real_cf": q["real"]["colorfulness"],
            "discriminator_acc": res["discriminator"]["per_image_accuracy"],
            "detector_auc": res["detectors"]["cnn"]["test_auc"],
            "detector_acc": res["detectors"]["cnn"]["test_accuracy"],
            **info, "settings": VARIANTS.get(name) or GPU_VARIANTS[name],
        }
        cached.write_text(json.dumps(rows[name]))
        print(name, json.dumps(rows[name]), flush=True)
    by_rule = choose(rows)
    vetoed = dict(args.veto)
    best = choose({k: v for k, v in rows.items() if k not in vetoed})
    for name, reason in vetoed.items():
        print(f"vetoed: {name} ({reason})")
    g = next(iter(rows.values()))
    print(f"\n| {args.size} px, {len(splits['test'])} test photos | PSNR dB | SSIM | CIEDE2000 | "
          "colourfulness | dCF | discriminator acc. (image) | detector AUC | train img/s | epochs | "
          "wall min |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| gray baseline (ab = 0) | {g['gray_psnr']:.2f} | {g['gray_ssim']:.3f} | "
          f"{g['gray_ciede2000']:.2f} | 0.0 | {g['real_cf']:.1f} | | | | | |")
    for name, r in rows.items():
        mark = " **(chosen)**" if name == best else ""
        print(f"| {name}{mark} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['ciede2000']:.2f} | "
              f"{r['cf']:.1f} | {r['dcf']:.1f} | {r['discriminator_acc']:.1%} | "
              f"{r['detector_auc']:.3f} | {r['images_per_s']:.0f} | {r['epochs']} | "
              f"{r['wall_minutes']:.1f} |")
    print(f"| real photos | | | | {g['real_cf']:.1f} | 0 | | | | | |")
    print(f"\nchosen by the rule ({RULE}): {best}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"rule": RULE, "chosen": best,
                                               "chosen_before_vetoes": by_rule,
                                               "vetoed": vetoed,
                                               "epochs_per_variant": None if args.trained else args.epochs,
                                               "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
